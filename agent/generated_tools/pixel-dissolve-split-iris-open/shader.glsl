uniform float a_max_blocks; // = 48.0
vec4 a_transition(vec2 uv) {
  float t = min(progress, 1.0 - progress) * 2.0;
  float blocks = max(2.0, a_max_blocks * (1.0 - t) + 2.0);
  vec2 cell = vec2(blocks * ratio, blocks);
  vec2 q = t > 0.0 ? (floor(uv * cell) + 0.5) / cell : uv;
  return mix(getFromColor(q), getToColor(q), progress);
}

uniform vec2 b_center; // = vec2(0.5, 0.5)
uniform float b_softness; // = 0.08
vec4 b_transition(vec2 uv) {
  vec2 p = (uv - b_center) * vec2(ratio, 1.0);
  float reach = length(vec2(ratio, 1.0)) * 0.5 + b_softness + length(b_center - 0.5) * 2.0;
  float r = progress * reach;
  float m = smoothstep(r - b_softness, r, length(p));
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), getFromColor(uv), m);
}

vec4 transition(vec2 uv) {
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float m = clamp(smoothstep(0.48, 0.52, uv.x), 0.0, 1.0);
  return mix(a_transition(uv), b_transition(uv), m);
}
