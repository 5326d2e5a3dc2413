/** A {@link FaultInjectingKv} that also records what each write was, for crash-point coverage. */
import { decodeKey } from "../../storage/keys.js";
import { FaultInjectingKv } from "../../storage/fault-kv.js";
import type { KvOp, KvWriteOptions } from "../../storage/kv.js";

/** What a write did, named by the engine step it belongs to. */
export type WriteKind = "meta" | "wal" | "plan" | "commit" | "snapshot" | "cleanup" | "other";

/** The engine step a write belongs to, from its keys. */
export function kindOf(ops: readonly KvOp[]): WriteKind {
  const puts = new Set(ops.filter((op) => op.type === "put").map((op) => decodeKey(op.key).space));
  if (puts.has("commit")) return "commit";
  if (puts.has("snapshot")) return "snapshot";
  if (puts.has("wal")) return "wal";
  if (puts.has("batch")) return "plan";
  if (puts.has("meta")) return "meta";
  // Deletes, with the WAL head rewritten when every block of a receiver goes.
  if (ops.length > 0 && [...puts].every((s) => s === "walhead")) return "cleanup";
  return "other";
}

/** Records the kind of every write call, crashed ones included. */
export class ObservedKv extends FaultInjectingKv {
  readonly kinds: WriteKind[] = [];

  override write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    this.kinds.push(kindOf(ops));
    return super.write(ops, options);
  }
}
