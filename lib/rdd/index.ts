/** The RDD layer: re-exports only. */
export { RDD, type Sink, type PartitionRunner } from "./rdd.js";
export { KeyMap, canonicalKey, isCompositeKey } from "./key-map.js";
export { HashPartitioner, hashKey, fnv1a } from "./partitioner.js";
export { compareKeys } from "./ordering.js";
