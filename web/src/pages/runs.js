// Runs: every run, newest first, 50 a page, filtered by runbook and status, read again every
// 2 s (a run started elsewhere appears without a reload); a run not recorded yet (waiting for
// its lock or the store) first, with what it waits for.
import { useState } from "preact/hooks";
import { usePolled } from "../api.js";
import { html, ms, when, Objective, Status, triggerText, ErrorLine } from "../format.js";

const STATUSES = ["", "starting", "running", "success", "failure", "cancelled", "interrupted"];

// The store's runs index disagrees with the run's chained events: the row shows the events'
// values, marked (breakGG G7; docs/audit.md).
function Altered({ run }) {
  if (!run.altered || run.altered.length === 0) return null;
  return html` <strong class="status-failure" title=${run.altered.join("; ")}>ALTERED</strong>`;
}

function Filters({ runbook, status, onChange }) {
  const [books] = usePolled("/api/v1/runbooks", 0);
  const names = books ? books.body.map((b) => b.name).filter(Boolean) : [];
  return html`<form class="filters" onSubmit=${(e) => e.preventDefault()}>
    <label>Runbook <select value=${runbook}
      onChange=${(e) => onChange({ runbook: e.target.value, status })}>
      <option value="">all</option>
      ${names.map((n) => html`<option value=${n}>${n}</option>`)}</select></label>
    <label>Status <select value=${status}
      onChange=${(e) => onChange({ runbook, status: e.target.value })}>
      ${STATUSES.map((s) => html`<option value=${s}>${s || "all"}</option>`)}</select></label>
  </form>`;
}

export function RunsPage() {
  const [filter, setFilter] = useState({ runbook: "", status: "" });
  const [cursors, setCursors] = useState([""]);  // the pages walked, for "newer"
  const cursor = cursors[cursors.length - 1];
  const query = new URLSearchParams({ limit: "50" });
  if (filter.runbook) query.set("runbook", filter.runbook);
  if (filter.status) query.set("status", filter.status);
  if (cursor) query.set("cursor", cursor);
  const [data, error] = usePolled(`/api/v1/runs?${query}`, 2000);
  const change = (f) => { setFilter(f); setCursors([""]); };
  return html`<h1>Runs</h1>
    <${Filters} ...${filter} onChange=${change} />
    <${ErrorLine} error=${error} what="Cannot read the runs" />
    ${data && data.altered &&
      html`<p role="alert" class="status-failure">ALTERED: ${data.altered}</p>`}
    ${data && html`<div class="scroll" tabindex="0" role="region" aria-label="scrollable table"><table>
      <caption class="sr-only">Runs, newest first</caption>
      <thead><tr><th scope="col">run</th><th scope="col">runbook</th><th scope="col">kind</th>
        <th scope="col">status</th><th scope="col" class="wide">trigger</th>
        <th scope="col" class="wide">started</th><th scope="col">duration</th>
        <th scope="col" class="wide">RTO</th><th scope="col" class="wide">RPO</th></tr></thead>
      <tbody>${data.body.map((r) => html`<tr key=${r.run_id}>
        <td><a href=${`#/runs/${r.run_id}`}>${r.run_id}</a></td>
        <td>${r.runbook}</td><td>${r.kind}</td>
        <td><${Status} status=${r.status} /><${Altered} run=${r} />
          ${r.waiting && html`<div class="muted">${r.waiting}</div>`}</td>
        <td class="wide">${triggerText(r.trigger, r.user)}</td>
        <td class="wide">${when(r.started_at)}</td>
        <td>${ms(r.duration_ms)}</td>
        <td class="wide"><${Objective} value=${r.rto_ms} objective=${r.rto_objective_ms} what="RTO" /></td>
        <td class="wide"><${Objective} value=${r.rpo_ms} objective=${r.rpo_objective_ms} what="RPO" /></td>
        </tr>`)}</tbody></table></div>
      ${data.body.length === 0 && html`<p class="muted">No runs${filter.runbook || filter.status ? " match" : " yet"}.</p>`}
      <nav aria-label="pages" class="pages">
        ${cursors.length > 1 && html`<button onClick=${() => setCursors(cursors.slice(0, -1))}>newer</button>`}
        ${data.next && html`<button onClick=${() => setCursors([...cursors, data.next])}>older</button>`}
      </nav>`}`;
}
