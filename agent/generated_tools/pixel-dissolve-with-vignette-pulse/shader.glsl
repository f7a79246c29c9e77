uniform float t_max_blocks; // = 48.0
vec4 t_transition(vec2 uv) {
  float t = min(progress, 1.0 - progress) * 2.0;
  float blocks = max(2.0, t_max_blocks * (1.0 - t) + 2.0);
  vec2 cell = vec2(blocks * ratio, blocks);
  vec2 q = t > 0.0 ? (floor(uv * cell) + 0.5) / cell : uv;
  return mix(getFromColor(q), getToColor(q), progress);
}

uniform float e_strength; // = 0.6
uniform float e_radius; // = 0.75
vec4 e_effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float pulse = 1.0 - 0.25 * (1.0 - progress) * 1.0;
  float v = smoothstep(e_radius * pulse, e_radius * pulse - 0.45, length(p));
  return vec4(t_transition(uv).rgb * mix(1.0 - e_strength, 1.0, v), 1.0);
}

vec4 transition(vec2 uv) {
  vec4 plain = t_transition(uv);
  if (progress <= 0.0 || progress >= 1.0) return plain;
  float w = 1.000 * sin(3.14159265 * progress);
  return mix(plain, e_effect(uv), w);
}
