// Folds the picture into mirrored wedges around the centre, slowly turning.
uniform float segments; // = 3
uniform float spin; // = 0.1
vec4 effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float a = atan(p.y, p.x) + time * spin;
  float wedge = 6.28318531 / max(segments, 1.0);
  a = abs(mod(a, wedge) - wedge * 0.5);
  vec2 q = vec2(cos(a), sin(a)) * length(p);
  return getColor(q / vec2(ratio, 1.0) + 0.5);
}
