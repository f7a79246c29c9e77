uniform float t_softness; // = 0.1
vec4 t_transition(vec2 uv) {
  vec4 a = getFromColor(uv);
  float luma = dot(a.rgb, vec3(0.299, 0.587, 0.114));
  float edge = progress * (1.0 + t_softness);
  float m = smoothstep(edge - t_softness, edge, 1.0 - luma);
  if (progress <= 0.0) return a;
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), a, m);
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
