// How the pages write times, durations and outcomes.
import { h } from "preact";
import htm from "htm";

export const html = htm.bind(h);

export function ms(v) {
  if (v === null || v === undefined) return "";
  if (v < 1000) return `${v} ms`;
  const s = v / 1000;
  if (s < 120) return `${s.toFixed(1)} s`;
  if (s < 7200) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  const hours = s / 3600;
  return hours < 48 ? `${hours.toFixed(1)} h` : `${(hours / 24).toFixed(1)} days`;
}

export const seconds = (v) => (v === null || v === undefined ? "" : ms(v * 1000));

// "2026-12-05T03:00:01.123Z" -> "2026-12-05 03:00:01 UTC"
export function when(iso) {
  if (!iso) return "";
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

// A measured value against its objective: "12.0 s / 2 h met".
export function Objective({ value, objective, what }) {
  if (value === null || value === undefined) return html`<span class="muted">not measured</span>`;
  if (objective === null || objective === undefined) return ms(value);
  const met = value <= objective;
  return html`<span class=${met ? "status-success" : "status-failure"}
    title=${`${what} ${ms(value)}, objective ${ms(objective)}`}>
    ${ms(value)} / ${ms(objective)} ${met ? "met" : "MISSED"}</span>`;
}

export function Status({ status }) {
  return html`<span class=${`status status-${status}`}>${status}</span>`;
}

// What started a run: "schedule 0 3 * * *", "API (alice)", "restart", "terminal (root)".
export function triggerText(trigger, user) {
  if (!trigger || !trigger.kind) return `terminal${user ? ` (${user})` : ""}`;
  if (trigger.kind === "schedule") return `schedule ${trigger.cron || ""}`.trim();
  if (trigger.kind === "api") return `API (${trigger.by || "anonymous"})`;
  return trigger.kind;
}

export function ErrorLine({ error, what }) {
  return error ? html`<p role="alert" class="status-failure">${what}: ${error}</p>` : null;
}
