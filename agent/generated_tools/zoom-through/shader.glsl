// Punch into the outgoing shot and land on the incoming one pulling back out.
uniform float strength; // = 0.6
vec4 transition(vec2 uv) {
  float zin = 1.0 + strength * progress * progress;
  float zout = 1.0 + strength * (1.0 - progress) * (1.0 - progress);
  vec4 a = getFromColor((uv - 0.5) / zin + 0.5);
  vec4 b = getToColor((uv - 0.5) / zout + 0.5);
  return mix(a, b, smoothstep(0.35, 0.65, progress));
}
