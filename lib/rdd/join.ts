/**
 * cogroup and the joins built on it, as Spark's PairRDDFunctions. Output keys come in order of
 * first appearance (this RDD first, then the other); for each key the pairs follow Spark's nested
 * loop: every value of this with every value of the other, in arrival order.
 */
import { RDD } from "./rdd.js";
import { KeyMap } from "./key-map.js";
import { groupPartitions } from "./shuffle.js";
import { numPartitionsOr, describe } from "./validate.js";

function checkOther(other: unknown, what: string): void {
  if (!(other instanceof RDD)) throw new TypeError(`${what}(other) expects an RDD of pairs; got ${describe(other)}`);
}

/** See {@link RDD.cogroup}. Default numPartitions: the larger of the parents' (at least 1). */
export function cogroup<K, V, W>(a: RDD<[K, V]>, b: RDD<[K, W]>, numPartitions?: number, what = "cogroup"): RDD<[K, [V[], W[]]]> {
  checkOther(b, what);
  const n = numPartitionsOr(numPartitions, Math.max(a.numPartitions, b.numPartitions), `${what}(other, numPartitions)`);
  return RDD.deferred(n, () =>
    groupPartitions<K>([a, b], n).map((m) => Array.from(m.entries()) as unknown as [K, [V[], W[]]][]),
  );
}

type Emit<K, V, W> = (pair: [K, [V, W]]) => void;

/** A join as a fused flatMap over the cogroup: `fill` decides what an empty side becomes. */
function joinWith<K, V, W, V2, W2>(
  a: RDD<[K, V]>,
  b: RDD<[K, W]>,
  numPartitions: number | undefined,
  what: string,
  keepLeftOnly: boolean,
  keepRightOnly: boolean,
): RDD<[K, [V2, W2]]> {
  return cogroup(a, b, numPartitions, what).narrow<[K, [V2, W2]]>((emit: Emit<K, V2, W2>) => ([k, [vs, ws]]) => {
    if (vs.length > 0 && ws.length > 0) {
      for (const v of vs) for (const w of ws) emit([k, [v as unknown as V2, w as unknown as W2]]);
    } else if (ws.length === 0 && keepLeftOnly) {
      for (const v of vs) emit([k, [v as unknown as V2, undefined as W2]]);
    } else if (vs.length === 0 && keepRightOnly) {
      for (const w of ws) emit([k, [undefined as V2, w as unknown as W2]]);
    }
  });
}

/** See {@link RDD.join}. */
export function join<K, V, W>(a: RDD<[K, V]>, b: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V, W]]> {
  return joinWith<K, V, W, V, W>(a, b, numPartitions, "join", false, false);
}

/** See {@link RDD.leftOuterJoin}. */
export function leftOuterJoin<K, V, W>(a: RDD<[K, V]>, b: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V, W | undefined]]> {
  return joinWith<K, V, W, V, W | undefined>(a, b, numPartitions, "leftOuterJoin", true, false);
}

/** See {@link RDD.rightOuterJoin}. */
export function rightOuterJoin<K, V, W>(a: RDD<[K, V]>, b: RDD<[K, W]>, numPartitions?: number): RDD<[K, [V | undefined, W]]> {
  return joinWith<K, V, W, V | undefined, W>(a, b, numPartitions, "rightOuterJoin", false, true);
}

/** See {@link RDD.fullOuterJoin}. */
export function fullOuterJoin<K, V, W>(
  a: RDD<[K, V]>,
  b: RDD<[K, W]>,
  numPartitions?: number,
): RDD<[K, [V | undefined, W | undefined]]> {
  return joinWith<K, V, W, V | undefined, W | undefined>(a, b, numPartitions, "fullOuterJoin", true, true);
}

/** See {@link RDD.subtractByKey}. Default numPartitions: this RDD's (at least 1), as Spark. */
export function subtractByKey<K, V, W>(a: RDD<[K, V]>, b: RDD<[K, W]>, numPartitions?: number): RDD<[K, V]> {
  checkOther(b, "subtractByKey");
  const n = numPartitionsOr(numPartitions, a.numPartitions, "subtractByKey(other, numPartitions)");
  return RDD.deferred(n, () => {
    // Group the pairs themselves so the output keeps the caller's pair objects.
    const maps = groupPartitions<K>([a.map((kv) => [kv[0], kv] as [K, [K, V]])], n) as unknown as KeyMap<K, [K, V][][]>[];
    const drop = new KeyMap<K, true>();
    b.forEachRecord((kv) => drop.set(kv[0], true));
    return maps.map((m) => {
      const out: [K, V][] = [];
      for (const [k, [pairs]] of m.entries()) {
        if (!drop.has(k)) for (const kv of pairs as [K, V][]) out.push(kv);
      }
      return out;
    });
  });
}
