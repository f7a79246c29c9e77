uniform float a_amount; // = 0.012
uniform vec2 a_direction; // = vec2(1.0, 0.3)
vec4 a_effect(vec2 uv) {
  vec2 off = normalize(a_direction) * a_amount * (0.3 + 0.7 * (1.0 - beat));
  return vec4(getColor(uv + off).r, getColor(uv).g, getColor(uv - off).b, 1.0);
}

uniform float b_wobble; // = 0.004
uniform float b_scanlines; // = 0.18
vec4 b_effect(vec2 uv) {
  float wob = sin(uv.y * 40.0 + time * 9.0) * b_wobble;
  vec2 q = vec2(uv.x + wob, uv.y);
  vec3 c = vec3(a_effect(q + vec2(0.003, 0.0)).r, a_effect(q).g, a_effect(q - vec2(0.003, 0.0)).b);
  float line = 1.0 - b_scanlines * (0.5 + 0.5 * sin(uv.y * resolution.y * 3.14159265));
  float band = smoothstep(0.06, 0.0, abs(fract(uv.y - time * 0.15) - 0.5)) * 0.12;
  return vec4(c * line + band, 1.0);
}

vec4 effect(vec2 uv) { return b_effect(uv); }
