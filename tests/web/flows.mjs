// The web UI's flows in Debian's chromium (playwright-core) against a real runbook serve
// (tests/web/ui_test.cpp starts it with runbooks `gated` and `broken`, and has run a backup
// and a drill of it before): trigger a run from the Runbooks page's form, watch it progress
// live, approve its gate with an input, see the DAG and the timeline; read a failed step's
// log and its PDF report; the Backups page after the drill; the Drills chart; the Audit page. On every page:
// axe-core (WCAG 2.1 A and AA) finds nothing, no console error, nothing wider than a phone's
// screen at 390 px; pages in the dark scheme too; the pages reached with the keyboard alone.
// usage: node flows.mjs BASE_URL SCREENSHOT_DIR
// Prints a JSON object: steps passed (names), axe {page: [violation ids]}, overflow {page:
// px}, console_errors, screenshots {name: bytes}, blank_bytes, pdf (the failed run's PDF
// report, saved), error (the first failure).
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const [base, shots] = process.argv.slice(2);
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const out = { passed: [], axe: {}, overflow: {}, console_errors: [], screenshots: {} };
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });

async function newPage(options = {}) {
  // bypassCSP: axe-core is injected as a script of the page, which serve's CSP (rightly) refuses.
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, bypassCSP: true, ...options });
  page.on("console", (m) => m.type() === "error" && out.console_errors.push(`${page.url()}: ${m.text()}`));
  page.on("pageerror", (e) => out.console_errors.push(`${page.url()}: ${e}`));
  return page;
}

async function axe(page, name) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  out.axe[name] = result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

async function shot(page, name) {
  out.screenshots[name] = (await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true })).length;
}

const pass = (name) => out.passed.push(name);

