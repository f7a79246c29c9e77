uniform float t_slices; // = 24.0
uniform float t_jump; // = 0.08
float t_hash(float n) { return fract(sin(n * 127.1) * 43758.5453); }
vec4 t_transition(vec2 uv) {
  float row = floor(uv.y * t_slices);
  float step_t = floor(progress * 10.0);
  float r = t_hash(row + step_t * 31.0);
  float amount = sin(progress * 3.14159265);
  vec2 q = vec2(uv.x + (r - 0.5) * t_jump * amount, uv.y);
  float threshold = t_hash(row * 7.0 + 3.0);
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return progress > threshold ? getToColor(fract(q)) : getFromColor(fract(q));
}

uniform float e_density; // = 90.0
uniform float e_strength; // = 0.5
float e_hash(float n) { return fract(sin(n * 91.7) * 43758.5453); }
vec4 e_effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float a = atan(p.y, p.x);
  float ray = e_hash(floor((a + 3.14159265) * e_density / 6.28318531) + floor(progress * 12.0));
  float line = step(0.82, ray) * smoothstep(0.15, 0.6, length(p)) * e_strength * (0.3 + 0.7 * 1.0);
  return vec4(mix(t_transition(uv).rgb, vec3(1.0), line), 1.0);
}

vec4 transition(vec2 uv) {
  vec4 plain = t_transition(uv);
  if (progress <= 0.0 || progress >= 1.0) return plain;
  float w = 1.000 * sin(3.14159265 * progress);
  return mix(plain, e_effect(uv), w);
}
