uniform float t_max_blocks; // = 48.0
vec4 t_transition(vec2 uv) {
  float t = min(progress, 1.0 - progress) * 2.0;
  float blocks = max(2.0, t_max_blocks * (1.0 - t) + 2.0);
  vec2 cell = vec2(blocks * ratio, blocks);
  vec2 q = t > 0.0 ? (floor(uv * cell) + 0.5) / cell : uv;
  return mix(getFromColor(q), getToColor(q), progress);
}

uniform float e_amount; // = 0.012
uniform vec2 e_direction; // = vec2(1.0, 0.3)
vec4 e_effect(vec2 uv) {
  vec2 off = normalize(e_direction) * e_amount * (0.3 + 0.7 * (1.0 - progress));
  return vec4(t_transition(uv + off).r, t_transition(uv).g, t_transition(uv - off).b, 1.0);
}

vec4 transition(vec2 uv) {
  vec4 plain = t_transition(uv);
  if (progress <= 0.0 || progress >= 1.0) return plain;
  float w = 1.000 * sin(3.14159265 * progress);
  return mix(plain, e_effect(uv), w);
}
