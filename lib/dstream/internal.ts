/**
 * Every DStream class, exported in dependency order. The base class's operator methods create
 * subclasses and the subclasses extend the base, so modules load through this file: it evaluates
 * the base first, then the subclasses. Import DStream classes from here, never from their files.
 */
export * from "./dstream.js";
export * from "./per-batch.js";
export * from "./transformed.js";
export * from "./union.js";
export * from "./windowed.js";
export * from "./for-each.js";
export * from "./output.js";
export * from "./input.js";
export * from "./queue-input.js";
export * from "./state-operator.js";
export * from "./state-dstream.js";
export * from "./state.js";
export * from "./map-with-state.js";
export * from "./reduced-windowed.js";
export * from "./exchange.js";
export * as pairFunctions from "./pair-functions.js";
export * from "../event-time/internal.js";
