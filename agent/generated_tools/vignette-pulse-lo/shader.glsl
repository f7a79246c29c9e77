// A dark vignette that breathes with the beat and the music's energy.
uniform float strength; // = 0.3
uniform float radius; // = 0.375
vec4 effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float pulse = 1.0 - 0.25 * (1.0 - beat) * energy;
  float v = smoothstep(radius * pulse, radius * pulse - 0.45, length(p));
  return vec4(getColor(uv).rgb * mix(1.0 - strength, 1.0, v), 1.0);
}
