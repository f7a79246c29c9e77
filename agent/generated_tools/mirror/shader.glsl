// Mirrors one half of the frame onto the other (0: left to right, 1: top to bottom).
uniform float vertical; // = 0.0
vec4 effect(vec2 uv) {
  vec2 q = uv;
  if (vertical > 0.5) q.y = 0.5 - abs(uv.y - 0.5); else q.x = 0.5 - abs(uv.x - 0.5);
  return getColor(q);
}
