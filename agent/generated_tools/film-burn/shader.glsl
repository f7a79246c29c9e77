// Warm light bleeding in from one edge, brighter when the music is loud.
uniform vec3 tint; // = vec3(1.0, 0.55, 0.2)
uniform float strength; // = 0.7
vec4 effect(vec2 uv) {
  float wave = 0.5 + 0.5 * sin(uv.y * 5.0 + time * 2.3);
  float glow = smoothstep(0.45, 0.0, uv.x - 0.15 * wave) * strength * (0.4 + 0.6 * energy);
  return vec4(getColor(uv).rgb + tint * glow, 1.0);
}
