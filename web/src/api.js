// serve's API (docs/api.md) for the pages: JSON reads, polled; JSON writes. A token, when the
// operator gives one, travels in the Authorization header, never in a cookie: a browser never
// adds it to another site's request (docs/serve.md "Cross-site requests").
import { useEffect, useState } from "preact/hooks";

const KEY = "runbook-token";

export const token = () => sessionStorage.getItem(KEY) || "";
export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
}

function headers(extra = {}) {
  const out = { Accept: "application/json", ...extra };
  if (token()) out.Authorization = `Bearer ${token()}`;
  return out;
}

// GET `path` as JSON: {body, next (X-Next-Cursor), altered (X-Store-Altered)}; throws with the
// API's error text.
export async function getJson(path) {
  const res = await fetch(path, { headers: headers() });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.error || `${res.status} ${res.statusText}`);
  return {
    body,
    next: res.headers.get("X-Next-Cursor") || "",
    altered: res.headers.get("X-Store-Altered") || "",
  };
}

// GET `path` as text; throws with the status.
export async function getText(path) {
  const res = await fetch(path, { headers: headers({ Accept: "text/plain" }) });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return res.text();
}

// GET `path` as a Blob (a report's bytes); throws with the status.
export async function getBlob(path) {
  const res = await fetch(path, { headers: headers({ Accept: "*/*" }) });
  if (!res.ok) throw new Error(`${res.status} ${res.statusText}`);
  return res.blob();
}

// POST `body` as JSON: {ok, status, body} (never throws on an HTTP error: the caller shows it).
export async function postJson(path, body) {
  const res = await fetch(path, {
    method: "POST",
    headers: headers({ "Content-Type": "application/json" }),
    body: JSON.stringify(body),
  });
  const answer = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, body: answer };
}

// Fetches `path` now and every `everyMs` (0: once); [data, error, reload].
export function usePolled(path, everyMs) {
  const [state, setState] = useState({ data: null, error: "" });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => (s.path === path ? s : { data: null, error: "", path }));  // never another path's
    const load = () =>
      getJson(path).then(
        (r) => live && setState({ data: r, error: "", path }),
        (e) => live && setState((s) => ({ data: s.data, error: e.message })),
      );
    load();
    const timer = everyMs > 0 ? setInterval(load, everyMs) : 0;
    return () => { live = false; clearInterval(timer); };
  }, [path, everyMs, tick]);
  return [state.data, state.error, () => setTick((t) => t + 1)];
}
