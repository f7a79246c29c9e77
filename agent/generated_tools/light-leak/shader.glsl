// A soft coloured blob of light drifting across the frame.
uniform vec3 color; // = vec3(1.0, 0.35, 0.6)
uniform float strength; // = 0.5
vec4 effect(vec2 uv) {
  vec2 c = vec2(0.2 + 0.6 * progress, 0.3 + 0.2 * sin(time * 0.7));
  float d = length((uv - c) * vec2(ratio, 1.0));
  float glow = exp(-d * d * 6.0) * strength;
  return vec4(getColor(uv).rgb + color * glow, 1.0);
}
