uniform float a_max_blocks; // = 48.0
vec4 a_transition(vec2 uv) {
  float t = min(progress, 1.0 - progress) * 2.0;
  float blocks = max(2.0, a_max_blocks * (1.0 - t) + 2.0);
  vec2 cell = vec2(blocks * ratio, blocks);
  vec2 q = t > 0.0 ? (floor(uv * cell) + 0.5) / cell : uv;
  return mix(getFromColor(q), getToColor(q), progress);
}

uniform vec2 b_direction; // = vec2(-1.0, 0.0)
vec4 b_transition(vec2 uv) {
  vec2 shift = normalize(b_direction) * progress;
  vec2 a = uv - shift;
  vec2 b = uv - shift + normalize(b_direction);
  bool in_a = a.x >= 0.0 && a.x <= 1.0 && a.y >= 0.0 && a.y <= 1.0;
  return in_a ? getFromColor(a) : getToColor(b);
}

vec4 transition(vec2 uv) {
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float m = clamp(smoothstep(-0.05, 0.05, uv.x + uv.y - 2.0 * progress), 0.0, 1.0);
  return mix(a_transition(uv), b_transition(uv), m);
}
