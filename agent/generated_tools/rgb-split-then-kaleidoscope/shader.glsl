uniform float a_amount; // = 0.012
uniform vec2 a_direction; // = vec2(1.0, 0.3)
vec4 a_effect(vec2 uv) {
  vec2 off = normalize(a_direction) * a_amount * (0.3 + 0.7 * (1.0 - beat));
  return vec4(getColor(uv + off).r, getColor(uv).g, getColor(uv - off).b, 1.0);
}

uniform float b_segments; // = 6.0
uniform float b_spin; // = 0.2
vec4 b_effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float a = atan(p.y, p.x) + time * b_spin;
  float wedge = 6.28318531 / max(b_segments, 1.0);
  a = abs(mod(a, wedge) - wedge * 0.5);
  vec2 q = vec2(cos(a), sin(a)) * length(p);
  return a_effect(q / vec2(ratio, 1.0) + 0.5);
}

vec4 effect(vec2 uv) { return b_effect(uv); }
