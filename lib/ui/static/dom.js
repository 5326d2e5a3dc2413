// Formatting and DOM helpers of the page (text only: data never becomes HTML).
"use strict";
(function () {
  const C = window.DstreamCharts;
  // ---------- formatting ----------
  const fmtMs = (v) => (v == null ? "-" : C.fmtMs(v));
  const fmtRate = (v) => (v == null ? "-" : C.fmtRate(v));
  const fmtInt = (v) => (v == null ? "-" : Math.round(v).toLocaleString("en-US"));
  function fmtBytes(v) {
    if (v == null) return "-";
    if (v < 1024) return v + " B";
    if (v < 1048576) return (v / 1024).toFixed(1) + " KiB";
    return (v / 1048576).toFixed(1) + " MiB";
  }
  const fmtTime = (ms) => new Date(ms).toISOString().replace("T", " ").slice(0, 19);
  const parseSparkDate = (s) => (s == null ? null : Date.parse(s.replace("GMT", "Z")));

  // ---------- DOM ----------
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) if (c != null) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    return e;
  }
  const $ = (id) => document.getElementById(id);
  function table(id, headers, rows, empty) {
    const t = $(id);
    t.replaceChildren(el("thead", {}, el("tr", {}, headers.map((h) => el("th", { text: h })))));
    const body = el("tbody");
    if (rows.length === 0) body.append(el("tr", {}, el("td", { class: "empty", colspan: String(headers.length), text: empty })));
    for (const r of rows) body.append(r);
    t.append(body);
  }
  const num = (v) => el("td", { class: "num", text: v });
  const td = (v, cls) => el("td", { class: cls, text: v });
  const batchLink = (b) => el("td", {}, el("a", { href: "#batch=" + b.batchId, "data-batch": String(b.batchId), text: fmtTime(b.batchId) }));
  const opsCell = (b) => td(b.numCompletedOutputOps + "/" + b.numTotalOutputOps + (b.numFailedOutputOps > 0 ? " (" + b.numFailedOutputOps + " failed)" : ""));

  window.DstreamDom = { fmtMs, fmtRate, fmtInt, fmtBytes, fmtTime, parseSparkDate, el, $, table, num, td, batchLink, opsCell };
})();
