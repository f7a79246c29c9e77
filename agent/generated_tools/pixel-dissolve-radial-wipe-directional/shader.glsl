uniform float a_max_blocks; // = 48.0
vec4 a_transition(vec2 uv) {
  float t = min(progress, 1.0 - progress) * 2.0;
  float blocks = max(2.0, a_max_blocks * (1.0 - t) + 2.0);
  vec2 cell = vec2(blocks * ratio, blocks);
  vec2 q = t > 0.0 ? (floor(uv * cell) + 0.5) / cell : uv;
  return mix(getFromColor(q), getToColor(q), progress);
}

uniform vec2 b_direction; // = vec2(1.0, 0.0)
uniform float b_softness; // = 0.05
vec4 b_transition(vec2 uv) {
  vec2 d = normalize(b_direction);
  float along = dot(uv - 0.5, d) / (abs(d.x) * 0.5 + abs(d.y) * 0.5) * 0.5 + 0.5;
  float edge = progress * (1.0 + 2.0 * b_softness) - b_softness;
  float m = smoothstep(edge - b_softness, edge + b_softness, along);
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), getFromColor(uv), m);
}

vec4 transition(vec2 uv) {
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float m = clamp(smoothstep(0.25, 0.55, length((uv - 0.5) * vec2(ratio, 1.0))), 0.0, 1.0);
  return mix(a_transition(uv), b_transition(uv), m);
}
