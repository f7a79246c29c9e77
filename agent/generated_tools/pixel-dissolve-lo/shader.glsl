// Both shots break into blocks that grow to the middle of the transition and shrink after it.
uniform float max_blocks; // = 24
vec4 transition(vec2 uv) {
  float t = min(progress, 1.0 - progress) * 2.0;
  float blocks = max(2.0, max_blocks * (1.0 - t) + 2.0);
  vec2 cell = vec2(blocks * ratio, blocks);
  vec2 q = t > 0.0 ? (floor(uv * cell) + 0.5) / cell : uv;
  return mix(getFromColor(q), getToColor(q), progress);
}
