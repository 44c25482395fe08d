// A run's steps as a DAG, laid out in layers by dagre (@dagrejs/dagre, left to right): each
// step a box coloured by its outcome, linking to its section of the page; `finally` steps
// dashed. An SVG with a title and a text equivalent for screen readers.
import { Graph, layout } from "@dagrejs/dagre";
import { html } from "./format.js";

const W = 168;
const H = 44;

function Laid(graph) {
  const g = new Graph();
  g.setGraph({ rankdir: "LR", nodesep: 14, ranksep: 42, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const s of graph) g.setNode(s.id, { width: W, height: H });
  for (const s of graph) for (const need of s.needs || []) if (g.hasNode(need)) g.setEdge(need, s.id);
  layout(g);
  return g;
}

const clip = (text, n) => (text.length > n ? `${text.slice(0, n - 1)}…` : text);

export function Dag({ graph, outcomes }) {
  if (!graph || graph.length === 0) return null;
  const g = Laid(graph);
  const { width, height } = g.graph();
  const edges = g.edges().map((e) => {
    const pts = g.edge(e).points;
    const d = pts.map((p, i) => `${i ? "L" : "M"}${p.x.toFixed(1)},${p.y.toFixed(1)}`).join(" ");
    return html`<path key=${`${e.v}-${e.w}`} class="dag-edge" d=${d} marker-end="url(#arrow)" />`;
  });
  const nodes = graph.map((s) => {
    const n = g.node(s.id);
    const outcome = outcomes[s.id] || "pending";
    // Its name is its text (WCAG 2.5.3, label in name): "ID USES · OUTCOME".
    return html`<a key=${s.id} href=${`#step-${encodeURIComponent(s.id)}`}
        onClick=${(e) => { e.preventDefault(); document.getElementById(`step-${s.id}`)?.scrollIntoView(); }}>
      <rect class=${`dag-node outcome-${outcome}${s.finally ? " dag-finally" : ""}`}
        x=${n.x - W / 2} y=${n.y - H / 2} width=${W} height=${H} rx="6" />
      <text x=${n.x} y=${n.y - 4} text-anchor="middle"><tspan class="dag-id">${clip(s.id, 22)}</tspan>${" "}<tspan
        x=${n.x} dy="17" class="dag-sub">${clip(`${s.uses} · ${outcome}`, 26)}</tspan></text>
    </a>`;
  });
  return html`<figure class="dag">
    <svg role="group" aria-labelledby="dag-title" width=${width} height=${height}
        viewBox=${`0 0 ${width} ${height}`}>
      <title id="dag-title">The run's steps and what each needs</title>
      <defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7"
        markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="dag-arrow" /></marker></defs>
      ${edges}${nodes}
    </svg>
    <figcaption class="sr-only">${graph.map((s) =>
      `${s.id} (${outcomes[s.id] || "pending"})${s.needs && s.needs.length ? ` needs ${s.needs.join(", ")}` : ""}`).join("; ")}</figcaption>
  </figure>`;
}
