// The incoming shot opens from a circle around a centre point.
uniform vec2 center; // = vec2(0.5, 0.5)
uniform float softness; // = 0.08
vec4 transition(vec2 uv) {
  vec2 p = (uv - center) * vec2(ratio, 1.0);
  float reach = length(vec2(ratio, 1.0)) * 0.5 + softness + length(center - 0.5) * 2.0;
  float r = progress * reach;
  float m = smoothstep(r - softness, r, length(p));
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), getFromColor(uv), m);
}
