// The Group section: a group member's view of its group (members, the partitions each holds, and
// per partition its last commit, snapshot and lag), from the `group` of each summary and the
// `group` event (the shape of GET …/streaming/dstream/group). Hidden when the job runs alone.
"use strict";
(function () {
  const { fmtMs, fmtInt, fmtTime, el, $, table, num, td } = window.DstreamDom;
  const time = (t) => (t == null ? "-" : fmtTime(t));

  function render(view) {
    const section = $("group-section");
    section.hidden = view == null;
    if (view == null) return;
    const s = view.status;
    $("group-name").textContent = view.group;
    const live = s ? s.members.filter((m) => m.live).length : null;
    $("group-line").textContent =
      "This member: " + view.memberId + ", holding partition" + (view.owned.length === 1 ? " " : "s ") + (view.owned.length === 0 ? "none" : view.owned.join(", ")) + ". " +
      (s ? fmtInt(s.partitions) + " partitions, " + live + " live member" + (live === 1 ? "" : "s") + " (read " + fmtTime(s.readAt) + " UTC)." : "Reading the group…") +
      (view.error ? " Last read failed: " + view.error : "");
    if (!s) return;
    table(
      "group-members",
      ["Member", "Status", "Heartbeat Age", "Partitions (epoch)"],
      s.members.map((m) =>
        el(
          "tr",
          { class: m.id === view.memberId ? "me" : null, "data-member": m.id },
          td(m.id + (m.id === view.memberId ? " (this member)" : "")),
          td(m.live ? "live" : "gone", m.live ? null : "error"),
          num(fmtMs(m.heartbeatAgeMs)),
          td(m.partitions.length === 0 ? "-" : m.partitions.map((p) => p.partition + " (" + p.epoch + ")").join(", ")),
        ),
      ),
      "No members",
    );
    table(
      "group-partitions",
      ["Partition", "Holder", "Last Commit", "Committed By", "Pending Plan", "Snapshot Of Batch", "Log Entries", "Lag (batches)"],
      s.partitionStatus.map((p) =>
        el(
          "tr",
          { class: p.lagBatches > 0 ? "lagging" : null, "data-partition": String(p.partition) },
          num(String(p.partition)),
          td(p.holder == null ? "(none)" : p.holder, p.holder == null ? "error" : null),
          td(time(p.lastCommitTime)),
          td(p.lastCommitMember == null ? "-" : p.lastCommitMember),
          td(time(p.pendingPlanTime)),
          td(time(p.snapshotTime)),
          num(fmtInt(p.logEntries)),
          num(fmtInt(p.lagBatches)),
        ),
      ),
      "No partitions",
    );
  }

  window.DstreamGroupPanel = { render };
})();
