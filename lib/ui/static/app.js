// The Streaming tab. Data first: everything shown comes from the REST API (fetched at load and
// whenever the event stream reconnects) and from /events, which pushes the same JSON shapes.
"use strict";
(function () {
  const C = window.DstreamCharts;
  const COLORS = ["#0969da", "#bf3989", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#0a7ea4", "#57606a"];
  const SHOWN_BATCHES = 100;
  const model = { appId: null, application: null, statistics: null, batches: new Map(), receivers: [], inputs: [], state: [], checkpoints: null, recovery: null, group: null };
  let base = "";
  let renderTimer = null;

  const { fmtMs, fmtRate, fmtInt, fmtBytes, fmtTime, parseSparkDate, el, $, table, num, td, batchLink, opsCell } = window.DstreamDom;

  // ---------- data ----------
  async function getJson(path) {
    const res = await fetch(path, { headers: { Accept: "application/json" } });
    if (!res.ok) throw new Error(path + ": HTTP " + res.status);
    return res.json();
  }

  async function loadAll() {
    const apps = await getJson("/api/v1/applications");
    model.application = apps[0];
    model.appId = apps[0].id;
    base = "/api/v1/applications/" + encodeURIComponent(model.appId) + "/streaming/";
    const [statistics, batches, receivers, inputs, state, checkpoints, recovery] = await Promise.all(
      ["statistics", "batches", "receivers", "inputs", "state", "checkpoints", "recovery"].map((p) => getJson(base + p)),
    );
    Object.assign(model, { statistics, receivers, inputs, state, checkpoints, recovery });
    model.batches = new Map(batches.map((b) => [b.batchId, b]));
    scheduleRender();
  }

  function applySummary(s) {
    Object.assign(model, { application: s.application, statistics: s.statistics, receivers: s.receivers, inputs: s.inputs, state: s.state, checkpoints: s.checkpoints, recovery: s.recovery, group: s.group });
    // The server keeps the newest 1000 completed batches; so do we.
    const completed = [...model.batches.values()].filter((b) => b.status === "COMPLETED").sort((a, b) => a.batchId - b.batchId);
    for (const b of completed.slice(0, Math.max(0, completed.length - s.statistics.numRetainedCompletedBatches))) model.batches.delete(b.batchId);
    scheduleRender();
  }

  function connect() {
    const live = $("live");
    const es = new EventSource("/events");
    es.addEventListener("open", () => {
      live.textContent = "live";
      live.className = "live on";
      // Anything missed while disconnected is in the REST answers.
      loadAll().catch(showLoadError);
    });
    es.addEventListener("error", () => {
      live.textContent = "reconnecting…";
      live.className = "live off";
    });
    es.addEventListener("batch", (e) => {
      const b = JSON.parse(e.data);
      model.batches.set(b.batchId, b);
      scheduleRender();
    });
    es.addEventListener("summary", (e) => applySummary(JSON.parse(e.data)));
    es.addEventListener("group", (e) => {
      model.group = JSON.parse(e.data);
      scheduleRender();
    });
  }

  function showLoadError(err) {
    const f = $("failure");
    f.hidden = false;
    f.textContent = "Could not load the REST API: " + err.message;
  }

  // ---------- render ----------
  function scheduleRender() {
    if (renderTimer !== null) return;
    renderTimer = setTimeout(() => {
      renderTimer = null;
      render();
    }, 30);
  }

  function render() {
    if (model.statistics === null) return;
    const all = [...model.batches.values()];
    const completed = all.filter((b) => b.status === "COMPLETED").sort((a, b) => a.batchId - b.batchId);
    const active = all.filter((b) => b.status !== "COMPLETED").sort((a, b) => a.batchId - b.batchId);
    renderHeader(completed);
    renderCharts(completed);
    renderBatches(active, completed);
    renderInputs();
    renderPartitions();
    renderState();
    renderCheckpoints();
    renderRecovery();
    window.DstreamGroupPanel.render(model.group);
    batchPage.render();
  }

  function renderHeader(completed) {
    const s = model.statistics;
    const app = model.application;
    const attempt = app.attempts[0];
    const failed = completed.filter((b) => b.numFailedOutputOps > 0);
    $("app-name").textContent = app.name;
    const state = failed.length > 0 ? "failed" : attempt.completed ? "stopped" : "active";
    $("app-state").textContent = state;
    $("app-state").className = "badge " + state;
    $("api-link").setAttribute("href", base + "statistics");
    $("summary-line").textContent =
      "Running batches of " + fmtMs(s.batchDuration) + " since " + fmtTime(parseSparkDate(s.startTime)) + " UTC (" + fmtMs(attempt.duration) + "), " +
      fmtInt(s.numTotalCompletedBatches) + " completed batches, " + fmtInt(s.numProcessedRecords) + " records processed; " +
      s.numActiveReceivers + "/" + s.numReceivers + " receivers active.";
    $("timeline-note").textContent = "(last " + completed.length + " batches, times in UTC)";
    const f = $("failure");
    const last = failed[failed.length - 1];
    if (last) {
      const rerun = model.recovery && model.recovery.checkpointDir ? " The batch was not committed: it re-runs when the job restarts from " + model.recovery.checkpointDir + "." : "";
      f.hidden = false;
      f.textContent = "Batch " + fmtTime(last.batchId) + " failed: " + last.firstFailureReason + "\nThe streaming context stopped." + rerun;
    } else if (!f.textContent.startsWith("Could not")) {
      f.hidden = true;
    }
  }

  function renderCharts(completed) {
    const s = model.statistics;
    const times = completed.map((b) => b.batchId);
    const interval = times.map(() => s.batchDuration);
    const delay = (key, label, color) => {
      const values = completed.map((b) => (b[key] == null ? null : b[key]));
      C.timeline($("tl-" + label), "ms", times, [
        { label: label === "total" ? "total delay" : label === "processing" ? "processing time" : "scheduling delay", color, values },
        { label: "batch interval", color: "#8c959f", dash: true, values: interval },
      ]);
      C.histogram($("hist-" + label), "ms", values, color);
    };
    // Input rate: one line per input, its rate limit dashed when it has one.
    const inputs = model.inputs;
    const rateTimes = inputs.length > 0 ? inputs[0].eventRates.map(([t]) => t) : [];
    const series = [];
    const legend = $("input-legend");
    legend.replaceChildren();
    inputs.forEach((input, i) => {
      const color = COLORS[i % COLORS.length];
      series.push({ label: input.name, color, values: input.eventRates.map(([, r]) => r) });
      legend.append(el("div", {}, el("span", { class: "swatch", style: "background:" + color }), input.name + (input.rateLimit != null ? " (limit " + fmtRate(input.rateLimit) + ")" : "")));
      if (input.rateLimits.length > 0) {
        const byTime = new Map(input.rateLimits);
        series.push({ label: input.name + " rate limit", color, dash: true, values: rateTimes.map((t) => (byTime.has(t) ? byTime.get(t) : null)) });
      }
    });
    if (series.some((x) => x.dash)) legend.append(el("div", {}, el("span", { class: "swatch dashed", style: "border-color:#57606a" }), "dashed: rate limit"));
    C.timeline($("tl-input"), "rate", rateTimes, series);
    C.histogram($("hist-input"), "rate", completed.map((b) => (b.inputSize * 1000) / s.batchDuration), COLORS[0]);
    $("avg-input").textContent = "Avg: " + (s.avgInputRate == null ? "-" : s.avgInputRate.toFixed(2) + " records/s");
    delay("schedulingDelay", "scheduling", "#bf3989");
    delay("processingTime", "processing", "#1a7f37");
    delay("totalDelay", "total", "#9a6700");
    $("avg-scheduling").textContent = "Avg: " + fmtMs(s.avgSchedulingDelay);
    $("avg-processing").textContent = "Avg: " + fmtMs(s.avgProcessingTime);
    $("avg-total").textContent = "Avg: " + fmtMs(s.avgTotalDelay);
  }

  function renderBatches(active, completed) {
    $("n-active").textContent = String(active.length);
    table(
      "active-batches",
      ["Batch Time", "Records", "Scheduling Delay", "Processing Time", "Output Ops: Succeeded/Total", "Status"],
      active.map((b) => el("tr", {}, batchLink(b), num(fmtInt(b.inputSize)), num(fmtMs(b.schedulingDelay)), num(fmtMs(b.processingTime)), opsCell(b), td(b.status === "QUEUED" ? "queued" : "processing"))),
      "No active batches",
    );
    const shown = completed.slice(-SHOWN_BATCHES).reverse();
    $("n-shown").textContent = String(shown.length);
    $("n-completed").textContent = fmtInt(model.statistics.numTotalCompletedBatches);
    table(
      "completed-batches",
      ["Batch Time", "Records", "Scheduling Delay", "Processing Time", "Total Delay", "Output Ops: Succeeded/Total", "Error"],
      shown.map((b) =>
        el("tr", { class: b.numFailedOutputOps > 0 ? "failed" : null, "data-batch-row": String(b.batchId) }, batchLink(b), num(fmtInt(b.inputSize)), num(fmtMs(b.schedulingDelay)), num(fmtMs(b.processingTime)), num(fmtMs(b.totalDelay)), opsCell(b), td(b.firstFailureReason || "", "error")),
      ),
      "No completed batches yet",
    );
  }

  function renderInputs() {
    const receivers = new Map(model.receivers.map((r) => [r.streamId, r]));
    table(
      "inputs",
      ["Stream", "Kind", "Status", "Avg Rate", "Rate Limit", "Max Rate", "Last Stored Offset", "Pending Records", "Last Error Time", "Last Error"],
      model.inputs.map((i) => {
        const r = receivers.get(i.streamId);
        const status = i.kind !== "receiver" ? "-" : r && r.isActive ? "ACTIVE" : "INACTIVE";
        const avg = i.eventRates.length === 0 ? null : i.eventRates.reduce((a, [, v]) => a + v, 0) / i.eventRates.length;
        const limit = i.rateLimit == null ? "unbounded" : fmtRate(i.rateLimit) + (i.backpressure ? " (backpressure)" : "");
        return el(
          "tr",
          {},
          td(i.name + " [" + i.streamId + "]"),
          td(i.kind),
          td(status),
          num(fmtRate(avg)),
          num(limit),
          num(i.maxRate == null ? "-" : fmtRate(i.maxRate)),
          td(i.lastStoredOffset == null ? "-" : JSON.stringify(i.lastStoredOffset)),
          num(i.pendingRecords == null ? "-" : fmtInt(i.pendingRecords)),
          td(r && r.lastErrorTime ? fmtTime(parseSparkDate(r.lastErrorTime)) : "-"),
          td(r && r.lastErrorMessage ? r.lastErrorMessage + (r.lastError ? "\n" + r.lastError.split("\n")[0] : "") : "-", r && r.lastErrorMessage ? "error" : null),
        );
      }),
      "No inputs",
    );
  }

  function renderPartitions() {
    const rows = [];
    for (const i of model.inputs) {
      for (const p of i.partitions || []) {
        rows.push(
          el(
            "tr",
            { "data-partition-row": i.streamId + "/" + p.partition },
            td(i.name + " [" + i.streamId + "]"),
            num(String(p.partition)),
            num(fmtInt(p.offset)),
            num(fmtInt(p.lastBatchRecords)),
            num(fmtInt(p.lag)),
            num(p.rateLimit == null ? "unbounded" : fmtRate(p.rateLimit) + (i.backpressure && i.rateLimit != null ? " (backpressure)" : "")),
          ),
        );
      }
    }
    table("partitions", ["Stream", "Partition", "Offset (last sequence planned)", "Last Batch Records", "Lag at Last Plan", "Rate Limit"], rows, "No partitioned inputs");
  }

  function renderState() {
    table(
      "state",
      ["Operator", "Kind", "Keys", "Snapshot Bytes", "Snapshot Of Batch", "Snapshot Age", "Watermark", "Late Records"],
      model.state.map((s) =>
        el("tr", {}, td(s.operatorId), td(s.kind), num(fmtInt(s.keys)), num(fmtBytes(s.snapshotBytes)), td(s.snapshotVersion == null ? "none yet" : fmtTime(s.snapshotVersion)), num(fmtMs(s.snapshotAgeMs)), td(s.watermark == null ? "-" : fmtTime(s.watermark)), num(fmtInt(s.lateRecords))),
      ),
      "No stateful operators",
    );
  }

  function renderCheckpoints() {
    const c = model.checkpoints;
    $("checkpoint-dir").textContent = c.checkpointDir
      ? "Checkpoint directory: " + c.checkpointDir + " — every batch commits atomically (one synced write)."
      : model.group
        ? "A group member: each partition's batches commit to the group's log in JetStream, where a member taking the partition over recovers it (see Group)."
        : "No checkpoint directory: nothing is committed, nothing recovers.";
    table("commits", ["Batch Time", "Duration", "Bytes"], c.commits.slice(0, 15).map((x) => el("tr", {}, td(fmtTime(x.batchTime)), num(x.durationMs.toFixed(1) + " ms"), num(fmtBytes(x.bytes)))), "No commits yet");
    table("snapshots", ["Operator", "Of Batch", "Entries", "Duration", "Bytes"], c.snapshots.slice(0, 15).map((x) => el("tr", {}, td(x.operatorId), td(fmtTime(x.version)), num(fmtInt(x.entries)), num(x.durationMs.toFixed(1) + " ms"), num(fmtBytes(x.bytes)))), "No snapshots yet");
  }

  function renderRecovery() {
    const r = model.recovery;
    const list = (xs) => (xs.length === 0 ? "none" : xs.map(fmtTime).join(", "));
    const keys = Object.entries(r.restoredKeys);
    const rows = !r.checkpointDir
      ? [["Checkpoint", model.group ? "none: a group member recovers each partition it takes from the group's log (see Group)" : "none: this job does not recover"]]
      : [
          ["Started from", r.recovered ? "a checkpoint (recovered)" : "a fresh checkpoint directory"],
          ["Last committed batch", r.lastCommittedTime == null ? "-" : fmtTime(r.lastCommittedTime)],
          ["Re-run batches (planned, not committed)", list(r.rerunBatches)],
          ["Caught-up batches (passed while down)", r.caughtUpCount > r.caughtUpBatches.length ? fmtInt(r.caughtUpCount) + ", first: " + list(r.caughtUpBatches) : list(r.caughtUpBatches)],
          ["Restored state", keys.length === 0 ? "-" : keys.map(([k, v]) => k + ": " + fmtInt(v) + " keys").join(", ")],
          ["Restore time", r.restoreMs == null ? "-" : r.restoreMs.toFixed(1) + " ms"],
        ];
    $("recovery").replaceChildren(el("dl", { class: "facts" }, rows.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])));
  }

  const batchPage = window.DstreamBatchPage.create(model, () => base, getJson);

  loadAll().catch(showLoadError);
  connect();
})();
