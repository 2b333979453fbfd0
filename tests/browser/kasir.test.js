// The Kasir page (/kasir/) in headless Chromium against `galeri serve`: sign in and out, a full
// sale with a double tap on Bayar, a retry after the connection is cut, the receipt on 58 mm and
// A4 paper, the day's sales, and a supervisor refund. Every debit is checked through the API.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const fs = require("node:fs");
const path = require("node:path");
const { startGaleri } = require("./lib/galeri.js");
const { launch, phonePage, checkPage, artifacts } = require("./lib/browser.js");

const FACE_VALUE = 200_000;

let galeri;
let browser;
let codes;
/** Two Rp50.000 vouchers, for a sale that needs both. */
let small;
let cashier;
let supervisor;
let catalog;

before(async () => {
  galeri = await startGaleri({
    prepare: (g) => {
      codes = g.issue(4, FACE_VALUE);
      small = g.issue(2, 50_000);
      cashier = g.token("cashier", "Kasir Uji");
      supervisor = g.token("supervisor", "Supervisor Uji");
    },
  });
  // Cheapest first, so the first few products fit on one voucher.
  catalog = (await (await fetch(`${galeri.url}/catalog.json`)).json()).items.sort((a, b) => a.price - b.price);
  assert.ok(catalog.length >= 3, "the sample catalog has products");
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await galeri?.stop();
});

const rupiah = (n) => "Rp" + String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
/** A regular expression's text matching `text` literally. */
const literal = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function signIn(page, token = cashier) {
  await page.goto(`${galeri.url}/kasir/`);
  await page.getByLabel("Token kasir").fill(token);
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.getByLabel("Cari produk atau SKU").waitFor();
  await page.getByText(/produk di daftar harga/).waitFor();
}

/** Adds a product the way a USB barcode scanner does: its SKU, then Enter. */
async function scan(page, sku) {
  const search = page.getByLabel("Cari produk atau SKU");
  await search.fill(sku);
  await search.press("Enter");
}

/** Types the voucher code and waits for the page's preview of what it pays. */
async function enterVoucher(page, code) {
  await page.getByLabel("Kode voucher", { exact: true }).fill(code.toLowerCase());
  await page.getByText(`Dibayar voucher …${code.slice(-4)}`).waitFor();
}

/** The redemption requests a page sends, with their Idempotency-Keys. */
function recordPayments(page) {
  const sent = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/v1/redemptions")) {
      sent.push(request.headers()["idempotency-key"]);
    }
  });
  return sent;
}

/** The voucher's ledger through the API: how often it was debited. */
async function redemptionsOf(code) {
  const answer = await galeri.request("POST", "/history", { body: { code }, token: cashier });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.entries.filter((entry) => entry.kind === "redeemed");
}

