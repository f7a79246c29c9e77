// Chromatic aberration: red and blue pulled apart, hardest on the beat.
uniform float amount; // = 0.0216
uniform vec2 direction; // = vec2(1.0, 0.3)
vec4 effect(vec2 uv) {
  vec2 off = normalize(direction) * amount * (0.3 + 0.7 * (1.0 - beat));
  return vec4(getColor(uv + off).r, getColor(uv).g, getColor(uv - off).b, 1.0);
}
