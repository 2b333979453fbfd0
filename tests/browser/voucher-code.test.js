// The browser's voucher-code reader (themes/default/static/voucher-code.js) against the Rust one
// (functions/vouchers/src/code.rs): codes issued by `galeri vouchers issue`, typed in every
// forgiven way, and mistyped codes whose verdict comes from the API (the Rust parser). Plain
// node: the same file the pages load.
"use strict";

const { test, before, after } = require("node:test");
const assert = require("node:assert/strict");
const path = require("node:path");
const { startGaleri, repoRoot } = require("./lib/galeri.js");

const V = require(path.join(repoRoot, "themes/default/static/voucher-code.js"));

let galeri;
let codes;

before(async () => {
  galeri = await startGaleri({
    // Hundreds of deliberate failed lookups from one address: lift the lockout for this file.
    env: { GALERI_LOOKUP_LIMIT: "1000000" },
    prepare: (g) => { codes = g.issue(40, 50_000); },
  });
});

after(async () => {
  await galeri?.stop();
});

/** A small seeded generator, so a failure can be replayed. */
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const rand = random(20261129);
const pick = (list) => list[Math.floor(rand() * list.length)];

/** What the Rust parser says about `typed`, through POST /v1/balance. */
async function rustVerdict(typed) {
  const answer = await galeri.request("POST", "/balance", { body: { code: typed } });
  if (answer.status === 200) return { ok: true, hint: answer.body.hint };
  if (answer.status === 404) return { ok: true, unknown: true };
  assert.equal(answer.status, 422, `${typed}: ${JSON.stringify(answer.body)}`);
  assert.match(answer.body.type, /invalid-code$/);
  const detail = answer.body.detail;
  if (/salah ketik/.test(detail)) return { ok: false, error: "check" };
  const length = /terbaca (\d+)/.exec(detail);
  if (length) return { ok: false, error: "length", count: Number(length[1]) };
  const character = /tidak dipakai: '(.+)'$/.exec(detail);
  if (character) return { ok: false, error: "character", character: character[1] };
  throw new Error(`unexpected detail for ${typed}: ${detail}`);
}

async function assertAgrees(typed) {
  const js = V.parse(typed);
  const rust = await rustVerdict(typed);
  assert.equal(js.ok, rust.ok, `${JSON.stringify(typed)}: browser ${JSON.stringify(js)}, API ${JSON.stringify(rust)}`);
  if (rust.ok) {
    if (!rust.unknown) assert.equal(js.hint, rust.hint, typed);
  } else {
    assert.equal(js.error, rust.error, `${JSON.stringify(typed)}: ${JSON.stringify(js)} vs ${JSON.stringify(rust)}`);
    if (rust.count !== undefined) assert.equal(js.count, rust.count, typed);
    if (rust.character !== undefined) assert.equal(js.character, rust.character, typed);
  }
  return js;
}

test("every issued code reads as itself, however it is typed", async () => {
  assert.equal(codes.length, 40);
  for (const code of codes) {
    assert.match(code, /^MLG(-[0-9A-HJKMNP-TV-Z]{4}){4}$/);
    const body = code.slice(4).replaceAll("-", "");
    const typings = [
      code,
      code.toLowerCase(),
      body,
      ` mlg ${body.slice(0, 8)} ${body.slice(8)} `,
      body.replaceAll("0", "O").replaceAll("1", "I"),
      code.replaceAll("1", "l").replaceAll("-", "_"),
    ];
    for (const typed of typings) {
      const js = V.parse(typed);
      assert.deepEqual(js, { ok: true, code, hint: body.slice(-4) }, JSON.stringify(typed));
    }
  }
  // The API agrees on a sample of those typings (the issued codes are known to it).
  for (const code of codes.slice(0, 5)) {
    await assertAgrees(code.toLowerCase().replaceAll("-", " "));
    await assertAgrees(code.slice(4).replaceAll("0", "o"));
  }
});

test("typing a code live shows it grouped, and the shown text reads as the code", () => {
  for (const code of codes) {
    const typed = code.slice(4).replaceAll("-", "").toLowerCase();
    let field = "";
    for (const c of typed) field = V.format(field + c).text;
    assert.equal(field, code);
    assert.equal(V.parse(field).code, code);
  }
  assert.equal(V.format("m").text, "M");
  assert.equal(V.format("ml").text, "ML");
  assert.equal(V.format("mlg").text, "MLG");
  assert.equal(V.format("mlg7k2q9").text, "MLG-7K2Q-9");
  assert.equal(V.format("oil").text, "MLG-011");
});

test("mistyped codes: the browser refuses exactly what the API refuses, for the same reason", async () => {
  const alphabet = V.ALPHABET.split("");
  let refused = 0;
  for (const code of codes) {
    const body = code.slice(4).replaceAll("-", "").split("");
    // One character replaced by another.
    const at = Math.floor(rand() * body.length);
    const replaced = body.slice();
    replaced[at] = pick(alphabet.filter((c) => c !== body[at]));
    // Two neighbours swapped.
    const swapAt = body.findIndex((c, i) => i < body.length - 1 && c !== body[i + 1]);
    const swapped = body.slice();
    [swapped[swapAt], swapped[swapAt + 1]] = [swapped[swapAt + 1], swapped[swapAt]];
    // One character left out, one too many, one that is not on any voucher.
    const short = body.slice(0, at).concat(body.slice(at + 1));
    const long = body.concat([pick(alphabet)]);
    const foreign = body.slice();
    foreign[at] = pick(["U", "!", "é", "*"]);
    for (const variant of [replaced, swapped, short, long, foreign]) {
      const js = await assertAgrees(`MLG-${variant.join("")}`);
      assert.equal(js.ok, false, variant.join(""));
      refused += 1;
    }
  }
  assert.equal(refused, 200);
});

test("random strings: the browser accepts exactly the codes the API's check accepts", async () => {
  const alphabet = V.ALPHABET.split("");
  let accepted = 0;
  for (let i = 0; i < 300; i++) {
    const body = Array.from({ length: 16 }, () => pick(alphabet)).join("");
    if ((await assertAgrees(body)).ok) accepted += 1;
  }
  // One random string in 32 passes the check character.
  assert.ok(accepted > 0 && accepted < 30, `accepted ${accepted} of 300`);
  // The prefix that is only a prefix when the length says so, and odd spacing.
  for (const typed of ["MLG" + "7K2Q9XHD4RTM8", "mlg-" + codes[0].slice(4, 8), "", "   ", "MLG", "M1G7K2Q9XHD4RTM8", "ß", "ıoıl"]) {
    await assertAgrees(typed);
  }
});
