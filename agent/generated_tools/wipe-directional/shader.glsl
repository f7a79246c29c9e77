// A straight wipe across the frame in any direction, with a soft edge.
uniform vec2 direction; // = vec2(1.0, 0.0)
uniform float softness; // = 0.05
vec4 transition(vec2 uv) {
  vec2 d = normalize(direction);
  float along = dot(uv - 0.5, d) / (abs(d.x) * 0.5 + abs(d.y) * 0.5) * 0.5 + 0.5;
  float edge = progress * (1.0 + 2.0 * softness) - softness;
  float m = smoothstep(edge - softness, edge + softness, along);
  if (progress <= 0.0) return getFromColor(uv);
  if (progress >= 1.0) return getToColor(uv);
  return mix(getToColor(uv), getFromColor(uv), m);
}
