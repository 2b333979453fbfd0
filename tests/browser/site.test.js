// The public catalog in headless Chromium against `galeri serve`: browse home → category →
// product, search and filter at /cari/, and axe-core on each page, at 390 px.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startGaleri } = require("./lib/galeri.js");
const { launch, phonePage, screenshot, seriousViolations } = require("./lib/browser.js");

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
  assert.deepEqual(await seriousViolations(page), []);
  await screenshot(page, "beranda");

  // A category of a product the catalog sells, by its link on the home page.
  const main = page.getByRole("main");
  const categoryLink = await firstLinkTo(main, /^\/kategori\/[a-z0-9-]+\/$/);
  const categoryName = (await categoryLink.innerText()).trim();
  await categoryLink.click();
  await page.waitForURL(/\/kategori\/[a-z0-9-]+\/$/);
  await page.getByRole("heading", { level: 1, name: categoryName }).waitFor();
  assert.deepEqual(await seriousViolations(page), []);
  await screenshot(page, "kategori");

  const productLink = await firstLinkTo(page.getByRole("main"), /^\/produk\/[a-z0-9-]+\/[a-z0-9-]+\/$/);
  const productName = (await productLink.innerText()).trim().split("\n").pop().trim();
  await productLink.click();
  await page.waitForURL(/\/produk\/[a-z0-9-]+\/[a-z0-9-]+\/$/);
  await page.getByRole("heading", { level: 1, name: productName }).waitFor();
  const product = catalog.find((item) => item.name === productName);
  assert.ok(product, `${productName} is in catalog.json`);
  const text = await page.getByRole("main").innerText();
  assert.ok(text.includes(product.sku), "the product page shows its SKU");
  assert.deepEqual(await seriousViolations(page), []);
  await screenshot(page, "produk");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
