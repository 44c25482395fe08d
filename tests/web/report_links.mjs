// The run page's report links in Debian's chromium (playwright-core) against a runbook serve
// that needs a token (breakHH HH5: a plain link carries no Authorization header; each click
// was a 401 and six locked the address out). The token is given as an operator gives it (the
// page's token form keeps it in sessionStorage); each link then saves the report.
// usage: node report_links.mjs BASE_URL TOKEN RUN_ID DOWNLOAD_DIR
// Prints a JSON object: saved {ext: {name, head (first bytes), bytes}}, alerts (error lines
// the page showed), console_errors, error (the first failure).
import { readFileSync } from "node:fs";
import { chromium } from "playwright-core";

const [base, token, id, dir] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
const out = { saved: {}, alerts: [], console_errors: [] };
try {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  page.on("console", (m) => m.type() === "error" && out.console_errors.push(m.text()));
  page.on("pageerror", (e) => out.console_errors.push(String(e)));
  await page.addInitScript((t) => sessionStorage.setItem("runbook-token", t), token);
  await page.goto(`${base}/ui/#/runs/${id}`);
  await page.getByRole("heading", { name: `Run ${id}` }).waitFor({ timeout: 15000 });
  for (const [ext, label] of [["pdf", "PDF"], ["html", "HTML"], ["md", "Markdown"]]) {
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 15000 }),
      page.getByRole("link", { name: label, exact: true }).click(),
    ]);
    const path = `${dir}/${download.suggestedFilename()}`;
    await download.saveAs(path);
    const bytes = readFileSync(path);
    out.saved[ext] = { name: download.suggestedFilename(), head: bytes.subarray(0, 15).toString(), bytes: bytes.length };
  }
  out.alerts = await page.getByRole("alert").allInnerTexts();
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
