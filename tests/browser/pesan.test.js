// Online orders in headless Chromium against `galeri serve` (issue 8): add to the cart on a
// product page → checkout at /pesan/ with two voucher codes → the staff queue /kasir/pesanan/
// moves it to ready and completes it → the buyer's status page /pesanan/ says `selesai`; a
// cancelled order gives the held balance back (staff and buyer). Every hold and debit is checked
// through the API; axe-core and 390 px on every new page.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const { startGaleri } = require("./lib/galeri.js");
const { launch, phonePage, checkPage } = require("./lib/browser.js");

const FACE_VALUE = 50_000;
const BUYER = { name: "Sri Wahyuni", typed: "0812 3456 7890", number: "6281234567890" };

let galeri;
let browser;
let codes;
let cashier;
/** Available products with their page address, cheapest first. */
let products;
let office;

before(async () => {
  galeri = await startGaleri({
    prepare: (g) => {
      codes = g.issue(6, FACE_VALUE);
      cashier = g.token("cashier", "Kasir Pesanan");
    },
  });
  const index = await (await fetch(`${galeri.url}/search-index.json`)).json();
  const column = (name) => index.fields.indexOf(name);
  products = index.products
    .map((row) => ({ sku: row[column("sku")], name: row[column("name")], price: row[column("price")], url: row[column("url")] }))
    .sort((a, b) => a.price - b.price);
  assert.ok(products.length >= 2 && products[0].price < FACE_VALUE, "the sample catalog has cheap products");
  const checkout = await (await fetch(`${galeri.url}/pesan/`)).text();
  office = /<option>([^<]+)<\/option>/.exec(checkout)?.[1];
  assert.ok(office, "site.yaml lists offices for delivery");
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await galeri?.stop();
});

const rupiah = (n) => "Rp" + String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
const literal = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Puts `product` in the cart from its own page, as a buyer does. */
async function addToCart(page, product) {
  await page.goto(`${galeri.url}${product.url}`);
  await page.getByRole("heading", { level: 1, name: product.name }).waitFor();
  const before = await page.evaluate((sku) => window.GaleriCart.qtyOf(sku), product.sku);
  await page.getByRole("button", { name: "Masukkan keranjang" }).click();
  await page.getByText(`Sudah di keranjang: ${before + 1}.`).waitFor();
}

/** Fills the buyer's part of the checkout. */
async function fillBuyer(page, { delivery } = {}) {
  await page.getByLabel("Nama", { exact: true }).fill(BUYER.name);
  await page.getByLabel("Nomor WhatsApp").fill(BUYER.typed);
  if (delivery) {
    await page.getByLabel("Antar ke kantor").check();
    await page.getByLabel("Kantor", { exact: true }).selectOption(delivery);
  }
}

/** Types a code into the `n`th voucher field and waits for its balance. */
async function enterCode(page, code, n = 1) {
  if (n > 1) await page.getByRole("button", { name: "Tambah kode voucher" }).click();
  const label = n === 1 ? "Kode voucher" : `Kode voucher ke-${n}`;
  await page.getByLabel(label, { exact: true }).fill(code.toLowerCase());
  await page.getByText(new RegExp(`Voucher …${code.slice(-4)}: saldo`)).waitFor();
}

/** Sends the order; returns its number as shown. */
async function send(page) {
  await page.getByRole("button", { name: "Kirim pesanan" }).click();
  await page.getByRole("heading", { name: "Pesanan terkirim" }).waitFor();
  return (await page.locator(".order-id").first().innerText()).trim();
}

async function staffQueue(page) {
  await page.goto(`${galeri.url}/kasir/pesanan/`);
  await page.getByLabel("Token kasir").fill(cashier);
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.getByRole("heading", { name: "Baru", exact: true }).waitFor();
}

/** The card of one order, found by its heading. */
function orderCard(page, id) {
  return page.getByRole("article", { name: `Pesanan ${id}` });
}

