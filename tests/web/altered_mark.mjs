// Opens runbook serve's runs page in Debian's chromium (playwright-core) and reads the row of
// run RUN_ID: whether it is marked ALTERED (the runs index disagrees with its events), and
// the mark's title (what disagrees).
// usage: node altered_mark.mjs BASE_URL RUN_ID
// Prints a JSON object: marked, title, row (the row's text), error (when a step failed).
import { chromium } from "playwright-core";

const [base, runId] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const out = { marked: false, title: "", row: "" };
try {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: runId }) });
  await row.waitFor({ timeout: 10000 });
  out.row = await row.innerText();
  const mark = row.getByText("ALTERED", { exact: true });
  out.marked = (await mark.count()) === 1;
  if (out.marked) out.title = await mark.getAttribute("title");
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
