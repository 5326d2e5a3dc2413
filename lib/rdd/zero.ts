/**
 * Zero values of fold/foldByKey/aggregateByKey. Spark serializes the zero value and so hands each
 * partition (and each key) its own copy; a mutable zero such as `[]` must not be shared between
 * them here either.
 */

/** A fresh copy of `zero` when it is an object (structured clone), else `zero` itself. */
export function cloneZero<Z>(zero: Z): Z {
  if (typeof zero !== "object" || zero === null) return zero;
  try {
    return structuredClone(zero);
  } catch {
    // Not cloneable (holds functions or class instances with hidden state): share it, as documented.
    return zero;
  }
}
