uniform float a_amount; // = 0.012
uniform vec2 a_direction; // = vec2(1.0, 0.3)
vec4 a_effect(vec2 uv) {
  vec2 off = normalize(a_direction) * a_amount * (0.3 + 0.7 * (1.0 - beat));
  return vec4(getColor(uv + off).r, getColor(uv).g, getColor(uv - off).b, 1.0);
}

uniform vec3 b_color; // = vec3(1.0, 0.35, 0.6)
uniform float b_strength; // = 0.5
vec4 b_effect(vec2 uv) {
  vec2 c = vec2(0.2 + 0.6 * progress, 0.3 + 0.2 * sin(time * 0.7));
  float d = length((uv - c) * vec2(ratio, 1.0));
  float glow = exp(-d * d * 6.0) * b_strength;
  return vec4(getColor(uv).rgb + b_color * glow, 1.0);
}

vec4 effect(vec2 uv) {
  float m = clamp(smoothstep(0.15, 0.45, beat), 0.0, 1.0);
  return mix(a_effect(uv), b_effect(uv), m);
}
