import { checkpoints, inputs, recovery, state } from "./dstream-api.js";
import { groupReply } from "./group-panel.js";
import { applications, batch, batches, operations, receivers, statistics } from "./spark-api.js";
import type { UiSource } from "./ui-source.js";

/** A JSON answer: status and body. */
export interface JsonReply {
  status: number;
  body: unknown;
}

const STATUSES = ["COMPLETED", "PROCESSING", "QUEUED"];
const PREFIX = "/api/v1/applications";

/**
 * Answers a GET under `/api/v1/applications`; undefined when `path` is not an API path.
 * Spark's paths: `/applications`, `/applications/{appId}/streaming/statistics|receivers|
 * receivers/{streamId}|batches|batches/{batchId}|batches/{batchId}/operations[/{outputOpId}]`, plus dstream's `inputs|state|checkpoints|recovery`
 * and `dstream/group` (a group member's group).
 * The application id is the app name.
 */
export function apiReply(src: UiSource, url: URL, version: string): JsonReply | undefined {
  const path = url.pathname.replace(/\/+$/, "");
  if (path === PREFIX) return ok(applications(src, version));
  if (!path.startsWith(`${PREFIX}/`)) return undefined;
  const rest = path.slice(PREFIX.length + 1).split("/").map(decodeURIComponent);
  const [appId, section, ...tail] = rest;
  if (appId !== src.appName) return notFound(`unknown app: ${appId}`);
  if (section === undefined) return ok(applications(src, version)[0]);
  if (section !== "streaming") return notFound(`dstream serves only the streaming API of ${appId}; no ${section}`);
  const [what, id, sub, opId, ...extra] = tail;
  if (extra.length > 0) return notFound(`no such path: ${url.pathname}`);
  if (id === undefined) {
    switch (what) {
      case "statistics":
        return ok(statistics(src));
      case "receivers":
        return ok(receivers(src));
      case "batches": {
        const wanted = url.searchParams.getAll("status").map((s) => s.toUpperCase());
        const bad = wanted.find((s) => !STATUSES.includes(s));
        if (bad !== undefined) return { status: 400, body: { message: `status must be one of ${STATUSES.join(", ")}; got ${bad}` } };
        return ok(batches(src, wanted));
      }
      case "inputs":
        return ok(inputs(src));
      case "state":
        return ok(state(src));
      case "checkpoints":
        return ok(checkpoints(src));
      case "recovery":
        return ok(recovery(src));
    }
    return notFound(`no such path: ${url.pathname}`);
  }
  if (what === "dstream" && id === "group" && sub === undefined) return groupReply(src);
  if (what === "receivers" && sub === undefined && /^\d+$/.test(id)) {
    const r = receivers(src).find((x) => x.streamId === Number(id));
    return r === undefined ? notFound(`unknown receiver: ${id}`) : ok(r);
  }
  if (what !== "batches" || !/^\d+$/.test(id)) return notFound(`no such path: ${url.pathname}`);
  const batchId = Number(id);
  if (sub === undefined) {
    const b = batch(src, batchId);
    return b === undefined ? notFound(`unknown batch: ${batchId}`) : ok(b);
  }
  if (sub === "operations") {
    const ops = operations(src, batchId);
    if (ops === undefined) return notFound(`unknown batch: ${batchId}`);
    if (opId === undefined) return ok(ops);
    const op = /^\d+$/.test(opId) ? ops.find((o) => o.outputOpId === Number(opId)) : undefined;
    return op === undefined ? notFound(`unknown output operation ${opId} of batch ${batchId}`) : ok(op);
  }
  return notFound(`no such path: ${url.pathname}`);
}

/** Everything the page shows besides the batch list, in one SSE event after each batch. */
export function summary(src: UiSource, version: string): Record<string, unknown> {
  return {
    application: applications(src, version)[0],
    statistics: statistics(src),
    receivers: receivers(src),
    inputs: inputs(src),
    state: state(src),
    checkpoints: checkpoints(src),
    recovery: recovery(src),
    // A group member's group (the cached read; null when the job runs alone).
    group: src.group?.() ?? null,
  };
}

function ok(body: unknown): JsonReply {
  return { status: 200, body };
}

function notFound(message: string): JsonReply {
  return { status: 404, body: { message } };
}
