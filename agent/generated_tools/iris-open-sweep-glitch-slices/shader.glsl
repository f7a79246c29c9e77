uniform vec2 a_center; // = vec2(0.5, 0.5)
uniform float a_softness; // = 0.08
vec4 a_transition(vec2 uv) {
  vec2 p = (uv - a_center) * vec2(ratio, 1.0);
  float reach = length(vec2(ratio, 1.0)) * 0.5 + a_softness + length(a_center - 0.5) * 2.0;
  float r = progress * reach;
  float m = smoothstep(r - a_softness, r, length(p));
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), getFromColor(uv), m);
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
  float m = clamp(smoothstep(-0.05, 0.05, uv.x + uv.y - 2.0 * progress), 0.0, 1.0);
  return mix(a_transition(uv), b_transition(uv), m);
}
