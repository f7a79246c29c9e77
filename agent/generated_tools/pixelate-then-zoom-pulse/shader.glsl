uniform float a_blocks; // = 64.0
uniform float a_energy_scale; // = 0.5
vec4 a_effect(vec2 uv) {
  float n = max(4.0, a_blocks * (1.0 - a_energy_scale * energy));
  vec2 cell = vec2(n * ratio, n);
  return getColor((floor(uv * cell) + 0.5) / cell);
}

uniform float b_amount; // = 0.12
vec4 b_effect(vec2 uv) {
  float z = 1.0 + b_amount * (1.0 - beat) * (1.0 - beat);
  return a_effect((uv - 0.5) / z + 0.5);
}

vec4 effect(vec2 uv) { return b_effect(uv); }
