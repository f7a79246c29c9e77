// Flashes to white on each beat, fading out over the beat.
uniform float strength; // = 0.8
uniform float decay; // = 4.0
vec4 effect(vec2 uv) {
  float f = strength * exp(-decay * beat);
  return vec4(mix(getColor(uv).rgb, vec3(1.0), f), 1.0);
}
