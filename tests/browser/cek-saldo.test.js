// Cek Saldo (/cek-saldo/) in headless Chromium against `galeri serve`: a valid code, a mistyped
// one (refused in the browser, no request), an unknown one, and the lockout with its waiting time.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { startGaleri, repoRoot } = require("./lib/galeri.js");
const { launch, phonePage, screenshot, checkPage } = require("./lib/browser.js");

const V = require(path.join(repoRoot, "themes/default/static/voucher-code.js"));
/** Failed lookups allowed before the lockout: small, so the lockout test reaches it. */
const LOOKUP_LIMIT = 3;

let galeri;
let browser;
let codes;

before(async () => {
  galeri = await startGaleri({
    env: { GALERI_LOOKUP_LIMIT: String(LOOKUP_LIMIT) },
    prepare: (g) => { codes = g.issue(2, 200_000); },
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await galeri?.stop();
});

/** The balance requests a page sends, with their bodies. */
function recordBalanceRequests(page) {
  const requests = [];
  page.on("request", (request) => {
    if (request.url().includes("/api/v1/balance")) {
      requests.push({ method: request.method(), url: request.url(), body: request.postData() });
    }
  });
  return requests;
}

async function open(page) {
  await page.goto(`${galeri.url}/cek-saldo/`);
  return {
    field: page.getByLabel("Kode voucher", { exact: true }),
    button: page.getByRole("button", { name: "Cek saldo" }),
  };
}

/** A well-formed code (its check character right) that no voucher has. */
function unknownCode(seed) {
  const values = Array.from({ length: 15 }, (_, i) => (seed * 7 + i * 13) % 32);
  const chars = values.map((v) => V.ALPHABET[v]).join("") + V.ALPHABET[V.checkValue(values)];
  const code = `MLG-${chars.match(/.{4}/g).join("-")}`;
  assert.ok(V.parse(code).ok);
  assert.ok(!codes.includes(code));
  return code;
}

test("a valid code shows balance, status and expiry, and goes nowhere but the POST body", async () => {
  const page = await phonePage(browser);
  const requests = recordBalanceRequests(page);
  const { field, button } = await open(page);
  const historyBefore = await page.evaluate(() => history.length);
  const code = codes[0];
  // Typed as people do: lower case, spaces instead of dashes, O for 0.
  await field.pressSequentially(code.toLowerCase().replaceAll("-", " ").replaceAll("0", "o"));
  assert.equal(await field.inputValue(), code);
  await page.getByText("Kode lengkap").waitFor();
  await button.click();
  const hint = code.slice(-4);
  await page.getByRole("heading", { name: `Saldo voucher …${hint}` }).waitFor();
  const result = await page.locator("#hasil").innerText();
  assert.match(result, /Rp200\.000/);
  assert.match(result, /Aktif/);
  const expires = (await galeri.balance(code)).expires_on;
  const [year, month, day] = expires.split("-").map(Number);
  const months = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"];
  assert.match(result, new RegExp(`Berlaku sampai\\s+${day} ${months[month - 1]} ${year}`));

  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, "POST");
  assert.deepEqual(JSON.parse(requests[0].body), { code });
  assert.ok(!requests[0].url.includes(hint), requests[0].url);
  assert.equal(page.url(), `${galeri.url}/cek-saldo/`);
  assert.equal(await page.evaluate(() => history.length), historyBefore);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  assert.ok(!stored.includes(hint) && !stored.includes(code.slice(4, 8)), stored);
  await checkPage(page, "cek-saldo");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("a mistyped code is shown at once and never sent", async () => {
  const page = await phonePage(browser);
  const requests = recordBalanceRequests(page);
  const { field, button } = await open(page);
  const code = codes[1];
  // One character changed: the check character no longer fits.
  const at = 9;
  const typo = code.slice(0, at) + (code[at] === "7" ? "8" : "7") + code.slice(at + 1);
  assert.equal(V.parse(typo).error, "check");
  await field.fill(typo);
  await page.getByText("Kode salah ketik").first().waitFor();
  assert.equal(await field.getAttribute("aria-invalid"), "true");
  await button.click();
  await page.getByRole("alert").filter({ hasText: "salah ketik" }).waitFor();
  // An unfinished code says how far it got.
  await field.fill(code.slice(0, 12));
  await page.getByText("7 dari 16 karakter").waitFor();
  await button.click();
  await page.getByRole("alert").filter({ hasText: "belum lengkap" }).waitFor();
  assert.equal(requests.length, 0);
  await checkPage(page, "cek-saldo-salah-ketik");
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("an unknown code is refused by the API with a plain message", async () => {
  const page = await phonePage(browser);
  const requests = recordBalanceRequests(page);
  const { field, button } = await open(page);
  await field.fill(unknownCode(1));
  await button.click();
  await page.getByRole("alert").filter({ hasText: "Kode voucher tidak ditemukan" }).waitFor();
  assert.equal(requests.length, 1);
  await screenshot(page, "cek-saldo-tidak-dikenal");
  await page.context().close();
});

test("after too many wrong codes the page says how long to wait", async () => {
  const page = await phonePage(browser);
  const { field, button } = await open(page);
  // The previous test spent one failed lookup; the next ones reach the limit, then 429.
  let text = "";
  for (let i = 2; i <= LOOKUP_LIMIT + 2 && !/Terlalu banyak/.test(text); i++) {
    await field.fill(unknownCode(i));
    await Promise.all([
      page.waitForResponse((response) => response.url().endsWith("/api/v1/balance")),
      button.click(),
    ]);
    // The "checking" panel gives way to the answer.
    await page.locator("#hasil").getByText("Memeriksa saldo").waitFor({ state: "detached" });
    text = await page.getByRole("alert").innerText();
  }
  // The lockout ends with its window, so near a window's end the wait is under a minute.
  assert.match(text, /Terlalu banyak kode yang salah dari perangkat ini\. Demi keamanan, coba lagi dalam (\d+ menit( \d+ detik)?|\d+ detik)\./);
  assert.equal(await button.isDisabled(), true);
  await screenshot(page, "cek-saldo-terkunci");
  await page.context().close();
});
