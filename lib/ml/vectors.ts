/**
 * MLlib's vectors: a dense vector is a plain `number[]`; a sparse one lists its non-zero entries.
 * Models keep their numbers in Float64Arrays and the math below reads either form in place, so
 * training allocates nothing per element.
 */

/** A sparse vector (MLlib's `Vectors.sparse`): `size` entries, zero except `values[i]` at `indices[i]`. */
export interface SparseVector {
  readonly size: number;
  readonly indices: readonly number[];
  readonly values: readonly number[];
}

/** A vector as the streaming algorithms take it: dense `number[]` or sparse. */
export type Vector = readonly number[] | SparseVector;

/** A labelled example (MLlib's `LabeledPoint`). */
export interface LabeledPoint {
  label: number;
  features: Vector;
}

/** The size of `v`, or a TypeError naming `what` when `v` is no vector. */
export function vectorSize(v: unknown, what: string): number {
  if (Array.isArray(v)) return v.length;
  if (typeof v === "object" && v !== null) {
    const s = v as SparseVector;
    if (Number.isInteger(s.size) && s.size >= 0 && Array.isArray(s.indices) && Array.isArray(s.values) && s.indices.length === s.values.length) return s.size;
  }
  throw new TypeError(`${what} must be a vector: a number[] or { size, indices, values } with indices and values of equal length; got ${describe(v)}`);
}

/** Checks that `v` is a vector of `dim` entries; `what` names it in the error. */
export function checkVector(v: unknown, dim: number, what: string): asserts v is Vector {
  const n = vectorSize(v, what);
  if (n !== dim) throw new RangeError(`${what} must have ${dim} entries (the model's dimension); got ${n}`);
}

/** x · w[offset … offset + size). */
export function dot(x: Vector, w: Float64Array, offset = 0): number {
  let s = 0;
  if (isDense(x)) {
    for (let i = 0; i < x.length; i++) s += (x[i] as number) * (w[offset + i] as number);
  } else {
    const { indices, values } = x;
    for (let j = 0; j < indices.length; j++) s += (values[j] as number) * (w[offset + (indices[j] as number)] as number);
  }
  return s;
}

/** y[offset …] += a · x. */
export function axpy(a: number, x: Vector, y: Float64Array, offset = 0): void {
  if (isDense(x)) {
    for (let i = 0; i < x.length; i++) y[offset + i] = (y[offset + i] as number) + a * (x[i] as number);
  } else {
    const { indices, values } = x;
    for (let j = 0; j < indices.length; j++) {
      const i = offset + (indices[j] as number);
      y[i] = (y[i] as number) + a * (values[j] as number);
    }
  }
}

/**
 * ‖x − c‖² with c = centers[offset … offset + dim). For a sparse x it is ‖c‖² − 2 x·c + ‖x‖², with
 * `centerNorm2` = ‖c‖² computed once per batch rather than once per point.
 */
export function squaredDistance(x: Vector, centers: Float64Array, offset: number, dim: number, centerNorm2: number): number {
  if (isDense(x)) {
    let s = 0;
    for (let i = 0; i < dim; i++) {
      const d = (x[i] as number) - (centers[offset + i] as number);
      s += d * d;
    }
    return s;
  }
  let xx = 0;
  for (const v of x.values) xx += v * v;
  return Math.max(0, centerNorm2 - 2 * dot(x, centers, offset) + xx);
}

/** The entries of `v` as a dense array. */
export function toDense(v: Vector): number[] {
  if (isDense(v)) return v.slice();
  const out = new Array<number>(v.size).fill(0);
  for (let j = 0; j < v.indices.length; j++) out[v.indices[j] as number] = v.values[j] as number;
  return out;
}

function isDense(v: Vector): v is readonly number[] {
  return Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "object") return `an object with keys ${Object.keys(v).join(", ") || "(none)"}`;
  return `${typeof v} ${String(v)}`;
}
