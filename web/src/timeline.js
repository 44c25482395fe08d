// A run's timeline: one row per step, a bar per attempt from its start to its end (or now,
// while it runs), coloured by its outcome; an approval gate's wait for its answer drawn apart
// (hatched), so the time people took is not read as the time the work took.
import { html, ms } from "./format.js";

const t = (iso) => (iso ? Date.parse(iso) : NaN);

export function Timeline({ run, waiting }) {
  const start = t(run.started_at);
  const now = Date.now();
  const end = Math.max(t(run.finished_at) || now, start + 1);
  const span = end - start;
  const waits = {};
  for (const a of run.approvals || []) waits[a.step] = a.waited_ms || 0;
  const pct = (v) => `${Math.max(0, Math.min(100, ((v - start) / span) * 100)).toFixed(2)}%`;
  const rows = (run.steps || []).filter((s) => (s.attempts || []).length > 0).map((s) => {
    const bars = s.attempts.map((a) => {
      const from = t(a.started_at);
      const to = t(a.finished_at) || now;
      const open = !a.finished_at && waiting.has(s.id);  // still waiting: all of it a wait
      const wait = open ? to - from : s.type === "approval" ? Math.min(waits[s.id] || 0, to - from) : 0;
      const left = pct(from);
      const width = `${Math.max(0.4, ((to - from) / span) * 100).toFixed(2)}%`;
      return html`<span class=${`bar outcome-${a.status || "running"}${wait ? " bar-wait" : ""}`}
        style=${`left:${left};width:${width}`}
        title=${`attempt ${a.number}: ${a.status || "running"}, ${ms(to - from)}${wait ? ` (waited ${ms(wait)} for an answer)` : ""}`}></span>`;
    });
    const total = s.attempts.reduce((n, a) => n + ((t(a.finished_at) || now) - t(a.started_at)), 0);
    return html`<li key=${s.id}><span class="lane-name">${s.id}</span>
      <span class="lane" aria-label=${`${s.id}: ${s.attempts.length} attempt(s), ${ms(total)}${waits[s.id] ? `, of which ${ms(waits[s.id])} waiting for approval` : ""}`}>${bars}</span></li>`;
  });
  if (rows.length === 0) return html`<p class="muted">No step has started yet.</p>`;
  return html`<ol class="timeline" aria-label="timeline">${rows}</ol>
    <p class="muted legend"><span class="bar-key bar-wait"></span> waiting for an approver's answer · total ${ms(span)}</p>`;
}
