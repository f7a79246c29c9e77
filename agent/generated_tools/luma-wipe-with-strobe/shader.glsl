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

uniform float e_strength; // = 0.8
uniform float e_decay; // = 4.0
vec4 e_effect(vec2 uv) {
  float f = e_strength * exp(-e_decay * progress);
  return vec4(mix(t_transition(uv).rgb, vec3(1.0), f), 1.0);
}

vec4 transition(vec2 uv) {
  vec4 plain = t_transition(uv);
  if (progress <= 0.0 || progress >= 1.0) return plain;
  float w = 1.000 * sin(3.14159265 * progress);
  return mix(plain, e_effect(uv), w);
}
