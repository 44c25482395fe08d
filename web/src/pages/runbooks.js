// Runbooks: each file of serve's folder (an invalid one with its errors, located), its
// schedules and next fires; a runbook's page with its recent runs and a Run form made from its
// typed params.
import { useState } from "preact/hooks";
import { postJson, usePolled } from "../api.js";
import { Fields, initialValues, valuesToSend } from "../inputs.js";
import { html, ms, when, Status, ErrorLine } from "../format.js";

const enc = encodeURIComponent;

function Schedules({ schedules }) {
  if (!schedules || schedules.length === 0) return html`<span class="muted">by hand</span>`;
  return schedules.map((s) => html`<div><code>${s.cron}</code> ${s.timezone}
    ${s.next && s.next.length > 0 && html`<br /><small>next ${s.next.map((n) => n.local).join(", ")}</small>`}</div>`);
}

export function RunbooksPage() {
  const [data, error] = usePolled("/api/v1/runbooks", 5000);
  return html`<h1>Runbooks</h1>
    <${ErrorLine} error=${error} what="Cannot read the runbooks" />
    ${data && html`<div class="scroll" tabindex="0" role="region" aria-label="scrollable table"><table><caption class="sr-only">Runbooks</caption>
      <thead><tr><th scope="col">runbook</th><th scope="col">kind</th><th scope="col">description</th>
        <th scope="col">schedule</th></tr></thead>
      <tbody>${data.body.map((b) => b.name ? html`<tr key=${b.file}>
          <td><a href=${`#/runbooks/${enc(b.name)}`}>${b.name}</a></td><td>${b.kind}</td>
          <td>${b.description}</td><td><${Schedules} schedules=${b.schedules} /></td></tr>`
        : html`<tr key=${b.file}><td colspan="4"><strong class="status-failure">${b.file} is not valid</strong>
          <pre class="log">${b.problems}</pre></td></tr>`)}</tbody></table></div>`}`;
}

function RunForm({ book, roles }) {
  const params = book.params || [];
  const [values, setValues] = useState(initialValues(params));
  const [said, setSaid] = useState("");
  if (!roles.includes("operator")) return html`<p class="muted">Starting a run needs the operator role.</p>`;
  const submit = async (e) => {
    e.preventDefault();
    setSaid("starting…");
    const r = await postJson(`/api/v1/runbooks/${enc(book.name)}/runs`, { params: valuesToSend(params, values) });
    if (r.ok) location.hash = `#/runs/${r.body.run_id}`;
    else setSaid(`refused (${r.status}): ${r.body.error || ""}`);
  };
  return html`<form class="run-form" aria-labelledby="run-form" onSubmit=${submit}>
    <h2 id="run-form">Run ${book.name}</h2>
    <${Fields} specs=${params} values=${values} prefix="param"
      onInput=${(k, v) => setValues({ ...values, [k]: v })} />
    <button type="submit">Run</button>
    ${said && html`<p role=${said.startsWith("refused") ? "alert" : "status"}>${said}</p>`}
  </form>`;
}

export function RunbookPage({ name, roles }) {
  const [data, error] = usePolled(`/api/v1/runbooks/${enc(name)}`, 0);
  const [runs] = usePolled(`/api/v1/runs?runbook=${enc(name)}&limit=10`, 3000);
  if (error) return html`<h1>${name}</h1><${ErrorLine} error=${error} what="Cannot read the runbook" />`;
  if (!data) return html`<p>Loading ${name}…</p>`;
  const book = data.body;
  return html`<h1>${book.name}</h1>
    <p>${book.description || html`<span class="muted">no description</span>`}</p>
    <dl class="facts"><dt>kind</dt><dd>${book.kind}</dd><dt>file</dt><dd><code>${book.file}</code></dd>
      <dt>schedule</dt><dd><${Schedules} schedules=${book.schedules} /></dd>
      <dt>overlap</dt><dd>${book.overlap}</dd>
      ${book.catchup_ms > 0 && html`<dt>catch-up</dt><dd>${ms(book.catchup_ms)}</dd>`}</dl>
    <${RunForm} book=${book} roles=${roles} />
    <h2>Recent runs</h2>
    ${runs && (runs.body.length === 0 ? html`<p class="muted">none yet</p>` : html`<ul>
      ${runs.body.map((r) => html`<li key=${r.run_id}><a href=${`#/runs/${r.run_id}`}>${r.run_id}</a>
        <${Status} status=${r.status} /> ${when(r.started_at)} ${ms(r.duration_ms)}</li>`)}</ul>`)}`;
}
