// runbook's web UI on serve's API (docs/api.md): one page per hash route. Preact with htm
// (no build-time JSX), bundled by esbuild into one file that the binary embeds.
import { h, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import htm from "htm";

const html = htm.bind(h);

// GET an API path as JSON; throws with the API's error text.
async function getJson(path) {
  const res = await fetch(path, { headers: { Accept: "application/json" } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `${res.status} ${res.statusText}`);
  return {
    body,
    next: res.headers.get("X-Next-Cursor") || "",
    altered: res.headers.get("X-Store-Altered") || "",
  };
}

// Fetches `path` now and every `everyMs`; [data, error].
function usePolled(path, everyMs) {
  const [state, setState] = useState({ data: null, error: "" });
  useEffect(() => {
    let live = true;
    const load = () =>
      getJson(path).then(
        (r) => live && setState({ data: r, error: "" }),
        (e) => live && setState((s) => ({ data: s.data, error: e.message })),
      );
    load();
    const timer = setInterval(load, everyMs);
    return () => { live = false; clearInterval(timer); };
  }, [path, everyMs]);
  return [state.data, state.error];
}

function ms(v) {
  if (v === null || v === undefined) return "";
  if (v < 1000) return `${v} ms`;
  const s = v / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

function Rto({ run }) {
  if (run.rto_ms === null) return html`<span class="muted">not measured</span>`;
  if (run.rto_objective_ms === null) return ms(run.rto_ms);
  const met = run.rto_ms <= run.rto_objective_ms;
  return html`<span class=${met ? "status-success" : "status-failure"}>
    ${ms(run.rto_ms)} / ${ms(run.rto_objective_ms)} ${met ? "met" : "MISSED"}</span>`;
}

// The store's runs index disagrees with the run's chained events: the row shows the events'
// values, marked (breakGG G7; docs/audit.md).
function Altered({ run }) {
  if (!run.altered || run.altered.length === 0) return null;
  return html` <strong class="status-failure" title=${run.altered.join("; ")}>ALTERED</strong>`;
}

function RunsPage() {
  const [cursor, setCursor] = useState("");
  const [data, error] = usePolled(`/api/v1/runs?limit=50${cursor ? `&cursor=${cursor}` : ""}`, 2000);
  return html`<h1>Runs</h1>
    ${error && html`<p role="alert">Cannot read the runs: ${error}</p>`}
    ${data && data.altered &&
      html`<p role="alert" class="status-failure">ALTERED: ${data.altered}</p>`}
    ${data && html`<table>
      <thead><tr><th>run</th><th>runbook</th><th>status</th><th class="wide">started</th>
        <th>duration</th><th class="wide">RTO</th></tr></thead>
      <tbody>${data.body.map((r) => html`<tr key=${r.run_id}>
        <td><a href=${`#/runs/${r.run_id}`}>${r.run_id}</a></td>
        <td>${r.runbook}</td>
        <td class=${`status-${r.status}`}>${r.status}<${Altered} run=${r} /></td>
        <td class="wide">${r.started_at}</td>
        <td>${ms(r.duration_ms)}</td>
        <td class="wide"><${Rto} run=${r} /></td></tr>`)}</tbody></table>
      <nav aria-label="pages">
        ${cursor && html`<button onClick=${() => setCursor("")}>newest</button>`}
        ${data.next && html`<button onClick=${() => setCursor(data.next)}>older</button>`}
      </nav>`}`;
}

function RunPage({ id }) {
  const [data, error] = usePolled(`/api/v1/runs/${encodeURIComponent(id)}`, 2000);
  if (error) return html`<p role="alert">Cannot read run ${id}: ${error}</p>`;
  if (!data) return html`<p>Loading run ${id}…</p>`;
  const run = data.body;
  const broken = run.audit_chain && (run.audit_chain.chain_problem || run.audit_chain.altered_seq > 0);
  return html`<h1>Run ${run.run_id}</h1>
    ${broken && html`<p role="alert" class="status-failure">AUDIT CHAIN BROKEN: ${
      run.audit_chain.chain_problem || `event #${run.audit_chain.altered_seq} was edited after it was recorded`}</p>`}
    <p><strong>${run.runbook}</strong> — <span class=${`status-${run.status}`}>${run.status}</span>
      ${run.user ? html` by ${run.user}` : ""}${run.host ? html` on ${run.host}` : ""}</p>
    <p class="muted">runbook sha256 ${run.runbook_sha256}</p>
    <h2>Steps</h2>
    <table><thead><tr><th>step</th><th>type</th><th>outcome</th><th>attempts</th>
      <th>duration</th></tr></thead>
    <tbody>${(run.steps || []).map((s) => html`<tr key=${s.id}>
      <td>${s.id}${s.name && html`<br /><small>${s.name}</small>`}</td><td>${s.type}</td><td class=${`status-${s.outcome}`}>${s.outcome}</td>
      <td>${(s.attempts || []).length}</td><td>${ms(s.duration_ms)}</td></tr>`)}</tbody></table>`;
}

function route() {
  const hash = location.hash.replace(/^#/, "") || "/runs";
  const run = hash.match(/^\/runs\/([^/]+)$/);
  return run ? html`<${RunPage} id=${decodeURIComponent(run[1])} />` : html`<${RunsPage} />`;
}

function App() {
  const [page, setPage] = useState(route());
  useEffect(() => {
    const on = () => setPage(route());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return html`<header><strong>runbook</strong><nav><a href="#/runs">Runs</a></nav></header>
    <main>${page}</main>`;
}

render(html`<${App} />`, document.getElementById("app"));
