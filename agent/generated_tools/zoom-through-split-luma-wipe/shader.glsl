uniform float a_strength; // = 0.6
vec4 a_transition(vec2 uv) {
  float zin = 1.0 + a_strength * progress * progress;
  float zout = 1.0 + a_strength * (1.0 - progress) * (1.0 - progress);
  vec4 a = getFromColor((uv - 0.5) / zin + 0.5);
  vec4 b = getToColor((uv - 0.5) / zout + 0.5);
  return mix(a, b, smoothstep(0.35, 0.65, progress));
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
