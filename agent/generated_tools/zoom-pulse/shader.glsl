// Punches in on every beat and eases back out before the next one.
uniform float amount; // = 0.12
vec4 effect(vec2 uv) {
  float z = 1.0 + amount * (1.0 - beat) * (1.0 - beat);
  return getColor((uv - 0.5) / z + 0.5);
}
