// The public catalog in headless Chromium against `galeri serve`: browse home → category →
// product, search and filter at /cari/, and axe-core on each page, at 390 px.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startGaleri } = require("./lib/galeri.js");
const { launch, phonePage, checkPage } = require("./lib/browser.js");

let galeri;
let browser;

/** The first link in `scope` whose address matches `pattern`, found by role. */
async function firstLinkTo(scope, pattern) {
  for (const link of await scope.getByRole("link").all()) {
    if (pattern.test(await link.getAttribute("href") || "")) return link;
  }
  throw new Error(`no link to ${pattern}`);
}
let catalog;

before(async () => {
  galeri = await startGaleri();
  catalog = (await (await fetch(`${galeri.url}/catalog.json`)).json()).items;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await galeri?.stop();
});

test("browse: home → category → product", async () => {
  const page = await phonePage(browser);
  await page.goto(`${galeri.url}/`);
  await checkPage(page, "beranda");

  // A category of a product the catalog sells, by its link on the home page.
  const main = page.getByRole("main");
  const categoryLink = await firstLinkTo(main, /^\/kategori\/[a-z0-9-]+\/$/);
  // The link may carry the number of products ("Kopi 17"); the page's heading is the name.
  const categoryName = (await categoryLink.innerText()).trim().replace(/\s*\(?\d+\)?$/, "");
  await categoryLink.click();
  await page.waitForURL(/\/kategori\/[a-z0-9-]+\/$/);
  await page.getByRole("heading", { level: 1, name: categoryName }).waitFor();
  await checkPage(page, "kategori");

  const productLink = await firstLinkTo(page.getByRole("main"), /^\/produk\/[a-z0-9-]+\/[a-z0-9-]+\/$/);
  const productName = (await productLink.innerText()).trim().split("\n").pop().trim();
  await productLink.click();
  await page.waitForURL(/\/produk\/[a-z0-9-]+\/[a-z0-9-]+\/$/);
  await page.getByRole("heading", { level: 1, name: productName }).waitFor();
  const product = catalog.find((item) => item.name === productName);
  assert.ok(product, `${productName} is in catalog.json`);
  const text = await page.getByRole("main").innerText();
  assert.ok(text.includes(product.sku), "the product page shows its SKU");
  await checkPage(page, "produk");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

/** The number in the search page's "N produk ditemukan", once it has answered. */
async function resultCount(page) {
  const status = page.getByRole("status").filter({ hasText: /produk ditemukan|Tidak ada produk/ });
  await status.waitFor();
  const text = await status.innerText();
  const match = /(\d+) produk ditemukan/.exec(text);
  return match ? Number(match[1]) : 0;
}

test("search and filters at /cari/: results as you type, filters narrow them, the URL keeps both", async () => {
  const page = await phonePage(browser);
  // From the header search box on the home page.
  await page.goto(`${galeri.url}/`);
  const header = page.getByRole("banner");
  await header.getByLabel("Cari produk").fill("kopi");
  await header.getByLabel("Cari produk").press("Enter");
  await page.waitForURL(/\/cari\/\?q=kopi$/);
  const all = await resultCount(page);
  assert.ok(all > 1, `${all} results for kopi`);

  // Case, missing diacritics and word order do not matter.
  const field = page.getByLabel("Cari produk", { exact: true });
  const product = catalog.find((item) => item.name.split(" ").length >= 3);
  const words = product.name.split(" ");
  await field.fill(`${words[2]} ${words[0]}`.toUpperCase());
  await page.waitForFunction(() => /[?&]q=/.test(location.search));
  const results = page.getByRole("list", { name: "Hasil pencarian" });
  await results.getByRole("link", { name: product.name }).first().waitFor();

  // A category filter narrows the results and goes into the URL.
  await field.fill("kopi");
  await page.waitForFunction(() => new URLSearchParams(location.search).get("q") === "kopi");
  const before = await resultCount(page);
  const kopi = catalog.find((item) => /kopi|arabika|robusta/i.test(item.name));
  const categoryFilter = (p) => p.getByRole("combobox", { name: /^Kategori/ });
  await categoryFilter(page).selectOption(kopi.category);
  await page.waitForFunction((slug) => new URLSearchParams(location.search).get("kategori") === slug, kopi.category);
  const narrowed = await resultCount(page);
  assert.ok(narrowed <= before && narrowed > 0, `${narrowed} of ${before}`);
  await page.getByRole("checkbox", { name: "Halal saja" }).check();
  await page.waitForFunction(() => new URLSearchParams(location.search).has("halal"));

  // The URL can be shared: opened afresh, it shows the same search.
  const shared = page.url();
  const other = await phonePage(browser);
  await other.goto(shared);
  assert.equal(await other.getByLabel("Cari produk", { exact: true }).inputValue(), "kopi");
  assert.equal(await categoryFilter(other).inputValue(), kopi.category);
  assert.equal(await resultCount(other), await resultCount(page));
  await checkPage(page, "cari");
  assert.deepEqual(page.errors, []);
  await other.context().close();
  await page.context().close();
});
