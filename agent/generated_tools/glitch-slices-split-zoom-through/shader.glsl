uniform float a_slices; // = 24.0
uniform float a_jump; // = 0.08
float a_hash(float n) { return fract(sin(n * 127.1) * 43758.5453); }
vec4 a_transition(vec2 uv) {
  float row = floor(uv.y * a_slices);
  float step_t = floor(progress * 10.0);
  float r = a_hash(row + step_t * 31.0);
  float amount = sin(progress * 3.14159265);
  vec2 q = vec2(uv.x + (r - 0.5) * a_jump * amount, uv.y);
  float threshold = a_hash(row * 7.0 + 3.0);
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return progress > threshold ? getToColor(fract(q)) : getFromColor(fract(q));
}

uniform float b_strength; // = 0.6
vec4 b_transition(vec2 uv) {
  float zin = 1.0 + b_strength * progress * progress;
  float zout = 1.0 + b_strength * (1.0 - progress) * (1.0 - progress);
  vec4 a = getFromColor((uv - 0.5) / zin + 0.5);
  vec4 b = getToColor((uv - 0.5) / zout + 0.5);
  return mix(a, b, smoothstep(0.35, 0.65, progress));
}

vec4 transition(vec2 uv) {
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  float m = clamp(smoothstep(0.48, 0.52, uv.x), 0.0, 1.0);
  return mix(a_transition(uv), b_transition(uv), m);
}
