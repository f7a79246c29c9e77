uniform float a_strength; // = 0.8
uniform float a_decay; // = 4.0
vec4 a_effect(vec2 uv) {
  float f = a_strength * exp(-a_decay * beat);
  return vec4(mix(getColor(uv).rgb, vec3(1.0), f), 1.0);
}

uniform float b_strength; // = 0.6
uniform float b_radius; // = 0.75
vec4 b_effect(vec2 uv) {
  vec2 p = (uv - 0.5) * vec2(ratio, 1.0);
  float pulse = 1.0 - 0.25 * (1.0 - beat) * energy;
  float v = smoothstep(b_radius * pulse, b_radius * pulse - 0.45, length(p));
  return vec4(getColor(uv).rgb * mix(1.0 - b_strength, 1.0, v), 1.0);
}

vec4 effect(vec2 uv) {
  float m = clamp(smoothstep(0.15, 0.45, beat), 0.0, 1.0);
  return mix(a_effect(uv), b_effect(uv), m);
}
