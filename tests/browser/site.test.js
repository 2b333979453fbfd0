// The public catalog in headless Chromium against `galeri serve`: browse home → category →
// product, search and filter at /cari/, and axe-core on each page, at 390 px.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startGaleri } = require("./lib/galeri.js");
const { launch, phonePage, checkPage } = require("./lib/browser.js");
const fs = require("node:fs");
const path = require("node:path");

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

/** `Rp1.234.567`, as the pages print rupiah (DOMAIN.md). */
function rupiah(value) {
  const digits = String(Math.abs(value)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  return `${value < 0 ? "-" : ""}Rp${digits}`;
}

test("transparansi: the program's figures from the footer, as text beside the charts, and the CSV", async () => {
  const data = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "..", "content", "data", "transparency.json"), "utf8"));
  const page = await phonePage(browser);
  // Without JavaScript: the figures and charts are in the HTML.
  await page.context().route("**/*.js", (route) => route.abort());
  await page.goto(`${galeri.url}/`);
  await page.getByRole("contentinfo").getByRole("link", { name: "Transparansi voucher ASN" }).click();
  await page.waitForURL(/\/transparansi\/$/);
  await page.getByRole("heading", { level: 1, name: "Transparansi voucher ASN" }).waitFor();

  // Since the start: the sums of the months, and the outstanding balance of the last one.
  const sum = (key) => data.months.reduce((total, month) => total + month[key], 0);
  const totals = await page.getByRole("region", { name: "Sejak awal program", exact: true }).innerText();
  for (const key of ["issued", "spent", "refunded", "voided", "expired"]) {
    assert.ok(totals.includes(rupiah(sum(key))), `${key} ${rupiah(sum(key))} in ${totals}`);
  }
  assert.ok(totals.includes(rupiah(data.months.at(-1).outstanding)));

  // Each chart has a name, and a table with the same figures that a screen reader reads.
  const charts = page.getByRole("img", { name: /^Grafik:/ });
  assert.equal(await charts.count(), 3);
  const monthly = page.getByRole("table", { name: "Angka per bulan, terbaru di atas" });
  assert.equal(await monthly.getByRole("row").count(), data.months.length + 1);
  const newest = data.months.at(-1);
  const newestRow = await monthly.getByRole("row").nth(1).innerText();
  for (const key of ["issued", "spent", "outstanding"]) {
    assert.ok(newestRow.includes(rupiah(newest[key])), `${key} in ${newestRow}`);
  }
  // The table scrolls inside its own region at 390 px; the page does not (checkPage).
  await checkPage(page, "transparansi");

  // The CSV is the same figures: every summary figure of every month, once.
  const href = await page.getByRole("link", { name: "Unduh semua angka (CSV)" }).getAttribute("href");
  const csv = await (await fetch(`${galeri.url}${href}`)).text();
  const rows = csv.trim().split("\n").map((line) => line.split(","));
  assert.deepEqual(rows[0], ["bulan", "bagian", "kode", "nama", "besaran", "angka"]);
  for (const month of data.months) {
    const spent = rows.find((row) => row[0] === month.month && row[2] === "dibelanjakan");
    assert.equal(Number(spent[5]), month.spent);
  }
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
