// Opens runbook serve's web UI in Debian's chromium (playwright-core) and follows one flow:
// with the runs page open, a run of RUNBOOK is started through the API; the page lists it
// without a reload, and its link opens the run page with step STEP.
// usage: node runs_page.mjs BASE_URL RUNBOOK STEP SCREENSHOT_DIR
// Prints a JSON object: run_id, listed, step_shown, console_errors, screenshots {name: bytes},
// blank_bytes (a blank page's screenshot, for comparison), error (when a step failed).
import { chromium } from "playwright-core";

const [base, runbook, step, shots] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const out = { listed: false, step_shown: false, console_errors: [], screenshots: {} };
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on("console", (m) => m.type() === "error" && out.console_errors.push(m.text()));
  page.on("pageerror", (e) => out.console_errors.push(String(e)));
  await page.goto("about:blank");
  out.blank_bytes = (await page.screenshot({ path: `${shots}/blank.png` })).length;

  await page.goto(`${base}/`);
  await page.getByRole("heading", { name: "Runs" }).waitFor({ timeout: 10000 });
  const started = await fetch(`${base}/api/v1/runbooks/${runbook}/runs`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: "{}",
  });
  out.run_id = (await started.json()).run_id;
  const link = page.getByRole("link", { name: out.run_id });
  await link.waitFor({ timeout: 10000 });
  out.listed = true;
  out.screenshots.runs = (await page.screenshot({ path: `${shots}/runs.png` })).length;

  await link.click();
  // The step in the DAG (a link named "ID USES · OUTCOME") and its own section's heading.
  await page.getByRole("link", { name: new RegExp(`^${step} `) }).waitFor({ timeout: 10000 });
  await page.getByRole("heading", { name: new RegExp(`^${step}\\b`), level: 3 }).waitFor({ timeout: 10000 });
  out.step_shown = true;
  out.screenshots.run = (await page.screenshot({ path: `${shots}/run.png` })).length;
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
