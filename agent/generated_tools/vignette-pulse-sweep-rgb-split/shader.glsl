uniform float a_strength; // = 0.6
uniform float a_radius; // = 0.75
vec4 a_effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float pulse = 1.0 - 0.25 * (1.0 - beat) * energy;
  float v = smoothstep(a_radius * pulse, a_radius * pulse - 0.45, length(p));
  return vec4(getColor(uv).rgb * mix(1.0 - a_strength, 1.0, v), 1.0);
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