test("sign in keeps the token in this tab only; a wrong token is refused; sign out forgets it", async () => {
  const page = await phonePage(browser);
  await page.goto(`${galeri.url}/kasir/`);
  await checkPage(page, "kasir-masuk");
  await page.getByLabel("Token kasir").fill("glr_TOKENYANGSALAH0000000000000000");
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.getByText("Token tidak dikenal atau sudah dicabut").waitFor();

  await signIn(page);
  const storage = await page.evaluate(() => ({ session: { ...sessionStorage }, local: { ...localStorage }, cookie: document.cookie }));
  assert.equal(storage.session["galeri.kasir.token"], cashier);
  assert.deepEqual(storage.local, {});
  assert.equal(storage.cookie, "");
  // A reload keeps the session; a new tab does not have it.
  await page.reload();
  await page.getByLabel("Cari produk atau SKU").waitFor();
  const other = await page.context().newPage();
  await other.goto(`${galeri.url}/kasir/`);
  await other.getByLabel("Token kasir").waitFor();
  await other.close();

  await page.getByRole("button", { name: "Keluar" }).click();
  await page.getByLabel("Token kasir").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("galeri.kasir.token")), null);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a full sale: search, scanner, cart, voucher preview, a double tap on Bayar, the receipt", async () => {
  const page = await phonePage(browser);
  const sent = recordPayments(page);
  await signIn(page);
  const [first, second] = catalog;

  // By name: the result list offers it.
  await page.getByLabel("Cari produk atau SKU").fill(first.name.split(" ").slice(0, 3).join(" ").toLowerCase());
  await page.getByRole("button", { name: `Tambah ${first.name}`, exact: true }).click();
  // By SKU with Enter, as a scanner types it, twice: two of them.
  await scan(page, second.sku);
  await scan(page, second.sku.toLowerCase());
  assert.equal(await page.getByLabel(`Jumlah ${second.name}`).inputValue(), "2");
  // One more of the first, then one fewer: quantities are editable.
  await page.getByRole("button", { name: `Tambah satu ${first.name}` }).click();
  await page.getByRole("button", { name: `Kurangi ${first.name}` }).click();
  assert.equal(await page.getByLabel(`Jumlah ${first.name}`).inputValue(), "1");
  const total = first.price + 2 * second.price;
  assert.ok(total <= FACE_VALUE, "the voucher covers this sale");
  assert.equal(await page.locator("#total").innerText(), rupiah(total));

  const code = codes[0];
  await enterVoucher(page, code);
  const preview = await page.locator("#rincian-bayar").innerText();
  assert.match(preview, new RegExp(`Dibayar voucher …${code.slice(-4)}\\s+${literal(rupiah(total))}`));
  assert.match(preview, /Sisa dibayar tunai\s+Rp0/);
  await checkPage(page, "kasir-keranjang");

  // A double tap: one sale.
  await page.getByRole("button", { name: "Bayar" }).dblclick();
  await page.getByRole("heading", { name: "Struk" }).waitFor();
  await page.getByText("Pembayaran berhasil").waitFor();
  assert.ok(sent.length >= 1 && new Set(sent).size === 1, `keys ${sent}`);
  assert.ok(sent[0].length >= 16);
  const receipt = await page.locator("#struk").innerText();
  assert.match(receipt, new RegExp(literal(first.name)));
  assert.match(receipt, /Kasir: Kasir Uji/);
  assert.match(receipt, new RegExp(`Total\\s+${literal(rupiah(total))}`));
  assert.match(receipt, new RegExp(`Sisa saldo voucher\\s+${literal(rupiah(FACE_VALUE - total))}`));
  assert.ok(!receipt.includes(code.slice(4, 8)), "the receipt shows only the code's last four");

  // Debited once, by the API's own account.
  assert.equal((await galeri.balance(code)).balance, FACE_VALUE - total);
  assert.equal((await redemptionsOf(code)).length, 1);

  // The day's sales: this sale, no code anywhere in storage.
  const sales = page.getByRole("table").filter({ hasText: "Jam" });
  await sales.getByText("Lunas").waitFor();
  const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }));
  assert.ok(!stored.includes(code.slice(4, 8)) && !stored.includes(code.slice(9, 13)), stored);
  await checkPage(page, "kasir-struk");

  // Printing shows the receipt alone, within a 58 mm roll's width and on A4.
  await page.emulateMedia({ media: "print" });
  await page.setViewportSize({ width: 219, height: 800 });
  const layout = await page.evaluate(() => {
    const receipt = document.getElementById("struk");
    const visible = (el) => el && el.getClientRects().length > 0;
    return {
      receipt: visible(receipt),
      width: receipt.getBoundingClientRect().width,
      overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
      header: visible(document.querySelector("header")),
      footer: visible(document.querySelector("footer")),
      pay: visible(document.getElementById("bayar")),
      sales: visible(document.getElementById("penjualan")),
      refund: visible(document.getElementById("form-refund")),
    };
  });
  assert.deepEqual({ ...layout, width: undefined }, { receipt: true, width: undefined, overflow: 0, header: false, footer: false, pay: false, sales: false, refund: false });
  fs.mkdirSync(artifacts, { recursive: true });
  await page.pdf({ path: path.join(artifacts, "struk-58mm.pdf"), width: "58mm", height: "200mm", printBackground: true });
  await page.pdf({ path: path.join(artifacts, "struk-a4.pdf"), format: "A4", printBackground: true });
  await page.emulateMedia({ media: "screen" });
  await page.setViewportSize({ width: 390, height: 844 });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a retry after the connection is cut sends the same key, says so, and charges once", async () => {
  const page = await phonePage(browser);
  const sent = recordPayments(page);
  await signIn(page);
  const item = catalog[2];
  await scan(page, item.sku);
  const code = codes[1];
  await enterVoucher(page, code);

  // The first payment reaches the server, which commits it; its answer never reaches the page.
  let cut = 0;
  let firstStatus = null;
  await page.route("**/api/v1/redemptions", async (route) => {
    if (cut === 0) {
      cut += 1;
      const response = await route.fetch();
      firstStatus = response.status();
      await route.abort("connectionreset");
      return;
    }
    await route.continue();
  });
  await page.getByRole("button", { name: "Bayar" }).click();
  await page.getByText("Pembayaran berhasil").waitFor();
  assert.equal(firstStatus, 201, "the cut request was committed");
  assert.equal(sent.length, 2, `keys ${sent}`);
  assert.equal(sent[0], sent[1], "the retry uses the same Idempotency-Key");
  const said = await page.locator("#bayar-status").innerText();
  assert.match(said, /setelah 2 percobaan dengan kunci yang sama; voucher dipotong satu kali saja/);
  await page.getByRole("heading", { name: "Struk" }).waitFor();

  assert.equal((await galeri.balance(code)).balance, FACE_VALUE - item.price);
  assert.equal((await redemptionsOf(code)).length, 1);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("the page tells the cashier, while it retries, that the same key is used", async () => {
  const page = await phonePage(browser);
  const sent = recordPayments(page);
  await signIn(page);
  await scan(page, catalog[0].sku);
  const code = codes[2];
  await enterVoucher(page, code);
  // Offline for the first two tries: nothing reaches the server until the third.
  let tries = 0;
  await page.route("**/api/v1/redemptions", async (route) => {
    tries += 1;
    if (tries <= 2) return route.abort("internetdisconnected");
    await route.continue();
  });
  await page.getByRole("button", { name: "Bayar" }).click();
  await page.getByText(/Mencoba lagi otomatis dengan kunci transaksi yang sama/).waitFor();
  // The cart cannot change while the sale is unsettled.
  assert.equal(await page.getByLabel("Kode voucher", { exact: true }).isDisabled(), true);
  await page.getByText("Pembayaran berhasil").waitFor();
  assert.equal(new Set(sent).size, 1);
  assert.equal(sent.length, 3);
  assert.equal((await galeri.balance(code)).balance, FACE_VALUE - catalog[0].price);
  assert.equal((await redemptionsOf(code)).length, 1);
  await page.context().close();
});

