// runbook's web UI on serve's API (docs/api.md): one page per hash route. Preact with htm
// (no build-time JSX), dagre for the DAG and uPlot for the drills' chart, bundled by esbuild
// into one file the binary embeds: nothing is loaded from the internet.
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { getJson, setToken, token } from "./api.js";
import { html } from "./format.js";
import { RunsPage } from "./pages/runs.js";
import { RunPage } from "./pages/run.js";
import { RunbooksPage, RunbookPage } from "./pages/runbooks.js";
import { BackupsPage } from "./pages/backups.js";
import { DrillsPage } from "./pages/drills.js";
import { AuditPage } from "./pages/audit.js";

const PAGES = [["runs", "Runs"], ["runbooks", "Runbooks"], ["backups", "Backups"],
  ["drills", "Drills"], ["audit", "Audit"]];

function route() {
  const hash = location.hash.replace(/^#/, "") || "/runs";
  const [, section = "runs", arg] = hash.split("/").map((p) => decodeURIComponent(p));
  return { section, arg };
}

// Who calls: {name, roles}; without a usable token, a viewer named by the error.
function useMe(version) {
  const [me, setMe] = useState({ name: "", roles: [], error: "" });
  useEffect(() => {
    getJson("/api/v1/me").then((r) => setMe({ ...r.body, error: "" }),
      (e) => setMe({ name: "", roles: [], error: e.message }));
  }, [version]);
  return me;
}

function TokenBox({ me, onChange }) {
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState("");
  if (!open && !me.error) {
    return html`<span class="who">${me.name} (${me.roles.join(", ")})
      <button class="link" onClick=${() => setOpen(true)}>token</button></span>`;
  }
  return html`<form class="who" onSubmit=${(e) => { e.preventDefault(); setToken(value.trim()); setOpen(false); onChange(); }}>
    ${me.error && html`<span role="alert">${me.error}</span>`}
    <label>API token <input type="password" autocomplete="off" value=${value}
      onInput=${(e) => setValue(e.target.value)} /></label>
    <button type="submit">Use</button>
    ${token() && html`<button type="button" onClick=${() => { setToken(""); onChange(); }}>Forget</button>`}
  </form>`;
}

function Page({ section, arg, roles }) {
  if (section === "runs" && arg) return html`<${RunPage} id=${arg} roles=${roles} />`;
  if (section === "runbooks" && arg) return html`<${RunbookPage} name=${arg} roles=${roles} />`;
  if (section === "runbooks") return html`<${RunbooksPage} />`;
  if (section === "backups") return html`<${BackupsPage} />`;
  if (section === "drills") return html`<${DrillsPage} />`;
  if (section === "audit") return html`<${AuditPage} />`;
  return html`<${RunsPage} />`;
}

function App() {
  const [where, setWhere] = useState(route());
  const [version, setVersion] = useState(0);
  const me = useMe(version);
  useEffect(() => {
    const on = () => { setWhere(route()); window.scrollTo(0, 0); };
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return html`<a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>Skip to content</a>
    <header><strong>runbook</strong>
      <nav aria-label="pages"><ul>${PAGES.map(([id, label]) => html`<li key=${id}>
        <a href=${`#/${id}`} aria-current=${where.section === id ? "page" : undefined}>${label}</a></li>`)}</ul></nav>
      <${TokenBox} me=${me} onChange=${() => setVersion((v) => v + 1)} />
    </header>
    <main id="main" tabindex="-1"><${Page} ...${where} roles=${me.roles} /></main>`;
}

render(html`<${App} />`, document.getElementById("app"));
