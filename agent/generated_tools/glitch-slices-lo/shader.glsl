// Horizontal slices of both shots jump sideways and swap at random moments.
uniform float slices; // = 12
uniform float jump; // = 0.04
float hash(float n) { return fract(sin(n * 127.1) * 43758.5453); }
vec4 transition(vec2 uv) {
  float row = floor(uv.y * slices);
  float step_t = floor(progress * 10.0);
  float r = hash(row + step_t * 31.0);
  float amount = sin(progress * 3.14159265);
  vec2 q = vec2(uv.x + (r - 0.5) * jump * amount, uv.y);
  float threshold = hash(row * 7.0 + 3.0);
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return progress > threshold ? getToColor(fract(q)) : getFromColor(fract(q));
}
