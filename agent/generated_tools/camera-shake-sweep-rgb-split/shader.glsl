uniform float a_amount; // = 0.02
vec4 a_effect(vec2 uv) {
  float k = (1.0 - beat) * (1.0 - beat);
  vec2 off = vec2(sin(time * 71.0), cos(time * 53.0)) * a_amount * k;
  return getColor((uv - 0.5) / (1.0 + 2.0 * a_amount) + 0.5 + off);
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
