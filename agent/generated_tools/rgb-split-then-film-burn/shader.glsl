uniform float a_amount; // = 0.012
uniform vec2 a_direction; // = vec2(1.0, 0.3)
vec4 a_effect(vec2 uv) {
  vec2 off = normalize(a_direction) * a_amount * (0.3 + 0.7 * (1.0 - beat));
  return vec4(getColor(uv + off).r, getColor(uv).g, getColor(uv - off).b, 1.0);
}

uniform vec3 b_tint; // = vec3(1.0, 0.55, 0.2)
uniform float b_strength; // = 0.7
vec4 b_effect(vec2 uv) {
  float wave = 0.5 + 0.5 * sin(uv.y * 5.0 + time * 2.3);
  float glow = smoothstep(0.45, 0.0, uv.x - 0.15 * wave) * b_strength * (0.4 + 0.6 * energy);
  return vec4(a_effect(uv).rgb + b_tint * glow, 1.0);
}

vec4 effect(vec2 uv) { return b_effect(uv); }
