/**
 * A small seeded random source for the algorithms (random initial centers, mini-batch sampling):
 * mulberry32 for uniforms and Box–Muller for Gaussians. Seeded runs are reproducible, which
 * recovery needs (a re-run batch must sample the same points).
 */
export class SeededRandom {
  private a: number;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new TypeError(`seed must be a finite number; got ${String(seed)}`);
    this.a = mix(Math.floor(seed)) >>> 0;
  }

  /** A uniform number in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(this.a ^ (this.a >>> 15), 1 | this.a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A standard normal number. */
  nextGaussian(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }
}

/** A 32-bit seed from several integers (e.g. a batch time and an iteration), well mixed. */
export function deriveSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    // Batch times exceed 32 bits: fold the high part in too.
    h = mix(h ^ (p >>> 0));
    h = mix(h ^ Math.floor(p / 4294967296));
  }
  return h >>> 0;
}

/** murmur3's 32-bit finalizer. */
function mix(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
