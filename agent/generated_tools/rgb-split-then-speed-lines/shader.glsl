uniform float a_amount; // = 0.012
uniform vec2 a_direction; // = vec2(1.0, 0.3)
vec4 a_effect(vec2 uv) {
  vec2 off = normalize(a_direction) * a_amount * (0.3 + 0.7 * (1.0 - beat));
  return vec4(getColor(uv + off).r, getColor(uv).g, getColor(uv - off).b, 1.0);
}

uniform float b_density; // = 90.0
uniform float b_strength; // = 0.5
float b_hash(float n) { return fract(sin(n * 91.7) * 43758.5453); }
vec4 b_effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float a = atan(p.y, p.x);
  float ray = b_hash(floor((a + 3.14159265) * b_density / 6.28318531) + floor(time * 12.0));
  float line = step(0.82, ray) * smoothstep(0.15, 0.6, length(p)) * b_strength * (0.3 + 0.7 * energy);
  return vec4(mix(a_effect(uv).rgb, vec3(1.0), line), 1.0);
}

vec4 effect(vec2 uv) { return b_effect(uv); }
