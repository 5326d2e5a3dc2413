import { SimulatedCrash } from "../../storage/fault-kv.js";
import { decodeKey } from "../../storage/keys.js";
import type { KvOp, KvWriteOptions } from "../../storage/kv.js";
import { PassThroughKv } from "../../storage/pass-through-kv.js";

/**
 * A store whose process "dies" right before a batch's commit write once `armed`: the batch's
 * output operations have run (sinks wrote), its commit never reaches the disk. Every later write
 * fails too, as in a dead process. The crash point "between a sink's commit and dstream's commit".
 */
export class CrashBeforeCommitKv extends PassThroughKv {
  armed = false;
  crashed = false;

  override async write(ops: KvOp[], options: KvWriteOptions): Promise<void> {
    if (this.armed && ops.some((op) => op.type === "put" && decodeKey(op.key).space === "commit")) this.crashed = true;
    if (this.crashed) throw new SimulatedCrash(-1);
    return this.inner.write(ops, options);
  }

  /** A dead process closes nothing: the test closes the inner store itself. */
  override async close(): Promise<void> {
    if (!this.crashed) await this.inner.close();
  }
}
