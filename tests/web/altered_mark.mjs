// Opens runbook serve's runs page in Debian's chromium (playwright-core) and reads the row of
// run RUN_ID: whether it is marked ALTERED (the runs index disagrees with its events), and
// the mark's title (what disagrees); the page's alert (the store altered: the chain broken,
// a run only the index lists); then opens the run and reads its page's alert.
// usage: node altered_mark.mjs BASE_URL RUN_ID
// Prints a JSON object: marked, title, row (the row's text), alert, run_alert ("" when the
// page shows none), error (when a step failed).
import { chromium } from "playwright-core";

const [base, runId] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const out = { marked: false, title: "", row: "", alert: "", run_alert: "" };
const alertText = async (page) => {
  const alert = page.getByRole("alert");
  return (await alert.count()) > 0 ? await alert.first().innerText() : "";
};
try {
  const page = await browser.newPage();
  await page.goto(`${base}/`);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: runId }) });
  await row.waitFor({ timeout: 10000 });
  out.row = await row.innerText();
  const mark = row.getByText("ALTERED", { exact: true });
  out.marked = (await mark.count()) === 1;
  if (out.marked) out.title = await mark.getAttribute("title");
  out.alert = await alertText(page);
  await row.getByRole("link", { name: runId }).click();
  await page.getByRole("heading", { name: `Run ${runId}` }).waitFor({ timeout: 10000 });
  await page.getByRole("heading", { name: "Steps" }).waitFor({ timeout: 10000 });
  out.run_alert = await alertText(page);
} catch (e) {
  out.error = String(e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
