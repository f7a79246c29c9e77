// Radial streaks towards the centre, like a comic-book rush; stronger with energy.
uniform float density; // = 162
uniform float strength; // = 0.9
float hash(float n) { return fract(sin(n * 91.7) * 43758.5453); }
vec4 effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float a = atan(p.y, p.x);
  float ray = hash(floor((a + 3.14159265) * density / 6.28318531) + floor(time * 12.0));
  float line = step(0.82, ray) * smoothstep(0.15, 0.6, length(p)) * strength * (0.3 + 0.7 * energy);
  return vec4(mix(getColor(uv).rgb, vec3(1.0), line), 1.0);
}
