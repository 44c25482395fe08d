// Run: its header (params, who, where, the runbook's sha256, what started it), the actions the
// caller's role allows (cancel, resume), the gates that wait for an answer, the DAG, the
// timeline, and per step its attempts, outputs and log (read again while it runs).
import { useEffect, useState } from "preact/hooks";
import { getBlob, getText, postJson, token, usePolled } from "../api.js";
import { Dag } from "../dag.js";
import { Timeline } from "../timeline.js";
import { Fields, initialValues, valuesToSend } from "../inputs.js";
import { html, ms, when, Objective, Status, triggerText, ErrorLine } from "../format.js";

const enc = encodeURIComponent;

// A run's params, each NAME=VALUE (a param holding a secret's text as its mask).
function Params({ params }) {
  const entries = Object.entries(params || {});
  return entries.length === 0 ? html`<span class="muted">none</span>` :
    entries.map(([k, v]) => html`<code>${k}=${typeof v === "string" ? v : JSON.stringify(v)}</code> `);
}

// A report of the run: a plain link; with a token, which a link cannot carry (every click
// was a 401, and six of them locked the address out: breakHH HH5), the report is fetched with
// it and saved as a file, never opened from a blob (an HTML report would then be a page of
// this origin, its CSP gone).
function ReportLink({ run, ext, label }) {
  const href = `/api/v1/runs/${enc(run.run_id)}/report.${ext}`;
  const [error, setError] = useState("");
  const save = async (e) => {
    if (!token()) return;
    e.preventDefault();
    try {
      const url = URL.createObjectURL(await getBlob(href));
      const a = document.createElement("a");
      a.href = url;
      a.download = `${run.run_id}.${ext}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
      setError("");
    } catch (err) {
      setError(`${label} report: ${err.message}`);
    }
  };
  return html`<a href=${href} target="_blank" rel="noopener" onClick=${save}>${label}</a>${
    error && html` <span role="alert" class="error">${error}</span>`}`;
}

function Header({ run }) {
  return html`<dl class="facts">
    <dt>runbook</dt><dd><a href=${`#/runbooks/${enc(run.runbook)}`}>${run.runbook}</a> (${run.kind})</dd>
    <dt>status</dt><dd><${Status} status=${run.status} />${run.interrupted_reason && ` — ${run.interrupted_reason}`}</dd>
    <dt>started</dt><dd>${when(run.started_at)} by ${run.user} on ${run.host}, ${triggerText(run.trigger, run.user)}</dd>
    <dt>duration</dt><dd>${ms(run.duration_ms)}</dd>
    <dt>RTO</dt><dd><${Objective} value=${run.rto && run.rto.measured ? run.rto.elapsed_ms : null}
      objective=${run.rto && run.rto.objective_ms} what="RTO" /></dd>
    <dt>RPO</dt><dd><${Objective} value=${run.rpo && run.rpo.measured ? run.rpo.age_ms : null}
      objective=${run.rpo && run.rpo.objective_ms} what="RPO" /></dd>
    <dt>params</dt><dd><${Params} params=${run.params} /></dd>
    <dt>runbook sha256</dt><dd><code class="hash">${run.runbook_sha256}</code></dd>
    ${run.resumed_from && html`<dt>resumes</dt><dd><a href=${`#/runs/${run.resumed_from}`}>${run.resumed_from}</a></dd>`}
    <dt>reports</dt><dd><${ReportLink} run=${run} ext="html" label="HTML" /> ·
      <${ReportLink} run=${run} ext="pdf" label="PDF" /> ·
      <${ReportLink} run=${run} ext="md" label="Markdown" /></dd>
  </dl>`;
}

function Actions({ run, roles, reload }) {
  const [said, setSaid] = useState("");
  const [rerun, setRerun] = useState("");
  const [leftovers, setLeftovers] = useState(false);
  if (!roles.includes("operator")) return null;
  const act = async (what, body) => {
    setSaid(`${what}…`);
    const r = await postJson(`/api/v1/runs/${enc(run.run_id)}/${what}`, body);
    if (r.ok && r.body.run_id && what === "resume") location.hash = `#/runs/${r.body.run_id}`;
    setSaid(r.ok ? `${what}: accepted` : `${what} refused (${r.status}): ${r.body.error || ""}`);
    reload();
  };
  const resumable = run.status === "failure" || run.status === "interrupted" || run.status === "cancelled";
  return html`<section aria-label="actions" class="actions">
    ${(run.status === "running" || run.status === "starting") &&
      html`<button onClick=${() => act("cancel", {})}>Cancel run</button>`}
    ${resumable && html`<form onSubmit=${(e) => { e.preventDefault(); act("resume", {
        rerun: rerun.split(",").map((s) => s.trim()).filter(Boolean), end_leftovers: leftovers }); }}>
      <button type="submit">Resume run</button>
      <label>steps stopped mid-way to run again <input value=${rerun} placeholder="step, step"
        onInput=${(e) => setRerun(e.target.value)} /></label>
      <label><input type="checkbox" checked=${leftovers} onChange=${(e) => setLeftovers(e.target.checked)} />
        end processes left running</label></form>`}
    ${said && html`<p role="status">${said}</p>`}
  </section>`;
}

function Gate({ run, gate, reload }) {
  const inputs = gate.inputs || [];
  const [values, setValues] = useState(initialValues(inputs));
  const [said, setSaid] = useState("");
  const answer = async (approve) => {
    const r = await postJson(`/api/v1/runs/${enc(run.run_id)}/approvals/${enc(gate.step)}`,
      { approve, inputs: approve ? valuesToSend(inputs, values) : {} });
    setSaid(r.ok ? (approve ? "approved" : "declined") : `refused (${r.status}): ${r.body.error || ""}`);
    reload();
  };
  return html`<form class="gate" aria-label=${`approval ${gate.step}`}
      onSubmit=${(e) => { e.preventDefault(); answer(true); }}>
    <p><strong>${gate.step}</strong> waits: ${gate.prompt}</p>
    <${Fields} specs=${inputs} values=${values} prefix=${`gate-${gate.step}`}
      onInput=${(k, v) => setValues({ ...values, [k]: v })} />
    <button type="submit">Approve</button> <button type="button" onClick=${() => answer(false)}>Decline</button>
    ${said && html`<p role="status">${said}</p>`}
  </form>`;
}

function Approvals({ run, roles, reload }) {
  const waiting = run.approvals_waiting || [];
  if (waiting.length === 0) return null;
  return html`<section aria-labelledby="gates"><h2 id="gates">Waiting for approval</h2>
    ${roles.includes("approver") ? waiting.map((g) => html`<${Gate} key=${g.step} run=${run} gate=${g} reload=${reload} />`)
      : html`<p>${waiting.map((g) => g.step).join(", ")} wait; answering needs the approver role.</p>`}
  </section>`;
}

function Log({ run, step, running }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [error, setError] = useState("");
  useEffect(() => {
    if (!open) return undefined;
    let live = true;
    const load = () => getText(`/api/v1/runs/${enc(run.run_id)}/steps/${enc(step.id)}/log`)
      .then((t) => live && (setText(t), setError("")), (e) => live && setError(e.message));
    load();
    const timer = running ? setInterval(load, 2000) : 0;  // live while the step runs
    return () => { live = false; clearInterval(timer); };
  }, [open, running, run.run_id, step.id]);
  if (!open) return html`<button onClick=${() => setOpen(true)}>Show log of ${step.id}</button>`;
  return html`${error && html`<p role="alert">${error}</p>`}
    <pre class="log" tabindex="0" aria-label=${`log of ${step.id}`}>${text}</pre>`;
}

function Outputs({ outputs }) {
  const entries = Object.entries(outputs || {});
  if (entries.length === 0) return null;
  return html`<dl class="outputs">${entries.map(([k, v]) => html`<dt>${k}</dt>
    <dd><code class=${/sha256/.test(k) ? "hash" : ""}>${typeof v === "string" ? v : JSON.stringify(v)}</code></dd>`)}</dl>`;
}

// A step's state for people: its outcome; while the run runs, "waiting" (a gate waits for an
// answer), "running" or "pending" for one not finished.
function stepState(run, step, waiting) {
  const started = (step.attempts || []).length > 0;
  if (step.outcome && step.outcome !== "unfinished") return step.outcome;
  if (run.status !== "running") return step.outcome || "not run";
  if (waiting.has(step.id)) return "waiting";
  return started ? "running" : "pending";
}

function Step({ run, step, waiting }) {
  const attempts = step.attempts || [];
  const state = stepState(run, step, waiting);
  const running = state === "running" || state === "waiting";
  return html`<section id=${`step-${step.id}`} class="step" aria-labelledby=${`h-${step.id}`}>
    <h3 id=${`h-${step.id}`}>${step.id}${step.name && html` <small>${step.name}</small>`}
      <span class="muted"> ${step.type}</span> <${Status} status=${state} /></h3>
    ${step.reason && html`<p>${step.reason}</p>`}
    ${attempts.length > 0 && html`<div class="scroll" tabindex="0" role="region" aria-label="scrollable table"><table><caption class="sr-only">attempts of ${step.id}</caption>
      <thead><tr><th scope="col">attempt</th><th scope="col">status</th><th scope="col">started</th>
        <th scope="col">duration</th><th scope="col">exit</th><th scope="col">error</th></tr></thead>
      <tbody>${attempts.map((a) => html`<tr key=${a.number}><td>${a.number}</td><td><${Status} status=${a.status || "running"} /></td>
        <td>${when(a.started_at)}</td><td>${ms(a.duration_ms)}</td><td>${a.exit_code ?? ""}</td><td>${a.error}</td></tr>`)}</tbody></table></div>`}
    <${Outputs} outputs=${step.outputs} />
    ${attempts.length > 0 && html`<${Log} run=${run} step=${step} running=${running} />`}
  </section>`;
}

export function RunPage({ id, roles }) {
  const [data, error, reload] = usePolled(`/api/v1/runs/${enc(id)}`, 2000);
  if (error && !data) return html`<h1>Run ${id}</h1><${ErrorLine} error=${error} what="Cannot read the run" />`;
  if (!data) return html`<p>Loading run ${id}…</p>`;
  const run = data.body;
  if (run.status === "starting" || run.status === "failed_to_start")
    return html`<h1>Run ${run.run_id}</h1><p><${Status} status=${run.status} /></p>
      ${run.waiting && html`<p class="waiting">It is not recorded yet: ${run.waiting}</p>`}
      ${run.params && html`<dl class="facts"><dt>params</dt><dd><${Params} params=${run.params} /></dd>
        <dt>started</dt><dd>${triggerText(run.trigger, "")}</dd></dl>`}
      ${run.status === "starting" && html`<${Actions} run=${run} roles=${roles} reload=${reload} />`}
      ${run.output && html`<pre class="log">${run.output}</pre>`}`;
  const chain = run.audit_chain || {};
  const broken = chain.chain_problem || chain.altered_seq > 0;
  const outcomes = {};
  const waiting = new Set((run.approvals_waiting || []).map((w) => w.step));
  for (const s of run.steps || []) outcomes[s.id] = stepState(run, s, waiting);
  return html`<h1>Run ${run.run_id}</h1>
    ${broken && html`<p role="alert" class="status-failure">AUDIT CHAIN BROKEN: ${
      chain.chain_problem || `event #${chain.altered_seq} was edited after it was recorded`}</p>`}
    <${ErrorLine} error=${error} what="Cannot read the run now" />
    <${Header} run=${run} />
    <${Actions} run=${run} roles=${roles} reload=${reload} />
    <${Approvals} run=${run} roles=${roles} reload=${reload} />
    <h2>Steps</h2>
    <${Dag} graph=${run.graph} outcomes=${outcomes} />
    <h2>Timeline</h2>
    <${Timeline} run=${run} waiting=${waiting} />
    <h2>Each step</h2>
    ${(run.steps || []).map((s) => html`<${Step} key=${s.id} run=${run} step=${s} waiting=${waiting} />`)}`;
}
