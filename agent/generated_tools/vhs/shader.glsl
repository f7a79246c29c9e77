// Worn tape: scanlines, colour bleed, a rolling bright band and wobble.
uniform float wobble; // = 0.004
uniform float scanlines; // = 0.18
vec4 effect(vec2 uv) {
  float wob = sin(uv.y * 40.0 + time * 9.0) * wobble;
  vec2 q = vec2(uv.x + wob, uv.y);
  vec3 c = vec3(getColor(q + vec2(0.003, 0.0)).r, getColor(q).g, getColor(q - vec2(0.003, 0.0)).b);
  float line = 1.0 - scanlines * (0.5 + 0.5 * sin(uv.y * resolution.y * 3.14159265));
  float band = smoothstep(0.06, 0.0, abs(fract(uv.y - time * 0.15) - 0.5)) * 0.12;
  return vec4(c * line + band, 1.0);
}
