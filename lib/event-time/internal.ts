/**
 * The event-time streams, in dependency order. Loaded through lib/dstream/internal.ts (after every
 * DStream class they extend); import them from there, never from their files.
 */
export * from "./window-spec.js";
export * from "./window-store.js";
export * from "./watermark-tracker.js";
export * from "./watermarked-dstream.js";
export * from "./fixed-windows.js";
export * from "./session-windows.js";
export * from "./event-time-window-dstream.js";
export * from "./event-time-outputs.js";
export * from "./event-time-dstream.js";
export * as eventTimeFunctions from "./functions.js";
