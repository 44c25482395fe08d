// Audit: the store's hash chain walked whole (what `runbook audit verify` checks), its head,
// and the signed heads (their signatures need the public key: audit verify --public-key).
import { usePolled } from "../api.js";
import { html, when, ErrorLine } from "../format.js";

export function AuditPage() {
  const [data, error] = usePolled("/api/v1/audit", 0);
  if (!data) return html`<h1>Audit</h1><${ErrorLine} error=${error} what="Cannot read the audit store" />`;
  const a = data.body;
  return html`<h1>Audit</h1>
    ${a.ok ? html`<p class="status-success"><strong>The chain holds</strong>: ${a.events} events, each linked to the one before.</p>`
      : html`<p role="alert" class="status-failure"><strong>CHAIN BROKEN</strong> at event ${a.first_bad_seq}: ${a.problem}</p>`}
    <dl class="facts"><dt>head</dt><dd>event ${a.head.seq}, <code class="hash">${a.head.hash}</code></dd>
      <dt>signed heads</dt><dd>${a.heads_check || (a.signed_heads.length === 0 ? "none" : "")}</dd></dl>
    ${a.signed_heads.length > 0 && html`<div class="scroll" tabindex="0" role="region" aria-label="scrollable table"><table><caption class="sr-only">signed heads</caption>
      <thead><tr><th scope="col">event</th><th scope="col">hash</th><th scope="col">key</th><th scope="col">signed</th></tr></thead>
      <tbody>${a.signed_heads.map((h) => html`<tr key=${h.seq}><td>${h.seq}</td><td><code class="hash">${h.hash}</code></td>
        <td><code>${h.key_id}</code></td><td>${when(h.signed_at)}</td></tr>`)}</tbody></table></div>`}
    <p class="muted">Check the signatures with <code>runbook audit verify --public-key KEY.pub</code>.</p>`;
}
