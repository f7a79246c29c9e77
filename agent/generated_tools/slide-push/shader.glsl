// The incoming shot pushes the outgoing one out of frame.
uniform vec2 direction; // = vec2(-1.0, 0.0)
vec4 transition(vec2 uv) {
  vec2 shift = normalize(direction) * progress;
  vec2 a = uv - shift;
  vec2 b = uv - shift + normalize(direction);
  bool in_a = a.x >= 0.0 && a.x <= 1.0 && a.y >= 0.0 && a.y <= 1.0;
  return in_a ? getFromColor(a) : getToColor(b);
}