test("cart → checkout with two codes → staff: ready, complete → the buyer's page says selesai", async () => {
  const page = await phonePage(browser);
  const product = products.find((p) => p.price < FACE_VALUE);
  // Enough of it that one voucher is not enough, and two are.
  const qty = Math.floor(FACE_VALUE / product.price) + 1;
  const total = qty * product.price;
  assert.ok(total > FACE_VALUE && total <= 2 * FACE_VALUE, `total ${total}`);

  await addToCart(page, product);
  await checkPage(page, "produk-keranjang");
  assert.match(await page.getByRole("link", { name: /^Keranjang/ }).innerText(), /Keranjang \(1\)/);
  await page.getByRole("link", { name: "Lihat keranjang dan pesan" }).click();
  await page.waitForURL(/\/pesan\/$/);
  const qtyField = page.getByLabel(`Jumlah ${product.name}`);
  await qtyField.fill(String(qty));
  await qtyField.press("Tab");
  assert.equal(await page.locator("#total").innerText(), rupiah(total));

  await fillBuyer(page, { delivery: office });
  const [first, second] = codes;
  await enterCode(page, first, 1);
  await enterCode(page, second, 2);
  // Before sending: what each voucher covers, and no cash left.
  const preview = await page.locator("#rincian-bayar").innerText();
  assert.match(preview, new RegExp(`Dibayar voucher …${first.slice(-4)}\\s+${literal(rupiah(FACE_VALUE))}`));
  assert.match(preview, new RegExp(`Dibayar voucher …${second.slice(-4)}\\s+${literal(rupiah(total - FACE_VALUE))}`));
  assert.match(preview, /Dibayar tunai saat serah terima\s+Rp0/);
  await checkPage(page, "pesan-isi");

  const sent = [];
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/v1/orders")) {
      sent.push({ key: request.headers()["idempotency-key"], body: request.postDataJSON() });
    }
  });
  const id = await send(page);
  assert.equal(sent.length, 1);
  assert.ok(sent[0].key.length >= 16);
  assert.deepEqual(sent[0].body.codes, [first, second], "the codes go in the body, in order");
  assert.deepEqual(sent[0].body.buyer, { name: BUYER.name, whatsapp: BUYER.number, office });
  assert.equal(sent[0].body.fulfilment, "delivery");
  const placed = await page.locator("#ringkasan-pesanan").innerText();
  assert.match(placed, new RegExp(`Diantar ke ${literal(office)}`, "i"));
  assert.match(placed, /Dibayar tunai saat serah terima\s+Rp0/);
  // The WhatsApp link to the gallery names the order.
  const wa = await page.getByRole("link", { name: "Kabari galeri lewat WhatsApp" }).getAttribute("href");
  assert.match(wa, /^https:\/\/wa\.me\/62\d+\?text=/);
  assert.ok(decodeURIComponent(wa.split("?text=")[1]).includes(id), wa);
  await checkPage(page, "pesan-terkirim");
  // The token is kept in this browser, never in the URL; no code is kept anywhere; the cart is empty.
  const storage = await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage }, url: location.href }));
  const kept = JSON.parse(storage.local["galeri.pesanan"]);
  assert.equal(kept.length, 1);
  assert.equal(kept[0].id, id);
  assert.match(kept[0].token, /^psn_/);
  assert.equal(storage.local["galeri.keranjang"], undefined);
  const stored = JSON.stringify(storage);
  for (const code of [first, second]) {
    assert.ok(!stored.includes(code) && !stored.includes(code.slice(4, 13)), "no code in storage");
  }
  assert.ok(!storage.url.includes(kept[0].token));

  // The vouchers hold the order's price, and nothing is spent yet.
  const heldFirst = await galeri.balance(first);
  const heldSecond = await galeri.balance(second);
  assert.deepEqual([heldFirst.balance, heldFirst.held, heldFirst.available], [FACE_VALUE, FACE_VALUE, 0]);
  assert.deepEqual([heldSecond.balance, heldSecond.held], [FACE_VALUE, total - FACE_VALUE]);

  // The buyer's status page reads it with the token in a header, not in the URL.
  const orderReads = [];
  page.on("request", (request) => {
    if (request.url().includes("/api/v1/orders/")) orderReads.push({ url: request.url(), auth: request.headers().authorization });
  });
  await page.getByRole("link", { name: "Lihat status pesanan" }).click();
  await page.waitForURL(/\/pesanan\/$/);
  const buyerCard = orderCard(page, id);
  await buyerCard.getByText("Status: baru").waitFor();
  assert.ok(orderReads.length >= 1);
  assert.ok(orderReads.every((r) => r.auth === `Order ${kept[0].token}` && !r.url.includes(kept[0].token)), JSON.stringify(orderReads));
  await checkPage(page, "pesanan-baru");

  // The staff queue, in another browser: new first, buyer contact, pick list.
  const staff = await phonePage(browser);
  await staffQueue(staff);
  const card = orderCard(staff, id);
  await card.waitFor();
  const shown = await card.innerText();
  assert.ok(shown.includes(BUYER.name) && shown.includes(`+${BUYER.number}`), shown);
  assert.ok(shown.includes(`Antar ke ${office}`), shown);
  assert.match(shown, new RegExp(`${literal(product.name)}[\\s\\S]*${product.sku}`));
  assert.ok(await staff.locator("#antrean-baru").getByRole("article", { name: `Pesanan ${id}` }).isVisible());
  await checkPage(staff, "kasir-pesanan-baru");

  await card.getByRole("button", { name: "Proses" }).click();
  await staff.locator("#antrean-diproses").getByRole("article", { name: `Pesanan ${id}` }).waitFor();
  await orderCard(staff, id).getByRole("button", { name: "Tandai siap" }).click();
  const ready = staff.locator("#antrean-siap").getByRole("article", { name: `Pesanan ${id}` });
  await ready.waitFor();
  // Click-to-chat with the buyer, the message prefilled.
  const chat = await ready.getByRole("link", { name: "Kabari pembeli: pesanan siap" }).getAttribute("href");
  assert.ok(chat.startsWith(`https://wa.me/${BUYER.number}?text=`), chat);
  const message = decodeURIComponent(chat.split("?text=")[1]);
  assert.ok(message.includes(id) && message.includes("siap") && message.includes(BUYER.name), message);
  await checkPage(staff, "kasir-pesanan-siap");

  // The buyer sees it ready.
  await page.getByRole("button", { name: "Muat ulang status" }).click();
  await orderCard(page, id).getByText("Status: siap").waitFor();

  // Hand-over: the receipt shows both vouchers' shares.
  const completes = [];
  staff.on("request", (request) => {
    if (request.url().endsWith("/complete")) completes.push(request.headers()["idempotency-key"]);
  });
  await ready.getByRole("button", { name: "Selesaikan" }).click();
  await staff.getByRole("heading", { name: "Struk" }).waitFor();
  assert.equal(completes.length, 1);
  assert.ok(completes[0].length >= 16);
  const receipt = await staff.locator("#struk").innerText();
  assert.ok(receipt.includes(`Pesanan ${id}`), receipt);
  assert.match(receipt, new RegExp(`Voucher …${first.slice(-4)} \\(sisa Rp0\\)\\s+${literal(rupiah(FACE_VALUE))}`));
  assert.match(receipt, new RegExp(`Voucher …${second.slice(-4)} \\(sisa ${literal(rupiah(2 * FACE_VALUE - total))}\\)\\s+${literal(rupiah(total - FACE_VALUE))}`));
  assert.match(receipt, /Tunai\s+Rp0/);
  await staff.getByText(`Pesanan ${id} selesai.`).waitFor();
  assert.equal(await orderCard(staff, id).count(), 0, "a completed order leaves the queue");
  await checkPage(staff, "kasir-pesanan-struk");

  // Spent once, nothing held any more.
  const spentFirst = await galeri.balance(first);
  const spentSecond = await galeri.balance(second);
  assert.deepEqual([spentFirst.balance, spentFirst.held], [0, 0]);
  assert.deepEqual([spentSecond.balance, spentSecond.held], [2 * FACE_VALUE - total, 0]);

  // The buyer's page says selesai.
  await page.getByRole("button", { name: "Muat ulang status" }).click();
  await orderCard(page, id).getByText("Status: selesai").waitFor();
  await checkPage(page, "pesanan-selesai");
  assert.deepEqual(page.errors, []);
  assert.deepEqual(staff.errors, []);
  await staff.context().close();
  await page.context().close();
});

