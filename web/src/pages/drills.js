// Drills: each drill run's RTO against its objective over time, as a uPlot chart, with the
// same numbers in a table (what a screen reader reads).
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import { usePolled } from "../api.js";
import { html, ms, when, Objective, Status, ErrorLine } from "../format.js";

function Chart({ runs }) {
  const box = useRef(null);
  useEffect(() => {
    if (!box.current || runs.length === 0) return undefined;
    const xs = runs.map((r) => Date.parse(r.started_at) / 1000);
    const rto = runs.map((r) => (r.rto_ms === null ? null : r.rto_ms / 60000));
    const goal = runs.map((r) => (r.rto_objective_ms === null ? null : r.rto_objective_ms / 60000));
    const dark = matchMedia("(prefers-color-scheme: dark)").matches;
    const axis = { stroke: dark ? "#ccc" : "#333", grid: { stroke: dark ? "#333" : "#ddd" } };
    const plot = new uPlot({
      width: Math.min(900, box.current.clientWidth || 600), height: 280,
      scales: { x: { time: true } },
      axes: [axis, { ...axis, label: "minutes" }],
      series: [{}, { label: "RTO", stroke: dark ? "#58a6ff" : "#0b5cad", width: 2, points: { show: true } },
        { label: "objective", stroke: dark ? "#ff7b72" : "#c0392b", dash: [6, 4], width: 1.5 }],
    }, [xs, rto, goal], box.current);
    return () => plot.destroy();
  }, [runs]);
  return html`<div ref=${box} class="chart" role="img" aria-label="RTO of each drill, in minutes, against the objective"></div>`;
}

export function DrillsPage() {
  const [data, error] = usePolled("/api/v1/runs?limit=500", 10000);
  const drills = data ? data.body.filter((r) => r.kind === "drill" && r.status !== "running").reverse() : [];
  return html`<h1>Drills</h1>
    <${ErrorLine} error=${error} what="Cannot read the runs" />
    ${data && drills.length === 0 && html`<p class="muted">No drill has run yet.</p>`}
    ${drills.length > 0 && html`<${Chart} runs=${drills} />
      <div class="scroll" tabindex="0" role="region" aria-label="scrollable table"><table><caption class="sr-only">Drills, oldest first</caption>
        <thead><tr><th scope="col">run</th><th scope="col">runbook</th><th scope="col">status</th>
          <th scope="col">started</th><th scope="col">RTO</th></tr></thead>
        <tbody>${drills.map((r) => html`<tr key=${r.run_id}><td><a href=${`#/runs/${r.run_id}`}>${r.run_id}</a></td>
          <td>${r.runbook}</td><td><${Status} status=${r.status} /></td><td>${when(r.started_at)}</td>
          <td><${Objective} value=${r.rto_ms} objective=${r.rto_objective_ms} what="RTO" /></td></tr>`)}</tbody></table></div>`}`;
}
