/** Storage: the write-ahead log, checkpoint records, key layout and codec. Re-exports only. */
export * from "./checkpoint-store.js";
export { CODEC_VERSION, decodeValue, encodeValue } from "./codec.js";
export { FaultInjectingKv, SimulatedCrash, type FaultOptions } from "./fault-kv.js";
export { PassThroughKv } from "./pass-through-kv.js";
export * from "./keys.js";
export { collect, type KvOp, type KvRange, type KvStore, type KvWriteOptions } from "./kv.js";
export { LevelKv } from "./level-kv.js";
export { MemoryKv } from "./memory-kv.js";
export { Wal, type AppendOptions, type WalBlock, type WalHead } from "./wal.js";
