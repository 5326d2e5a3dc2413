import { CheckpointMismatchError, type GraphChange } from "../errors.js";

/** One operator as recorded in a graph fingerprint. */
export interface OperatorFingerprint {
  id: string;
  kind: string;
  dependencies: string[];
  slideDuration: number;
  windowDuration?: number;
  /** True for operators whose state is checkpointed. */
  stateful: boolean;
}

/** What identifies a graph for checkpoint compatibility: batch duration and operators. */
export interface GraphFingerprint {
  batchDuration: number;
  operators: OperatorFingerprint[];
}

/** True for an operator that reads from outside the graph (its plans are in the batch records). */
function isInput(op: OperatorFingerprint): boolean {
  return op.dependencies.length === 0;
}

/** True for an operator whose data the checkpoint binds: state, inputs and windows. */
function binds(op: OperatorFingerprint): boolean {
  return op.stateful || isInput(op) || op.windowDuration !== undefined;
}

/**
 * The ids of the nearest binding operators `op` reads from, through any stateless ones, sorted:
 * what the rewiring check compares. Stateless operators in between may come and go (their ids
 * follow creation order and shift when others are added), the bound data they pass on may not.
 */
function bindingSources(op: OperatorFingerprint, byId: ReadonlyMap<string, OperatorFingerprint>): string[] {
  const found = new Set<string>();
  const seen = new Set<string>();
  const todo = [...op.dependencies];
  while (todo.length > 0) {
    const id = todo.pop() as string;
    if (seen.has(id)) continue;
    seen.add(id);
    const dep = byId.get(id);
    if (dep === undefined || binds(dep)) found.add(id);
    else todo.push(...dep.dependencies);
  }
  return [...found].sort();
}

function describe(op: OperatorFingerprint): string {
  const window = op.windowDuration === undefined ? "" : ` window ${op.windowDuration} ms slide ${op.slideDuration} ms`;
  return `${op.kind} "${op.id}"${window}`;
}

/** {@link describe}, with the slide also for an operator without a window (what a window change changed). */
function describeSlide(op: OperatorFingerprint): string {
  return op.windowDuration === undefined ? `${describe(op)} slide ${op.slideDuration} ms` : describe(op);
}

/**
 * The differences between the graph stored with a checkpoint and the graph `setup` built that
 * make the checkpoint unusable: a changed batch duration, and any stateful, input or windowed
 * operator added, removed, re-typed, re-windowed or re-wired (reading from other stateful, windowed
 * or input operators). Changes to stateless operators (and to function bodies) are allowed.
 */
export function compareFingerprints(stored: GraphFingerprint, current: GraphFingerprint): GraphChange[] {
  const changes: GraphChange[] = [];
  if (stored.batchDuration !== current.batchDuration) {
    changes.push({ kind: "batch-duration-changed", before: `${stored.batchDuration} ms`, after: `${current.batchDuration} ms` });
  }
  const before = new Map(stored.operators.map((op) => [op.id, op]));
  const after = new Map(current.operators.map((op) => [op.id, op]));
  for (const [id, old] of before) {
    const now = after.get(id);
    if (now === undefined) {
      if (binds(old)) changes.push({ kind: "removed", operator: id, before: describe(old) });
      continue;
    }
    if (!binds(old) && !binds(now)) continue;
    // A stateless operator's id now taken by a binding one (or the reverse) reads as added/removed.
    if (!binds(old)) {
      changes.push({ kind: "added", operator: id, after: describe(now) });
      continue;
    }
    if (!binds(now)) {
      changes.push({ kind: "removed", operator: id, before: describe(old) });
      continue;
    }
    if (old.kind !== now.kind || old.stateful !== now.stateful) changes.push({ kind: "retyped", operator: id, before: describe(old), after: describe(now) });
    else if (old.windowDuration !== now.windowDuration || old.slideDuration !== now.slideDuration) {
      // An operator without a window slides with the batch: its change is the batch duration's, said above.
      const followsBatch = old.windowDuration === undefined && now.windowDuration === undefined && old.slideDuration === stored.batchDuration && now.slideDuration === current.batchDuration;
      if (!followsBatch) changes.push({ kind: "window-changed", operator: id, before: describeSlide(old), after: describeSlide(now) });
    } else if (old.stateful) {
      const was = bindingSources(old, before).join(", ");
      const is = bindingSources(now, after).join(", ");
      if (was !== is) changes.push({ kind: "rewired", operator: id, before: `inputs ${was}`, after: `inputs ${is}` });
    }
  }
  for (const [id, now] of after) {
    if (!before.has(id) && binds(now)) changes.push({ kind: "added", operator: id, after: describe(now) });
  }
  return changes;
}

/** How a checkpoint directory starts over. */
const RESTART_ADVICE = "start from an empty checkpoint directory";

/** A readable, multi-line report of `changes`; `fresh` says how to start over. */
export function formatChanges(dir: string, changes: readonly GraphChange[], fresh = RESTART_ADVICE): string {
  const lines = changes.map((c) => {
    switch (c.kind) {
      case "batch-duration-changed":
        return `  - batch duration changed: ${c.before} → ${c.after}`;
      case "added":
        return `  - operator added: ${c.after}`;
      case "removed":
        return `  - operator removed: ${c.before}`;
      default:
        return `  - operator ${c.operator} ${c.kind.replace("-", " ")}: ${c.before} → ${c.after}`;
    }
  });
  const batchOnly = changes.length === 1 && changes[0]?.kind === "batch-duration-changed";
  return [
    `The checkpoint in ${dir} was written by a different graph:`,
    ...lines,
    batchOnly
      ? `Restore batchDuration to ${changes[0]?.before}, or ${fresh}.`
      : `Operators without .name() are identified by creation order: adding or removing an operator before a stateful one renumbers it. Give stateful operators a stable .name("…"), restore the old graph, or ${fresh}.`,
  ].join("\n");
}

/**
 * Throws CheckpointMismatchError with the report when the graphs differ in a way that matters.
 * `fresh` says how to start over where that is not a new checkpoint directory (a group).
 */
export function checkCompatible(dir: string, stored: GraphFingerprint, current: GraphFingerprint, fresh?: string): void {
  const changes = compareFingerprints(stored, current);
  if (changes.length > 0) throw new CheckpointMismatchError(formatChanges(dir, changes, fresh), changes);
}
