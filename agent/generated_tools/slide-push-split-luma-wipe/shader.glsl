uniform vec2 a_direction; // = vec2(-1.0, 0.0)
vec4 a_transition(vec2 uv) {
  vec2 shift = normalize(a_direction) * progress;
  vec2 a = uv - shift;
  vec2 b = uv - shift + normalize(a_direction);
  bool in_a = a.x >= 0.0 && a.x <= 1.0 && a.y >= 0.0 && a.y <= 1.0;
  return in_a ? getFromColor(a) : getToColor(b);
}

uniform float b_softness; // = 0.1
vec4 b_transition(vec2 uv) {
  vec4 a = getFromColor(uv);
  float luma = dot(a.rgb, vec3(0.299, 0.587, 0.114));
  float edge = progress * (1.0 + b_softness);
  float m = smoothstep(edge - b_softness, edge, 1.0 - luma);
  if (progress <= 0.0) return a;
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), a, m);
}

vec4 transition(vec2 uv) {
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float m = clamp(smoothstep(0.48, 0.52, uv.x), 0.0, 1.0);
  return mix(a_transition(uv), b_transition(uv), m);
}
