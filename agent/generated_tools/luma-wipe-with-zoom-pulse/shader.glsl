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

uniform float e_amount; // = 0.12
vec4 e_effect(vec2 uv) {
  float z = 1.0 + e_amount * (1.0 - progress) * (1.0 - progress);
  return t_transition((uv - 0.5) / z + 0.5);
}

vec4 transition(vec2 uv) {
  vec4 plain = t_transition(uv);
  if (progress <= 0.0 || progress >= 1.0) return plain;
  float w = 1.000 * sin(3.14159265 * progress);
  return mix(plain, e_effect(uv), w);
}
