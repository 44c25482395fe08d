// The web UI's runs page in Debian's chromium (playwright-core from tests/web): the time from
// navigation to the first page of runs shown (the table's first run link visible), over RUNS
// loads. usage: node bench/ui_runs_page.mjs BASE_URL RUNS [PATH] (PATH: the page, default /)
// Prints JSON: {"loads_ms": [...], "median_ms", "dom_content_loaded_ms" (median)}.
import { createRequire } from "module";

const require = createRequire(new URL("../tests/web/package.json", import.meta.url));
const { chromium } = require("playwright-core");
const [base, runs, path] = [process.argv[2], Number(process.argv[3] || 5), process.argv[4] || "/"];
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const loads = [], dcl = [];
try {
  for (let i = 0; i < runs + 1; ++i) {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    const start = Date.now();
    await page.goto(`${base}${path}`);
    await page.locator("table a[href*='runs/']").first().waitFor({ timeout: 30000 });
    const shown = Date.now() - start;
    const nav = await page.evaluate(() => performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd);
    await page.close();
    if (i === 0) continue;  // the first warms chromium's caches
    loads.push(shown);
    dcl.push(nav);
  }
} finally {
  await browser.close();
}
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
console.log(JSON.stringify({ loads_ms: loads, median_ms: median(loads), dom_content_loaded_ms: median(dcl) }));
