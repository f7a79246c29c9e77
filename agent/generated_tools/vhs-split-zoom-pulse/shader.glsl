uniform float a_wobble; // = 0.004
uniform float a_scanlines; // = 0.18
vec4 a_effect(vec2 uv) {
  float wob = sin(uv.y * 40.0 + time * 9.0) * a_wobble;
  vec2 q = vec2(uv.x + wob, uv.y);
  vec3 c = vec3(getColor(q + vec2(0.003, 0.0)).r, getColor(q).g, getColor(q - vec2(0.003, 0.0)).b);
  float line = 1.0 - a_scanlines * (0.5 + 0.5 * sin(uv.y * resolution.y * 3.14159265));
  float band = smoothstep(0.06, 0.0, abs(fract(uv.y - time * 0.15) - 0.5)) * 0.12;
  return vec4(c * line + band, 1.0);
}

uniform float b_amount; // = 0.12
vec4 b_effect(vec2 uv) {
  float z = 1.0 + b_amount * (1.0 - beat) * (1.0 - beat);
  return getColor((uv - 0.5) / z + 0.5);
}

vec4 effect(vec2 uv) {
  float m = clamp(smoothstep(0.48, 0.52, uv.x), 0.0, 1.0);
  return mix(a_effect(uv), b_effect(uv), m);
}