test("a sale larger than the balance shows the cash part; a supervisor refunds it from the receipt", async () => {
  const page = await phonePage(browser);
  await signIn(page);
  const dearest = catalog.reduce((a, b) => (b.price > a.price ? b : a));
  const qty = Math.ceil((FACE_VALUE + 1) / dearest.price);
  await scan(page, dearest.sku);
  const qtyField = page.getByLabel(`Jumlah ${dearest.name}`);
  await qtyField.fill(String(qty));
  await qtyField.press("Tab");
  const total = dearest.price * qty;
  assert.ok(total > FACE_VALUE);
  const code = codes[3];
  await enterVoucher(page, code);
  const preview = await page.locator("#rincian-bayar").innerText();
  assert.match(preview, new RegExp(`Sisa dibayar tunai\\s+${literal(rupiah(total - FACE_VALUE))}`));
  await page.getByRole("button", { name: "Bayar" }).click();
  await page.getByRole("heading", { name: "Struk" }).waitFor();
  const receipt = await page.locator("#struk").innerText();
  assert.match(receipt, new RegExp(`Tunai\\s+${literal(rupiah(total - FACE_VALUE))}`));
  assert.equal((await galeri.balance(code)).balance, 0);

  // A cashier's own token may not refund.
  await page.getByRole("button", { name: "Kembalikan transaksi" }).click();
  await page.getByRole("alert").filter({ hasText: "Hanya supervisor" }).waitFor();
  // The supervisor's may.
  const refunds = [];
  page.on("request", (request) => {
    if (request.url().endsWith("/refund")) refunds.push(request.headers()["idempotency-key"]);
  });
  await page.getByLabel("Token supervisor").fill(supervisor);
  await page.getByRole("button", { name: "Kembalikan transaksi" }).click();
  await page.getByText("Transaksi dikembalikan").waitFor();
  assert.equal(refunds.length, 1);
  assert.ok(refunds[0].length >= 16);
  const refunded = await page.locator("#struk").innerText();
  assert.match(refunded, /DIKEMBALIKAN/);
  assert.match(refunded, /Supervisor: Supervisor Uji/);
  assert.match(await page.locator("#refund-status").innerText(), new RegExp(`serahkan ${literal(rupiah(total - FACE_VALUE))} tunai`));
  assert.equal((await galeri.balance(code)).balance, FACE_VALUE);

  // The day's sales mark it, and its receipt can be opened again from there.
  const sales = page.getByRole("table").filter({ hasText: "Jam" });
  await sales.getByText("Dikembalikan").waitFor();
  const id = (await galeri.request("POST", "/history", { body: { code }, token: cashier })).body.entries
    .find((entry) => entry.kind === "redeemed").reference;
  const stored = await galeri.request("GET", `/redemptions/${id}`, { token: cashier });
  assert.equal(stored.body.refund.voucher_amount, FACE_VALUE);
  await page.getByRole("button", { name: "Penjualan baru" }).click();
  await page.getByRole("button", { name: `Lihat struk ${id}` }).click();
  await page.getByText("DIKEMBALIKAN", { exact: true }).waitFor();
  await checkPage(page, "kasir-refund");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("several vouchers pay one sale, in the order given; the receipt shows each share", async () => {
  const page = await phonePage(browser);
  const sent = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/v1/redemptions")) sent.push(request.postDataJSON());
  });
  await signIn(page);
  const item = catalog[0];
  const qty = Math.floor(50_000 / item.price) + 1;
  const total = qty * item.price;
  assert.ok(total > 50_000 && total <= 100_000, `total ${total}`);
  await scan(page, item.sku);
  const qtyField = page.getByLabel(`Jumlah ${item.name}`);
  await qtyField.fill(String(qty));
  await qtyField.press("Tab");
  const [first, second] = small;
  await page.getByLabel("Kode voucher", { exact: true }).fill(first);
  await page.getByRole("button", { name: "Tambah kode voucher" }).click();
  await page.getByLabel("Kode voucher ke-2").fill(second.toLowerCase());
  await page.getByText(`Dibayar voucher …${second.slice(-4)}`).waitFor();
  const preview = await page.locator("#rincian-bayar").innerText();
  assert.match(preview, new RegExp(`Dibayar voucher …${first.slice(-4)}\\s+Rp50\\.000`));
  assert.match(preview, new RegExp(`Dibayar voucher …${second.slice(-4)}\\s+${literal(rupiah(total - 50_000))}`));
  assert.match(preview, /Sisa dibayar tunai\s+Rp0/);
  await checkPage(page, "kasir-dua-voucher");

  await page.getByRole("button", { name: "Bayar" }).click();
  await page.getByRole("heading", { name: "Struk" }).waitFor();
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0].codes, [first, second]);
  const receipt = await page.locator("#struk").innerText();
  assert.match(receipt, new RegExp(`Voucher …${first.slice(-4)} \\(sisa Rp0\\)\\s+Rp50\\.000`));
  assert.match(receipt, new RegExp(`Voucher …${second.slice(-4)} \\(sisa ${literal(rupiah(100_000 - total))}\\)\\s+${literal(rupiah(total - 50_000))}`));
  assert.equal((await galeri.balance(first)).balance, 0);
  assert.equal((await galeri.balance(second)).balance, 100_000 - total);
  // The fields are back to one, empty, for the next sale.
  assert.equal(await page.getByLabel("Kode voucher", { exact: true }).inputValue(), "");
  assert.equal(await page.getByLabel("Kode voucher ke-2").count(), 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("where the browser reads barcodes, the camera fills in the voucher code", async () => {
  const page = await phonePage(browser);
  // Debian's Chromium on Linux has no BarcodeDetector and the machine no camera: stand in for
  // both (a detector that reports what the test shows it, a canvas as the camera), so the
  // page's own scanning code runs.
  await page.addInitScript(() => {
    window.BarcodeDetector = class {
      static async getSupportedFormats() { return ["qr_code", "code_128"]; }
      async detect() { return window.inFrontOfCamera ? [{ rawValue: window.inFrontOfCamera }] : []; }
    };
    navigator.mediaDevices.getUserMedia = async () => {
      const canvas = document.createElement("canvas");
      canvas.width = 64;
      canvas.height = 48;
      canvas.getContext("2d").fillRect(0, 0, 64, 48);
      return canvas.captureStream(5);
    };
  });
  await signIn(page);
  await scan(page, catalog[0].sku);
  await page.getByRole("button", { name: "Pindai kode dengan kamera" }).click();
  const video = page.getByLabel("Gambar kamera untuk memindai kode voucher");
  await video.waitFor();
  // Something that is not a voucher code is ignored; the code is taken.
  await page.evaluate(() => { window.inFrontOfCamera = "https://contoh.example/bukan-voucher"; });
  await page.waitForTimeout(500);
  assert.equal(await page.getByLabel("Kode voucher", { exact: true }).inputValue(), "");
  const code = codes[0];
  await page.evaluate((value) => { window.inFrontOfCamera = value; }, code.toLowerCase());
  await page.getByText(`Dibayar voucher …${code.slice(-4)}`).waitFor();
  assert.equal(await page.getByLabel("Kode voucher", { exact: true }).inputValue(), code);
  await video.waitFor({ state: "hidden" });
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
