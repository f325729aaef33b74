// The WGSL math library: JavaScript's Math in f32, with IEEE's edges (NaN,
// infinities, signed zeros) and accuracy the drivers' builtins do not promise
// (SwiftShader's sin and cos are off by up to 2e-4). The scalar kernels
// (compiler/emit/wgsl/scalar-kernel.ts) and the elementwise ops' kernels
// (compiler/ops/elementwise.ts's `wgslHelpers`) call the same functions.
// `jacc_inf` and `jacc_nan` read two private variables (WGSL has no literal
// for them): `mathText` declares them where they are used.

export const MATH: Record<string, { deps?: string[]; code: string }> = {
  jacc_inf: { code: "fn jacc_inf() -> f32 { return bitcast<f32>(jacc_bits_inf); }" },
  jacc_nan: { code: "fn jacc_nan() -> f32 { return bitcast<f32>(jacc_bits_nan); }" },
  jacc_isnan: { code: "// NaN tested on its bits (a compiler may fold x != x)\nfn jacc_isnan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }" },
  jacc_isinf: { code: "fn jacc_isinf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }" },
  jacc_max: {
    deps: ["jacc_isnan", "jacc_nan"],
    code: "// Math.max: NaN if either is NaN (WGSL's max returns the other operand)\nfn jacc_max(a: f32, b: f32) -> f32 {\n  if (jacc_isnan(a) || jacc_isnan(b)) { return jacc_nan(); }\n  return max(a, b);\n}",
  },
  jacc_min: {
    deps: ["jacc_isnan", "jacc_nan"],
    code: "// Math.min: NaN if either is NaN\nfn jacc_min(a: f32, b: f32) -> f32 {\n  if (jacc_isnan(a) || jacc_isnan(b)) { return jacc_nan(); }\n  return min(a, b);\n}",
  },
  jacc_sign: { code: "// Math.sign: -1, 1, or x itself (±0, NaN)\nfn jacc_sign(x: f32) -> f32 { return select(select(x, -1.0, x < 0.0), 1.0, x > 0.0); }" },
  jacc_round: { code: "// Math.round: halves round up (WGSL's round goes to even)\nfn jacc_round(x: f32) -> f32 {\n  let f = floor(x);\n  return select(f, f + 1.0, x - f >= 0.5);\n}" },
  jacc_fmod: {
    deps: ["jacc_isinf", "jacc_isnan", "jacc_nan"],
    code: "// JS %: the remainder of truncated division, with the dividend's sign; x % ±Infinity = x\nfn jacc_fmod(a: f32, b: f32) -> f32 {\n  if (jacc_isnan(a) || jacc_isnan(b) || jacc_isinf(a) || b == 0.0) { return jacc_nan(); }\n  if (jacc_isinf(b)) { return a; }\n  let ab = abs(b);\n  var r = abs(a);\n  if (r < ab) { return a; }\n  // exact reduction: subtract ab·2^k for decreasing k (each step is exact in binary floating point)\n  var m = ab * exp2(floor(log2(r / ab)));\n  if (m > r) { m = m * 0.5; }\n  loop {\n    if (m < ab) { break; }\n    if (r >= m) { r = r - m; }\n    m = m * 0.5;\n  }\n  return select(r, -r, a < 0.0);\n}",
  },
  jacc_pow: {
    deps: ["jacc_nan", "jacc_inf", "jacc_isnan"],
    code:
      "// x ** y as JavaScript defines it: negative bases with integer exponents, x ** 0 = 1, 1 ** NaN = NaN\nfn jacc_pow(x: f32, y: f32) -> f32 {\n  if (y == 0.0) { return 1.0; }\n  if (jacc_isnan(x) || jacc_isnan(y)) { return jacc_nan(); }\n  let ay = abs(y);\n  let yInt = floor(y) == y;\n  let yOdd = yInt && ay < 16777216.0 && floor(ay * 0.5) * 2.0 != ay;\n  if (x == 0.0) {\n    if (y > 0.0) { return select(0.0, x, yOdd); }\n    return select(jacc_inf(), select(jacc_inf(), -jacc_inf(), bitcast<u32>(x) != 0u), yOdd);\n  }\n  if (x < 0.0 && !yInt) { return jacc_nan(); }\n  if (abs(x) == 1.0 && abs(y) > 3.4e38) { return jacc_nan(); }\n  let m = exp2(y * log2(abs(x)));\n  return select(m, -m, x < 0.0 && yOdd);\n}",
  },
  jacc_log: {
    deps: ["jacc_nan", "jacc_inf"],
    code: "// log with IEEE's edges (a driver may return log|x| or a finite value for x <= 0)\nfn jacc_log(x: f32) -> f32 {\n  if (x < 0.0) { return jacc_nan(); }\n  if (x == 0.0) { return -jacc_inf(); }\n  return log(x);\n}",
  },
  jacc_log2: {
    deps: ["jacc_nan", "jacc_inf"],
    code: "fn jacc_log2(x: f32) -> f32 {\n  if (x < 0.0) { return jacc_nan(); }\n  if (x == 0.0) { return -jacc_inf(); }\n  return log2(x);\n}",
  },
  jacc_sqrt: {
    deps: ["jacc_nan"],
    code: "fn jacc_sqrt(x: f32) -> f32 {\n  if (x < 0.0) { return jacc_nan(); }\n  return sqrt(x);\n}",
  },
  jacc_log10: { deps: ["jacc_log2"], code: "fn jacc_log10(x: f32) -> f32 { return jacc_log2(x) * 0.30102999566398120; }" },
  jacc_log1p: {
    deps: ["jacc_log"],
    code: "// log(1 + x), accurate near 0 (series below |x| = 1/16)\nfn jacc_log1p(x: f32) -> f32 {\n  if (abs(x) < 0.0625) {\n    return x * (1.0 + x * (-0.5 + x * (0.33333333 + x * (-0.25 + x * (0.2 + x * (-0.16666667 + x * (0.14285714 + x * -0.125)))))));\n  }\n  return jacc_log(1.0 + x);\n}",
  },
  jacc_expm1: {
    code: "// exp(x) - 1, accurate near 0 (series below |x| = 1/16)\nfn jacc_expm1(x: f32) -> f32 {\n  if (abs(x) < 0.0625) {\n    return x * (1.0 + x * (0.5 + x * (0.16666667 + x * (0.041666668 + x * (0.008333334 + x * (0.0013888889 + x * 0.0001984127))))));\n  }\n  return exp(x) - 1.0;\n}",
  },
  jacc_cbrt: {
    code: "// the real cube root (one Newton step after pow for full f32 accuracy)\nfn jacc_cbrt(x: f32) -> f32 {\n  let a = abs(x);\n  if (a == 0.0 || a > 3.4e38) { return x; }\n  var r = exp2(log2(a) / 3.0);\n  r = r - (r * r * r - a) / (3.0 * r * r);\n  return select(r, -r, x < 0.0);\n}",
  },
  jacc_sin: {
    deps: ["jacc_sincos"],
    code: "fn jacc_sin(x: f32) -> f32 { return jacc_sincos(x).x; }",
  },
  jacc_cos: {
    deps: ["jacc_sincos"],
    code: "fn jacc_cos(x: f32) -> f32 { return jacc_sincos(x).y; }",
  },
  jacc_tan: {
    deps: ["jacc_sincos"],
    code: "fn jacc_tan(x: f32) -> f32 {\n  let sc = jacc_sincos(x);\n  return sc.x / sc.y;\n}",
  },
  jacc_sincos: {
    deps: ["jacc_nan"],
    code:
      "// (sin x, cos x): reduction by π/2 in three parts (Cody–Waite) and Cephes' f32 polynomials on [-π/4, π/4]\n// (WGSL's sin and cos only promise an absolute error of 2^-11 on [-π, π])\nfn jacc_sincos(x: f32) -> vec2<f32> {\n  if (!(abs(x) <= 3.4e38)) { return vec2<f32>(jacc_nan(), jacc_nan()); }\n  let k = floor(x * 0.63661977236758134 + 0.5);\n  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;\n  let z = r * r;\n  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));\n  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));\n  let q = i32(k - 4.0 * floor(k * 0.25));\n  switch (q) {\n    case 0: { return vec2<f32>(s, c); }\n    case 1: { return vec2<f32>(c, -s); }\n    case 2: { return vec2<f32>(-s, -c); }\n    default: { return vec2<f32>(-c, s); }\n  }\n}",
  },
  jacc_atan: {
    code:
      "// atan with Cephes' f32 polynomial after reduction to |t| <= tan(π/8)\nfn jacc_atan(x: f32) -> f32 {\n  let a = abs(x);\n  var y = 0.0;\n  var t = a;\n  if (a > 2.414213562373095) { y = 1.5707963267948966; t = -1.0 / a; }\n  else if (a > 0.4142135623730950) { y = 0.7853981633974483; t = (a - 1.0) / (a + 1.0); }\n  let z = t * t;\n  y = y + t + t * z * (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1);\n  return select(y, -y, x < 0.0);\n}",
  },
  jacc_atan2: {
    deps: ["jacc_atan", "jacc_isnan", "jacc_nan", "jacc_isinf"],
    code:
      "// Math.atan2(y, x), quadrants as C's atan2\nfn jacc_atan2(y: f32, x: f32) -> f32 {\n  if (jacc_isnan(x) || jacc_isnan(y)) { return jacc_nan(); }\n  let pi = 3.141592653589793;\n  let ny = bitcast<u32>(y) >> 31u != 0u;\n  let nx = bitcast<u32>(x) >> 31u != 0u;\n  if (y == 0.0) { return select(select(0.0, pi, nx), select(-0.0, -pi, nx), ny); }\n  if (x == 0.0) { return select(0.5 * pi, -0.5 * pi, ny); }\n  if (jacc_isinf(x) && jacc_isinf(y)) { let a = select(0.25 * pi, 0.75 * pi, nx); return select(a, -a, ny); }\n  if (jacc_isinf(x)) { return select(select(0.0, pi, nx), select(-0.0, -pi, nx), ny); }\n  if (jacc_isinf(y)) { return select(0.5 * pi, -0.5 * pi, ny); }\n  var a: f32;\n  if (abs(y) > abs(x)) { a = 0.5 * pi - jacc_atan(abs(x) / abs(y)); } else { a = jacc_atan(abs(y) / abs(x)); }\n  if (nx) { a = pi - a; }\n  return select(a, -a, ny);\n}",
  },
  jacc_asin: {
    deps: ["jacc_atan2", "jacc_nan"],
    code: "fn jacc_asin(x: f32) -> f32 {\n  if (!(abs(x) <= 1.0)) { return jacc_nan(); }\n  return jacc_atan2(x, sqrt((1.0 - x) * (1.0 + x)));\n}",
  },
  jacc_acos: {
    deps: ["jacc_atan2", "jacc_nan"],
    code: "fn jacc_acos(x: f32) -> f32 {\n  if (!(abs(x) <= 1.0)) { return jacc_nan(); }\n  return jacc_atan2(sqrt((1.0 - x) * (1.0 + x)), x);\n}",
  },
  jacc_sinh: {
    deps: ["jacc_expm1"],
    code: "// sinh through expm1: no cancellation near 0\nfn jacc_sinh(x: f32) -> f32 {\n  let a = abs(x);\n  var r: f32;\n  if (a < 1.0) { let e = jacc_expm1(a); r = 0.5 * (e + e / (e + 1.0)); }\n  else if (a < 88.0) { let e = exp(a); r = 0.5 * (e - 1.0 / e); }\n  else { let e = exp(0.5 * a); r = (0.5 * e) * e; }\n  return select(r, -r, x < 0.0);\n}",
  },
  jacc_cosh: {
    code: "fn jacc_cosh(x: f32) -> f32 {\n  let a = abs(x);\n  if (a < 88.0) { let e = exp(a); return 0.5 * (e + 1.0 / e); }\n  let e = exp(0.5 * a);\n  return (0.5 * e) * e;\n}",
  },
  jacc_tanh: {
    deps: ["jacc_expm1"],
    code: "// tanh through expm1 (WGSL's tanh may overflow to NaN for large |x|)\nfn jacc_tanh(x: f32) -> f32 {\n  let a = abs(x);\n  if (a > 20.0) { return select(1.0, -1.0, x < 0.0); }\n  if (!(a >= 0.0)) { return x; }\n  let e = jacc_expm1(2.0 * a);\n  let r = e / (e + 2.0);\n  return select(r, -r, x < 0.0);\n}",
  },
  jacc_asinh: {
    deps: ["jacc_log1p"],
    code: "// asinh(x) = sign(x) log1p(|x| + x² / (1 + √(1 + x²)))\nfn jacc_asinh(x: f32) -> f32 {\n  let a = abs(x);\n  var r: f32;\n  if (a > 1.0e18) { r = log(a) + 0.6931471805599453; }\n  else { r = jacc_log1p(a + a * a / (1.0 + sqrt(1.0 + a * a))); }\n  return select(r, -r, x < 0.0);\n}",
  },
  jacc_acosh: {
    deps: ["jacc_log1p", "jacc_nan"],
    code: "// acosh(x) = log1p(t + √(2t + t²)), t = x - 1\nfn jacc_acosh(x: f32) -> f32 {\n  if (!(x >= 1.0)) { return jacc_nan(); }\n  if (x > 1.0e18) { return log(x) + 0.6931471805599453; }\n  let t = x - 1.0;\n  return jacc_log1p(t + sqrt(2.0 * t + t * t));\n}",
  },
  jacc_atanh: {
    deps: ["jacc_log1p", "jacc_nan", "jacc_inf"],
    code: "// atanh(x) = log1p(2x / (1 - x)) / 2\nfn jacc_atanh(x: f32) -> f32 {\n  let a = abs(x);\n  if (!(a <= 1.0)) { return jacc_nan(); }\n  if (a == 1.0) { return select(jacc_inf(), -jacc_inf(), x < 0.0); }\n  let r = 0.5 * jacc_log1p(2.0 * a / (1.0 - a));\n  return select(r, -r, x < 0.0);\n}",
  },
  jacc_erf: {
    code: "// erf: its series below |x| = 0.5 (relative accuracy near 0), Abramowitz–Stegun 7.1.26 above (|error| < 1.5e-7)\nfn jacc_erf(x: f32) -> f32 {\n  let a = abs(x);\n  if (a < 0.5) {\n    let q = x * x;\n    return x * (1.1283791671 + q * (-0.3761263890 + q * (0.1128379167 + q * (-0.0268661706 + q * (0.0052239776 - q * 0.000854817)))));\n  }\n  let t = 1.0 / (1.0 + 0.3275911 * a);\n  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);\n  return select(y, -y, x < 0.0);\n}",
  },
  jacc_hypot: {
    deps: ["jacc_isinf", "jacc_isnan", "jacc_inf", "jacc_nan"],
    code: "// Math.hypot(a, b), scaled (no overflow); Infinity wins over NaN\nfn jacc_hypot(a: f32, b: f32) -> f32 {\n  if (jacc_isinf(a) || jacc_isinf(b)) { return jacc_inf(); }\n  if (jacc_isnan(a) || jacc_isnan(b)) { return jacc_nan(); }\n  let m = max(abs(a), abs(b));\n  if (m == 0.0) { return 0.0; }\n  let p = a / m;\n  let q = b / m;\n  return m * sqrt(p * p + q * q);\n}",
  },
};

export function closeMath(h: Iterable<string>): string[] {
  const out: string[] = [];
  const visit = (n: string) => {
    if (out.includes(n)) return;
    for (const d of MATH[n].deps ?? []) visit(d);
    out.push(n);
  };
  [...h].sort().forEach(visit);
  return out;
}

/** The functions `names` call, with those they call, declared before use, and the variables they read. */
export function mathText(names: Iterable<string>): string {
  const all = closeMath(names);
  const bits = all.includes("jacc_inf") || all.includes("jacc_nan") ? [MATH_BITS] : [];
  return [...bits, ...all.map((h) => MATH[h].code)].join("\n\n");
}

export const MATH_BITS = `var<private> jacc_bits_inf: u32 = 0x7f800000u; // (WGSL has no literal for them)\nvar<private> jacc_bits_nan: u32 = 0x7fc00000u;`;