test("a cancelled order gives the held balance back: by the staff, and by the buyer while new", async () => {
  const page = await phonePage(browser);
  const product = products[0];
  const code = codes[2];

  // Staff cancel (pick-up order, one code).
  await addToCart(page, product);
  await page.goto(`${galeri.url}/pesan/`);
  await fillBuyer(page);
  await enterCode(page, code);
  const id = await send(page);
  assert.match(await page.locator("#ringkasan-pesanan").innerText(), /diambil di galeri/);
  const held = await galeri.balance(code);
  assert.deepEqual([held.held, held.available], [product.price, FACE_VALUE - product.price]);

  const staff = await phonePage(browser);
  await staffQueue(staff);
  const card = orderCard(staff, id);
  await card.getByText("Ambil di galeri").waitFor();
  await card.getByRole("button", { name: "Batalkan" }).click();
  // The first tap asks; the second cancels.
  await card.getByText("Tekan sekali lagi untuk membatalkan").waitFor();
  assert.equal((await galeri.balance(code)).held, product.price);
  await card.getByRole("button", { name: "Ya, batalkan" }).click();
  await staff.getByText(`Pesanan ${id} dibatalkan`).waitFor();
  const back = await galeri.balance(code);
  assert.deepEqual([back.balance, back.held, back.available], [FACE_VALUE, 0, FACE_VALUE]);

  await page.goto(`${galeri.url}/pesanan/`);
  await orderCard(page, id).getByText("Status: batal").waitFor();
  assert.match(await orderCard(page, id).innerText(), /Saldo voucher yang ditahan sudah kembali/);

  // Buyer cancel, while the order is new.
  const other = codes[3];
  await addToCart(page, product);
  await page.goto(`${galeri.url}/pesan/`);
  await fillBuyer(page);
  await enterCode(page, other);
  const mine = await send(page);
  assert.equal((await galeri.balance(other)).held, product.price);
  await page.goto(`${galeri.url}/pesanan/`);
  const myCard = orderCard(page, mine);
  await myCard.getByText("Status: baru").waitFor();
  await myCard.getByRole("button", { name: "Batalkan pesanan" }).click();
  await myCard.getByRole("button", { name: "Ya, batalkan pesanan" }).click();
  await page.getByText(`Pesanan ${mine} dibatalkan.`).waitFor();
  await orderCard(page, mine).getByText("Status: batal").waitFor();
  const mineBack = await galeri.balance(other);
  assert.deepEqual([mineBack.balance, mineBack.held], [FACE_VALUE, 0]);
  await checkPage(page, "pesanan-batal");
  // A closed order can be taken off this device's list.
  await orderCard(page, mine).getByRole("button", { name: "Hapus dari daftar" }).click();
  await orderCard(page, mine).waitFor({ state: "detached" });
  assert.deepEqual(page.errors, []);
  assert.deepEqual(staff.errors, []);
  await staff.context().close();
  await page.context().close();
});

