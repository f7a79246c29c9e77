uniform float a_max_blocks; // = 48.0
vec4 a_transition(vec2 uv) {
  float t = min(progress, 1.0 - progress) * 2.0;
  float blocks = max(2.0, a_max_blocks * (1.0 - t) + 2.0);
  vec2 cell = vec2(blocks * ratio, blocks);
  vec2 q = t > 0.0 ? (floor(uv * cell) + 0.5) / cell : uv;
  return mix(getFromColor(q), getToColor(q), progress);
}

uniform float b_slices; // = 24.0
uniform float b_jump; // = 0.08
float b_hash(float n) { return fract(sin(n * 127.1) * 43758.5453); }
vec4 b_transition(vec2 uv) {
  float row = floor(uv.y * b_slices);
  float step_t = floor(progress * 10.0);
  float r = b_hash(row + step_t * 31.0);
  float amount = sin(progress * 3.14159265);
  vec2 q = vec2(uv.x + (r - 0.5) * b_jump * amount, uv.y);
  float threshold = b_hash(row * 7.0 + 3.0);
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return progress > threshold ? getToColor(fract(q)) : getFromColor(fract(q));
}

vec4 transition(vec2 uv) {
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float m = clamp(smoothstep(0.48, 0.52, uv.x), 0.0, 1.0);
  return mix(a_transition(uv), b_transition(uv), m);
}
