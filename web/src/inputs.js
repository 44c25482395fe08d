// A form's fields for typed values (a runbook's params, an approval gate's inputs, as the API
// describes them: name, type, description, required, default, enum, minimum, maximum): an enum
// as a choice, a boolean as a checkbox, numbers with their range, required marked. The values
// are sent as they are typed; serve checks them exactly as --set and --input (400 says why).
import { html } from "./format.js";

export function initialValues(specs) {
  const out = {};
  for (const p of specs) out[p.name] = p.default === null || p.default === undefined ? "" : String(p.default);
  return out;
}

// The values to send: empty optional fields left out; booleans and numbers as JSON values.
export function valuesToSend(specs, values) {
  const out = {};
  for (const p of specs) {
    const v = values[p.name];
    if (v === "" || v === undefined) continue;
    if (p.type === "boolean") out[p.name] = v === "true";
    else if ((p.type === "integer" || p.type === "number") && v.trim() !== "" && !isNaN(Number(v)))
      out[p.name] = Number(v);
    else out[p.name] = v;
  }
  return out;
}

function Field({ spec, value, onInput, prefix }) {
  const id = `${prefix}-${spec.name}`;
  const set = (v) => onInput(spec.name, v);
  let control;
  if (spec.enum && spec.enum.length > 0) {
    control = html`<select id=${id} value=${value} required=${spec.required}
      onChange=${(e) => set(e.target.value)}>
      ${!spec.required && html`<option value="">(default)</option>`}
      ${spec.enum.map((v) => html`<option value=${v}>${v}</option>`)}</select>`;
  } else if (spec.type === "boolean") {
    control = html`<input id=${id} type="checkbox" checked=${value === "true"}
      onChange=${(e) => set(e.target.checked ? "true" : "false")} />`;
  } else {
    const numeric = spec.type === "integer" || spec.type === "number";
    control = html`<input id=${id} type=${numeric ? "number" : "text"} value=${value}
      required=${spec.required} step=${spec.type === "integer" ? "1" : "any"}
      min=${spec.minimum ?? undefined} max=${spec.maximum ?? undefined}
      onInput=${(e) => set(e.target.value)} />`;
  }
  const range = spec.minimum !== null && spec.minimum !== undefined
    ? ` ${spec.minimum} to ${spec.maximum ?? "any"}` : "";
  return html`<div class="field">
    <label for=${id}>${spec.name}${spec.required && html` <abbr title="required">*</abbr>`}</label>
    ${control}
    <small class="muted">${spec.type}${range}${spec.description ? ` — ${spec.description}` : ""}</small>
  </div>`;
}

export function Fields({ specs, values, onInput, prefix }) {
  return specs.map((s) => html`<${Field} key=${s.name} spec=${s} value=${values[s.name] ?? ""}
    onInput=${onInput} prefix=${prefix} />`);
}
