/**
 * Deterministic hash partitioning: the same key lands in the same partition in every run and
 * every process, so shuffles and keyed state split the same way.
 */
import { canonicalKey } from "./key-map.js";
import { requireNumPartitions } from "./validate.js";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a over the UTF-16 code units of `s`, as an unsigned integer. */
export function fnv1a(s: string): number {
  let h = FNV_OFFSET;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** The hash of a key: FNV-1a of its canonical encoding, so keys equal by value hash alike. */
export function hashKey(key: unknown): number {
  return fnv1a(canonicalKey(key));
}

/** Spark's HashPartitioner: a key goes to `hashKey(key) mod numPartitions`. */
export class HashPartitioner {
  /** Number of output partitions, ≥ 1. */
  readonly numPartitions: number;

  constructor(numPartitions: number) {
    this.numPartitions = requireNumPartitions(numPartitions, "HashPartitioner(numPartitions)");
  }

  /** The partition of `key`, in [0, numPartitions). With one partition no hash is computed. */
  getPartition(key: unknown): number {
    return this.numPartitions === 1 ? 0 : hashKey(key) % this.numPartitions;
  }
}