test("the checkout catches mistakes before sending anything", async () => {
  const page = await phonePage(browser);
  let requests = 0;
  page.on("request", (request) => {
    if (request.method() === "POST" && request.url().endsWith("/api/v1/orders")) requests += 1;
  });
  await page.goto(`${galeri.url}/pesan/`);
  await page.getByText("Keranjang masih kosong").first().waitFor();
  await checkPage(page, "pesan-kosong");
  await page.getByRole("button", { name: "Kirim pesanan" }).click();
  await page.getByRole("alert").filter({ hasText: "Keranjang masih kosong" }).waitFor();

  await addToCart(page, products[1]);
  await page.goto(`${galeri.url}/pesan/`);
  await page.getByLabel(`Jumlah ${products[1].name}`).waitFor();
  await page.getByRole("button", { name: "Kirim pesanan" }).click();
  await page.getByRole("alert").filter({ hasText: "Isi nama Anda" }).waitFor();
  await page.getByLabel("Nama", { exact: true }).fill(BUYER.name);
  await page.getByLabel("Nomor WhatsApp").fill("12345");
  await page.getByRole("button", { name: "Kirim pesanan" }).click();
  await page.getByRole("alert").filter({ hasText: "Nomor WhatsApp tidak valid" }).waitFor();
  await page.getByLabel("Nomor WhatsApp").fill(BUYER.typed);
  await page.getByLabel("Antar ke kantor").check();
  await page.getByRole("button", { name: "Kirim pesanan" }).click();
  await page.getByRole("alert").filter({ hasText: "Pilih kantor tujuan" }).waitFor();
  await page.getByLabel("Ambil di galeri", { exact: false }).check();
  await page.getByRole("button", { name: "Kirim pesanan" }).click();
  await page.getByRole("alert").filter({ hasText: "Isi kode voucher dulu" }).waitFor();
  // The same code twice is caught in the browser.
  await enterCode(page, codes[4]);
  await page.getByRole("button", { name: "Tambah kode voucher" }).click();
  await page.getByLabel("Kode voucher ke-2").fill(codes[4]);
  await page.getByText("Kode ini sudah dimasukkan di atas.").waitFor();
  await page.getByRole("button", { name: "Kirim pesanan" }).click();
  await page.getByRole("alert").filter({ hasText: "kode yang sama dimasukkan dua kali" }).waitFor();
  await page.getByRole("button", { name: "Hapus kode ke-2" }).click();
  assert.equal(requests, 0);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("before any order: the status page says so; the staff queue asks for the Kasir token", async () => {
  const page = await phonePage(browser);
  await page.goto(`${galeri.url}/pesanan/`);
  await page.getByText("Belum ada pesanan dari perangkat ini.").waitFor();
  await checkPage(page, "pesanan-kosong");
  await page.goto(`${galeri.url}/kasir/pesanan/`);
  await checkPage(page, "kasir-pesanan-masuk");
  await page.getByLabel("Token kasir").fill("glr_TOKENYANGSALAH0000000000000000");
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.getByText("Token tidak dikenal atau sudah dicabut").waitFor();
  // Signed in at the Kasir, signed in here (same tab); signing out here signs out there.
  await page.goto(`${galeri.url}/kasir/`);
  await page.getByLabel("Token kasir").fill(cashier);
  await page.getByRole("button", { name: "Masuk" }).click();
  await page.getByRole("link", { name: "Pesanan online" }).click();
  await page.getByRole("heading", { name: "Baru", exact: true }).waitFor();
  await page.getByRole("button", { name: "Keluar" }).click();
  await page.getByLabel("Token kasir").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("galeri.kasir.token")), null);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a checkout whose answer is lost is sent again with the same key and places one order", async () => {
  const page = await phonePage(browser);
  const product = products[0];
  const code = codes[5];
  await addToCart(page, product);
  await page.goto(`${galeri.url}/pesan/`);
  await fillBuyer(page);
  await enterCode(page, code);
  // The first request reaches the server, which places the order; its answer never arrives.
  const keys = [];
  let firstStatus = null;
  await page.route("**/api/v1/orders", async (route) => {
    keys.push(route.request().headers()["idempotency-key"]);
    if (keys.length === 1) {
      const response = await route.fetch();
      firstStatus = response.status();
      await route.abort("connectionreset");
      return;
    }
    await route.continue();
  });
  const id = await send(page);
  assert.equal(firstStatus, 201, "the cut request placed the order");
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1], "the retry uses the same Idempotency-Key");
  // One order: the voucher holds its price once, and this browser keeps one entry for it.
  const held = await galeri.balance(code);
  assert.deepEqual([held.held, held.available], [product.price, FACE_VALUE - product.price]);
  const kept = await page.evaluate(() => JSON.parse(localStorage.getItem("galeri.pesanan")));
  assert.equal(kept.filter((o) => o.id === id).length, 1);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});
