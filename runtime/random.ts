// Seedable pseudo-random numbers for rand / randn: xoshiro128** seeded through
// splitmix32, so a seed gives the same stream on every platform and run.

const TWO_PI = 2 * Math.PI;

/** splitmix32: spreads a seed's bits so nearby seeds give unrelated streams. */
function splitmix32(state: number): [number, number] {
  state = (state + 0x9e3779b9) | 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [state, (z ^ (z >>> 16)) >>> 0];
}

export class Generator {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  constructor(seed: number = Date.now()) {
    this.seed(seed);
  }

  /** Restarts the stream; any finite number is a seed (integers up to 2^53 keep all their bits). */
  seed(seed: number): this {
    if (typeof seed !== "number" || !Number.isFinite(seed)) {
      throw new TypeError(`manualSeed: seed must be a finite number, got ${String(seed)}`);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(seed / 4294967296) >>> 0;
    let st = lo ^ Math.imul(hi, 0x27d4eb2d);
    let v: number;
    [st, v] = splitmix32(st); this.s0 = v;
    [st, v] = splitmix32(st ^ hi); this.s1 = v;
    [st, v] = splitmix32(st); this.s2 = v;
    [st, v] = splitmix32(st); this.s3 = v;
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // the all-zero state is a fixed point
    return this;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    const s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    this.s1 = s1 ^ n2;
    this.s0 = s0 ^ n3;
    this.s2 = n2 ^ t;
    this.s3 = (n3 << 11) | (n3 >>> 21);
    return r >>> 0;
  }

  /** Uniform on [0, 1) with 53 random bits (every float64 multiple of 2^-53). */
  nextDouble(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform on [0, 1) with 24 random bits, exact in float32 (never rounds up to 1). */
  nextFloat(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Fills `out` with uniform samples on [0, 1) at the precision of its type. */
  fillUniform(out: Float32Array | Float64Array): void {
    if (out instanceof Float64Array) for (let i = 0; i < out.length; i++) out[i] = this.nextDouble();
    else for (let i = 0; i < out.length; i++) out[i] = this.nextFloat();
  }

  /** Fills `out` with standard normal samples (Box-Muller, both values of each pair used). */
  fillNormal(out: Float32Array | Float64Array): void {
    const n = out.length;
    for (let i = 0; i < n; i += 2) {
      const u1 = 1 - this.nextDouble(); // (0, 1]: log stays finite
      const u2 = this.nextDouble();
      const r = Math.sqrt(-2 * Math.log(u1));
      out[i] = r * Math.cos(TWO_PI * u2);
      if (i + 1 < n) out[i + 1] = r * Math.sin(TWO_PI * u2);
    }
  }
}

/** The generator rand / randn use when no seed is given. */
export const defaultGenerator = /* @__PURE__ */ new Generator(); // pure: a bundle that never draws random numbers drops it

/** Reseeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number): Generator {
  return defaultGenerator.seed(seed);
}
