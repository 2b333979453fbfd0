// The live preview of `galeri serve`, as staff use it: a product page is open; saving an edit
// to its Markdown file reloads the tab with the change; breaking the file shows an overlay that
// lists the problem as path:line:col in Indonesian while the last good page stays; fixing it
// reloads again. Runs on a copy of the real catalog (content/ itself is never edited).
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startGaleri, repoRoot } = require("./lib/galeri.js");
const { launch, phonePage, checkPage } = require("./lib/browser.js");

/** How long a save may take to show (the machine is shared; the aim is far below). */
const RELOAD_TIMEOUT_MS = 30_000;
const PRODUCER = "anyaman-pring-kuning";
const PRODUCT = "besek-bambu";

let galeri;
let browser;
let copy;
let file;

before(async () => {
  // A copy of the catalog, its photos' cache shared with the other suites (same photos).
  copy = fs.mkdtempSync(path.join(os.tmpdir(), "galeri-pratinjau-"));
  fs.cpSync(path.join(repoRoot, "content"), path.join(copy, "content"), { recursive: true });
  const cache = path.join(repoRoot, ".galeri", "image-cache");
  fs.mkdirSync(cache, { recursive: true });
  fs.mkdirSync(path.join(copy, ".galeri"));
  fs.symlinkSync(cache, path.join(copy, ".galeri", "image-cache"));
  file = path.join(copy, "content", "products", PRODUCER, `${PRODUCT}.md`);
  galeri = await startGaleri({ serveArgs: ["--content", path.join(copy, "content")] });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await galeri?.stop();
  if (copy) fs.rmSync(copy, { recursive: true, force: true });
});

/** Rewrites the product file, replacing `from` with `to`. */
function edit(from, to) {
  const text = fs.readFileSync(file, "utf8");
  assert.ok(text.includes(from), `${file} has ${from}`);
  fs.writeFileSync(file, text.replace(from, to));
}

test("a saved edit reloads the open tab; broken YAML shows the problems; fixing it reloads", async () => {
  const page = await phonePage(browser);
  await page.goto(`${galeri.url}/produk/${PRODUCER}/${PRODUCT}/`);
  await page.getByRole("heading", { level: 1, name: "Besek Bambu isi 10" }).waitFor();
  // Wait until the page follows the server's builds.
  await page.waitForFunction(() => document.documentElement.dataset.pratinjau !== undefined);

  let saved = Date.now();
  edit("name: Besek Bambu isi 10", "name: Besek Bambu isi 12");
  await page.getByRole("heading", { level: 1, name: "Besek Bambu isi 12" })
    .waitFor({ timeout: RELOAD_TIMEOUT_MS });
  console.log(`# save → tab shows the change: ${Date.now() - saved} ms`);

  // A price with a thousands dot is a mistake staff make: line 5, after `price: `.
  saved = Date.now();
  edit("price: 20000", "price: 20.000");
  const overlay = page.getByRole("alert", { name: /masalah di konten/ });
  await overlay.waitFor({ timeout: RELOAD_TIMEOUT_MS });
  console.log(`# save → overlay: ${Date.now() - saved} ms`);
  const text = await overlay.innerText();
  assert.match(text, new RegExp(`products/${PRODUCER}/${PRODUCT}\\.md:5:8`), text);
  assert.match(text, /harus bilangan bulat rupiah/, text);
  assert.match(text, /situs terakhir yang berhasil dibangun/, text);
  // The last good page is still there, under the overlay.
  await page.getByRole("heading", { level: 1, name: "Besek Bambu isi 12" }).waitFor();
  await checkPage(page, "pratinjau-masalah");

  // A tab opened while the content is broken shows the overlay at once.
  const other = await phonePage(browser);
  await other.goto(`${galeri.url}/`);
  await other.getByRole("alert", { name: /masalah di konten/ }).waitFor({ timeout: RELOAD_TIMEOUT_MS });
  await other.getByRole("button", { name: "Tutup" }).click();
  assert.equal(await other.getByRole("alert").count(), 0, "Tutup hides the overlay");
  await other.context().close();

  edit("price: 20.000", "price: 21000");
  await page.getByText("Rp21.000").first().waitFor({ timeout: RELOAD_TIMEOUT_MS });
  assert.equal(await page.getByRole("alert").count(), 0, "the overlay is gone");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("the preview never writes public/ and links to its own address", async () => {
  const sitemap = await (await fetch(`${galeri.url}/sitemap.xml`)).text();
  assert.match(sitemap, new RegExp(`<loc>${galeri.url}/`));
  // The built files carry no preview script: the server adds it to HTML answers only.
  const built = fs.readFileSync(path.join(galeri.dir, "public", "index.html"), "utf8");
  assert.ok(!built.includes("/_galeri/"), "no reload script in the built page");
  const served = await (await fetch(`${galeri.url}/`)).text();
  assert.ok(served.includes("/_galeri/live.js"), "the served page has it");
  assert.ok(!fs.existsSync(path.join(copy, "public")), "nothing was built into public/");
});
