// A handheld jolt: the frame jumps around, hardest at the start of each beat.
uniform float amount; // = 0.02
vec4 effect(vec2 uv) {
  float k = (1.0 - beat) * (1.0 - beat);
  vec2 off = vec2(sin(time * 71.0), cos(time * 53.0)) * amount * k;
  return getColor((uv - 0.5) / (1.0 + 2.0 * amount) + 0.5 + off);
}
