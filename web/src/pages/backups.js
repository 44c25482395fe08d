// Backups: per runbook that published dumps, the newest one and its age (the RPO right now),
// and whether a drill's integrity check proved it, when and in which run (docs/backups.md).
import { usePolled } from "../api.js";
import { html, seconds, when, ErrorLine } from "../format.js";

function bytes(n) {
  if (n < 1024) return `${n} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i += 1; }
  return `${v.toFixed(1)} ${units[i]}`;
}

function Verified({ dump }) {
  if (!dump.verified) return html`<strong class="status-failure">not verified</strong>`;
  const v = dump.verified_by[dump.verified_by.length - 1];
  return html`<span class="status-success">verified</span> by
    <a href=${`#/runs/${v.run_id}`}>${v.runbook} ${v.run_id}</a> at ${when(v.at)}`;
}

export function BackupsPage() {
  const [data, error] = usePolled("/api/v1/backups", 10000);
  if (!data) return html`<h1>Backups</h1><${ErrorLine} error=${error} what="Cannot read the backups" />`;
  const { runbooks, dumps } = data.body;
  return html`<h1>Backups</h1>
    ${data.altered && html`<p role="alert" class="status-failure">ALTERED: ${data.altered}</p>`}
    ${runbooks.length === 0 && html`<p class="muted">No backup has published a dump yet.</p>`}
    ${runbooks.map((rb) => {
      const mine = dumps.filter((d) => d.available && d.made_by.runbook === rb.name)
        .sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
      const newest = mine[0];
      return html`<section key=${rb.name} aria-labelledby=${`b-${rb.name}`}>
        <h2 id=${`b-${rb.name}`}>${rb.name}</h2>
        <dl class="facts">
          <dt>dumps</dt><dd>${rb.available} available, ${rb.verified} verified</dd>
          <dt>newest</dt><dd>${newest ? html`${when(newest.created_at)}, ${seconds(rb.newest_age_seconds)} ago (the RPO now),
            ${bytes(newest.size)}, <${Verified} dump=${newest} />` : "none"}</dd>
          <dt>newest verified</dt><dd>${rb.newest_verified_created_at
            ? html`${when(rb.newest_verified_created_at)}, ${seconds(rb.newest_verified_age_seconds)} ago (the RPO of what a drill proved)`
            : html`<strong class="status-failure">none: no drill has proved a dump of it</strong>`}</dd>
        </dl>
        <div class="scroll" tabindex="0" role="region" aria-label="scrollable table"><table><caption class="sr-only">dumps of ${rb.name}</caption>
          <thead><tr><th scope="col">created</th><th scope="col">size</th><th scope="col">sha256</th>
            <th scope="col">where</th><th scope="col">verified</th></tr></thead>
          <tbody>${mine.slice(0, 20).map((d) => html`<tr key=${d.sha256 + d.path}>
            <td>${when(d.created_at)}</td><td>${bytes(d.size)}</td><td><code class="hash">${d.sha256.slice(0, 16)}…</code></td>
            <td><code>${d.path}</code>${d.copies.length > 0 && html`<br /><small>${d.copies.length} cop${d.copies.length === 1 ? "y" : "ies"}</small>`}</td>
            <td><${Verified} dump=${d} /></td></tr>`)}</tbody></table></div>
      </section>`;
    })}`;
}
