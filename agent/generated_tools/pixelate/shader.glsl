// Blocks of flat colour; the blocks grow with the music's energy.
uniform float blocks; // = 64.0
uniform float energy_scale; // = 0.5
vec4 effect(vec2 uv) {
  float n = max(4.0, blocks * (1.0 - energy_scale * energy));
  vec2 cell = vec2(n * ratio, n);
  return getColor((floor(uv * cell) + 0.5) / cell);
}
