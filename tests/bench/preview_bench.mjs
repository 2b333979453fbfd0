// Save → tab latency of `galeri serve`'s live preview (run by preview_bench.sh): starts the
// server on a catalog, opens a product page in headless Chromium, then several times rewrites
// the product's name in its file and measures until the page's heading shows it. Prints
// "<median ms> <max ms>".
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { chromium } = require("playwright-core");
const [bin, root, content, out, file, url, savesText] = process.argv.slice(2);
const saves = Number(savesText);

const port = await new Promise((resolve) => {
  const server = net.createServer();
  server.listen(0, "127.0.0.1", () => {
    const { port: free } = server.address();
    server.close(() => resolve(free));
  });
});
const child = spawn(bin, ["serve", "--port", String(port), "--content", content,
  "--theme", `${root}/themes/default`, "--out", out, "--store", `sqlite:${out}.db`], {
  cwd: root, stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, RUST_LOG: "warn" },
});
let log = "";
child.stderr.on("data", (chunk) => { log += chunk; });
const base = `http://127.0.0.1:${port}`;
try {
  const deadline = Date.now() + 600_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`galeri serve exited:\n${log}`);
    if (Date.now() > deadline) throw new Error(`galeri serve did not start:\n${log}`);
    try {
      if ((await fetch(`${base}/api/v1/health`)).ok) break;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  const page = await browser.newPage();
  await page.goto(`${base}${url}`);
  const original = fs.readFileSync(file, "utf8");
  const name = /^name: (.*)$/m.exec(original)[1];
  const times = [];
  for (let i = 1; i <= saves; i += 1) {
    await page.waitForFunction(() => document.documentElement.dataset.pratinjau !== undefined);
    const renamed = `${name} v${i}`;
    const started = performance.now();
    fs.writeFileSync(file, original.replace(`name: ${name}`, `name: ${renamed}`));
    await page.getByRole("heading", { level: 1, name: renamed }).waitFor({ timeout: 120_000 });
    times.push(performance.now() - started);
    // Let the server settle between saves.
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  fs.writeFileSync(file, original);
  await browser.close();
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)];
  console.log(`${Math.round(median)}ms ${Math.round(times[times.length - 1])}ms`);
} finally {
  child.kill("SIGINT");
}