try {
  const blank = await newPage();
  await blank.goto("about:blank");
  out.blank_bytes = (await blank.screenshot({ path: `${shots}/blank.png` })).length;
  await blank.close();

  // 1. Trigger a run from the form: the runbook's typed params, the range enforced.
  const page = await newPage();
  await page.goto(`${base}/ui/#/runbooks`);
  await page.getByRole("link", { name: "gated", exact: true }).click();
  await page.getByRole("heading", { name: "Run gated" }).waitFor({ timeout: 10000 });
  await axe(page, "runbook");
  await shot(page, "runbook");
  await page.getByLabel("size").fill("11");  // above its maximum: the browser refuses to send
  await page.getByRole("button", { name: "Run", exact: true }).click();
  if (!(await page.getByLabel("size").evaluate((e) => !e.validity.valid))) throw new Error("size 11 was accepted");
  await page.getByLabel("size").fill("4");
  await page.getByLabel("mode").selectOption("slow");
  await page.getByRole("button", { name: "Run", exact: true }).click();
  await page.getByRole("heading", { name: /^Run \d{8}T\d{6}Z-[0-9a-f]{6}$/ }).waitFor({ timeout: 10000 });
  const runId = (await page.getByRole("heading", { level: 1 }).innerText()).replace("Run ", "");
  out.run_id = runId;
  await page.getByText("mode=slow").waitFor({ timeout: 10000 });  // its params, once it started
  pass("run started from the form");

  // 2. Watch it progress live, to its gate; the DAG and the timeline show it.
  await page.getByRole("link", { name: /^prepare exec · success$/ }).waitFor({ timeout: 15000 });
  await page.getByRole("link", { name: /^gate approval · waiting$/ }).waitFor({ timeout: 15000 });
  if ((await page.locator(".dag svg a").count()) !== 5) throw new Error("the DAG does not show 5 steps");
  if ((await page.getByRole("list", { name: "timeline" }).getByRole("listitem").count()) < 3)
    throw new Error("the timeline does not show the steps that started");
  pass("progress shown live, DAG and timeline");
  await axe(page, "run-waiting");
  await shot(page, "run-waiting");

  // 3. Approve the gate: its required input first.
  await page.getByLabel("ticket").fill("CHG-42");
  await page.getByRole("button", { name: "Approve" }).click();
  await page.getByRole("link", { name: /^switch exec · success$/ }).waitFor({ timeout: 15000 });
  await page.getByText("success", { exact: true }).first().waitFor({ timeout: 15000 });
  const approved = await (await fetch(`${base}/api/v1/runs/${runId}`)).json();
  if (approved.status !== "success" || !approved.approvals.some((a) => a.inputs.ticket === "CHG-42"))
    throw new Error(`the approval did not carry the input: ${JSON.stringify(approved.approvals)}`);
  pass("gate approved with its input");
  await shot(page, "run");

  // 4. A failed step's log.
  const started = await fetch(`${base}/api/v1/runbooks/broken/runs`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: "{}" });
  const broken = (await started.json()).run_id;
  await page.goto(`${base}/ui/#/runs/${broken}`);
  await page.getByRole("link", { name: /^explode exec · failure$/ }).waitFor({ timeout: 15000 });
  await page.getByRole("button", { name: "Show log of explode" }).click();
  await page.getByLabel("log of explode").getByText("the disk is on fire").waitFor({ timeout: 10000 });
  pass("failed step's log read");
  await axe(page, "run-failed");
  // Its PDF report, from the run page's link: a PDF, made by serve, naming the failure.
  const pdfHref = await page.getByRole("link", { name: "PDF", exact: true }).getAttribute("href");
  const pdf = await fetch(new URL(pdfHref, `${base}/ui/`));
  const pdfBytes = Buffer.from(await pdf.arrayBuffer());
  if (pdf.status !== 200 || pdf.headers.get("content-type") !== "application/pdf"
      || pdfBytes.subarray(0, 5).toString() !== "%PDF-")
    throw new Error(`the PDF link gave ${pdf.status} ${pdf.headers.get("content-type")}`);
  writeFileSync(`${shots}/broken.pdf`, pdfBytes);
  out.pdf = `${shots}/broken.pdf`;
  pass("PDF report linked from the run page");

  // 5. Runs page: the runs, filters, the keyboard alone.
  await page.goto(`${base}/ui/#/runs`);
  await page.getByRole("link", { name: runId }).waitFor({ timeout: 10000 });
  await page.getByLabel("Status").selectOption("failure");
  await page.getByRole("link", { name: broken }).waitFor({ timeout: 10000 });
  await page.getByRole("link", { name: runId }).waitFor({ state: "detached", timeout: 5000 })
    .catch(() => { throw new Error("the status filter let a success through"); });
  await page.getByLabel("Status").selectOption("");
  await axe(page, "runs");
  await shot(page, "runs");
  await page.goto(`${base}/ui/#/runs`);
  let reached = false;
  for (let i = 0; i < 12 && !reached; i += 1) {
    await page.keyboard.press("Tab");
    reached = await page.evaluate(() => document.activeElement?.textContent === "Backups");
  }
  if (!reached) throw new Error("the Backups link cannot be reached with Tab");
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { name: "Backups", level: 1 }).waitFor({ timeout: 10000 });
  pass("pages reached with the keyboard");

  // 6. Backups after the drill: the newest dump verified, by which run.
  await page.getByText("verified by", { exact: false }).first().waitFor({ timeout: 10000 });
  await page.getByText("(the RPO now)").waitFor({ timeout: 10000 });
  pass("backups page says which drill verified the dump");
  await axe(page, "backups");
  await shot(page, "backups");

  // 7. Drills: the RTO chart (uPlot's canvas) and its table.
  await page.goto(`${base}/ui/#/drills`);
  await page.locator(".chart canvas").first().waitFor({ timeout: 10000 });
  await page.getByRole("table").getByText("met").first().waitFor({ timeout: 10000 });
  pass("drills chart drawn");
  await axe(page, "drills");
  await shot(page, "drills");

  // 8. Audit: the chain's state.
  await page.goto(`${base}/ui/#/audit`);
  await page.getByText("The chain holds").waitFor({ timeout: 10000 });
  pass("audit page");
  await axe(page, "audit");
  await shot(page, "audit");

  // 9. A phone's width and the dark scheme: nothing wider than the screen; readable.
  const phone = await newPage({ viewport: { width: 390, height: 844 }, colorScheme: "dark" });
  for (const [name, route] of [["runs", "runs"], ["run", `runs/${runId}`], ["runbook", "runbooks/gated"],
    ["backups", "backups"], ["drills", "drills"], ["audit", "audit"]]) {
    await phone.goto(`${base}/ui/#/${route}`);
    await phone.getByRole("heading", { level: 1 }).waitFor({ timeout: 10000 });
    await phone.waitForTimeout(500);
    out.overflow[name] = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await axe(phone, `dark-${name}`);
    if (name === "run") await shot(phone, "phone-dark-run");
  }
  pass("phone width and dark scheme");
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
