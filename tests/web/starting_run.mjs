// Opens runbook serve's web UI in Debian's chromium (playwright-core) on a run that is not
// recorded yet (it waits for its lock): the runs page lists it as starting with what it waits
// for, its page says so, and its Cancel button ends it.
// usage: node starting_run.mjs BASE_URL RUN_ID
// Prints a JSON object: row (the run's row text), page (the run page's waiting line), facts
// (its params and trigger), cancelled (its page showed it cancelled), console_errors, error (when a step failed).
import { chromium } from "playwright-core";

const [base, id] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const out = { row: "", page: "", facts: "", cancelled: false, console_errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  page.on("console", (m) => m.type() === "error" && out.console_errors.push(m.text()));
  page.on("pageerror", (e) => out.console_errors.push(String(e)));
  await page.goto(`${base}/`);
  const link = page.getByRole("link", { name: id });
  await link.waitFor({ timeout: 10000 });
  out.row = await page.getByRole("row").filter({ has: link }).innerText();
  await link.click();
  const waiting = page.getByText(/^It is not recorded yet: /);
  await waiting.waitFor({ timeout: 10000 });
  out.page = await waiting.innerText();
  out.facts = await page.locator("dl.facts").innerText();
  // Cancelled from its page while it waits: it ends without starting.
  await page.getByRole("button", { name: "Cancel run" }).click();
  await page.locator(".status-cancelled").waitFor({ timeout: 15000 });
  out.cancelled = true;
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
