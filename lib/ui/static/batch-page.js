// The batch page (#batch=<batchId>): a batch's facts and its output operations, from
// …/batches/{batchId} (pushed live) and …/batches/{batchId}/operations.
"use strict";
(function () {
  const { fmtMs, fmtInt, fmtTime, parseSparkDate, el, $, num, td } = window.DstreamDom;

  /** `model` is the page's data, `api()` the streaming API prefix, `getJson` its fetch. */
  function create(model, api, getJson) {
    let detailShown = null;
    let detailOps = null;

    function renderDetail() {
      const m = /^#batch=(\d+)$/.exec(location.hash);
      const box = $("batch-detail");
      if (!m) {
        box.hidden = true;
        detailShown = null;
        return;
      }
      const id = Number(m[1]);
      const b = model.batches.get(id);
      if (detailShown !== id || (b && detailOps && detailOps.status !== b.status + b.numCompletedOutputOps + b.numFailedOutputOps)) {
        detailShown = id;
        getJson(api() + "batches/" + id + "/operations")
          .then((ops) => {
            detailOps = { ops, status: b ? b.status + b.numCompletedOutputOps + b.numFailedOutputOps : "" };
            drawDetail(id);
          })
          .catch(() => {
            detailOps = { ops: [], status: "" };
            drawDetail(id);
          });
      }
      drawDetail(id);
    }

    function drawDetail(id) {
      const box = $("batch-detail");
      const b = model.batches.get(id);
      box.hidden = false;
      if (!b) {
        box.replaceChildren(el("h3", { text: "Batch " + fmtTime(id) + " is no longer retained" }), el("a", { href: "#", text: "close" }));
        return;
      }
      const facts = [
        ["Batch Duration", fmtMs(b.batchDuration)],
        ["Input Size", fmtInt(b.inputSize) + " records"],
        ["Scheduling Delay", fmtMs(b.schedulingDelay)],
        ["Processing Time", fmtMs(b.processingTime)],
        ["Total Delay", fmtMs(b.totalDelay)],
        ["Status", b.status + (b.numFailedOutputOps > 0 ? " with " + b.numFailedOutputOps + " failed output operation(s)" : "")],
      ];
      const opsTable = el("table", { id: "operations", class: "grid" });
      box.replaceChildren(
        el("h3", {}, "Details of batch at " + fmtTime(id) + " UTC  ", el("a", { href: "#", text: "(close)" })),
        el("dl", {}, facts.map(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })])),
        el("h4", { text: "Output Operations" }),
        opsTable,
      );
      const ops = detailOps && detailShown === id ? detailOps.ops : [];
      const t = opsTable;
      t.append(el("thead", {}, el("tr", {}, ["Output Op Id", "Name", "Description", "Started", "Duration", "Status", "Error"].map((h) => el("th", { text: h })))));
      const body = el("tbody");
      if (ops.length === 0) body.append(el("tr", {}, el("td", { class: "empty", colspan: "7", text: "No output operations ran" })));
      for (const o of ops) {
        const status = o.failureReason ? "Failed" : o.endTime ? "Succeeded" : "Running";
        body.append(
          el("tr", { class: o.failureReason ? "failed" : null }, num(String(o.outputOpId)), td(o.name), td(o.description), td(o.startTime ? fmtTime(parseSparkDate(o.startTime)) : "-"), num(fmtMs(o.duration)), td(status), td(o.failureReason || "", "error")),
        );
      }
      t.append(body);
    }

    window.addEventListener("hashchange", () => {
      detailShown = null;
      renderDetail();
      if (location.hash.startsWith("#batch=")) $("batch-detail").scrollIntoView({ block: "start" });
    });

    return { render: renderDetail };
  }

  window.DstreamBatchPage = { create };
})();
