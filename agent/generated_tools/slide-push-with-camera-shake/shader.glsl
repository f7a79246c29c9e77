uniform vec2 t_direction; // = vec2(-1.0, 0.0)
vec4 t_transition(vec2 uv) {
  vec2 shift = normalize(t_direction) * progress;
  vec2 a = uv - shift;
  vec2 b = uv - shift + normalize(t_direction);
  bool in_a = a.x >= 0.0 && a.x <= 1.0 && a.y >= 0.0 && a.y <= 1.0;
  return in_a ? getFromColor(a) : getToColor(b);
}

uniform float e_amount; // = 0.02
vec4 e_effect(vec2 uv) {
  float k = (1.0 - progress) * (1.0 - progress);
  vec2 off = vec2(sin(progress * 71.0), cos(progress * 53.0)) * e_amount * k;
  return t_transition((uv - 0.5) / (1.0 + 2.0 * e_amount) + 0.5 + off);
}

vec4 transition(vec2 uv) {
  vec4 plain = t_transition(uv);
  if (progress <= 0.0 || progress >= 1.0) return plain;
  float w = 1.000 * sin(3.14159265 * progress);
  return mix(plain, e_effect(uv), w);
}
