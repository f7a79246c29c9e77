// A plain crossfade with an adjustable curve: 1 is linear, above 1 holds the outgoing shot longer.
uniform float curve; // = 1.0
vec4 transition(vec2 uv) {
  return mix(getFromColor(uv), getToColor(uv), pow(progress, curve));
}
