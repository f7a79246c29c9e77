uniform float a_vertical; // = 0.0
vec4 a_effect(vec2 uv) {
  vec2 q = uv;
  if (a_vertical > 0.5) q.y = 0.5 - abs(uv.y - 0.5); else q.x = 0.5 - abs(uv.x - 0.5);
  return getColor(q);
}

uniform float b_amount; // = 0.012
uniform vec2 b_direction; // = vec2(1.0, 0.3)
vec4 b_effect(vec2 uv) {
  vec2 off = normalize(b_direction) * b_amount * (0.3 + 0.7 * (1.0 - beat));
  return vec4(getColor(uv + off).r, getColor(uv).g, getColor(uv - off).b, 1.0);
}

vec4 effect(vec2 uv) {
  float m = clamp(smoothstep(-0.05, 0.05, uv.x + uv.y - 2.0 * progress), 0.0, 1.0);
  return mix(a_effect(uv), b_effect(uv), m);
}
