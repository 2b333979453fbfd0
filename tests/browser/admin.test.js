// The web editor at /admin/ (Decap CMS) against its local backend: decap-server (from the pinned
// npm package in themes/default/admin) writing into a copy of the catalog, and `galeri serve`
// serving the site built from that copy. The collections and fields the editor shows are
// checked against the schema table as `galeri schema --json` prints it, and pages the editor
// saves must pass `galeri check`.
"use strict";

const test = require("node:test");
const assert = require("node:assert/strict");
const { execFileSync, spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { startGaleri, repoRoot, binary, freePort } = require("./lib/galeri");
const { launch, PHONE } = require("./lib/browser");

const adminPackages = path.join(repoRoot, "themes", "default", "admin");
const decapServer = path.join(adminPackages, "node_modules", "decap-server", "dist", "index.js");
const artifacts = path.resolve(__dirname, "artifacts");
const DESKTOP = { width: 1280, height: 900 };

/** The schema table, from the binary under test. */
function schemaTable() {
  return JSON.parse(execFileSync(binary, ["schema", "--json"], { encoding: "utf8" }));
}

/** The label of a collection: the schema's, capitalised (`produk` → `Produk`). */
function collectionLabel(schema) {
  return schema.label.charAt(0).toUpperCase() + schema.label.slice(1);
}

/** decap-server on a free loopback port, writing into `content`. */
async function startDecapServer(content) {
  const port = await freePort();
  const child = spawn(process.execPath, [decapServer], {
    cwd: content,
    env: { ...process.env, PORT: String(port), BIND_HOST: "127.0.0.1", GIT_REPO_DIRECTORY: content, MODE: "fs", LOG_LEVEL: "warn" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout.on("data", (chunk) => { log += chunk; });
  child.stderr.on("data", (chunk) => { log += chunk; });
  const url = `http://127.0.0.1:${port}/api/v1`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`decap-server exited with ${child.exitCode}:\n${log}`);
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ action: "info" }),
      });
      if (response.ok) return { url, child, log: () => log };
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`decap-server did not answer within 30 s:\n${log}`);
}

/** `galeri check` on `content`: its exit status and what it printed. */
function check(content) {
  const result = spawnSync(binary, ["check", "--content", content], { encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Splits a page into its front matter keys (top level, in order) and its body. */
function frontMatter(text) {
  const match = /^---\n([\s\S]*?)\n---\n?([\s\S]*)$/.exec(text);
  assert.ok(match, `no front matter in:\n${text}`);
  const keys = match[1].split("\n").filter((line) => /^[a-z_]+:/.test(line)).map((line) => line.split(":")[0]);
  return { yaml: match[1], keys, body: match[2] };
}

let galeri;
let decap;
let browser;
let work;
let content;
const schemas = schemaTable();

test.before(async () => {
  if (!fs.existsSync(decapServer)) {
    throw new Error(`${decapServer} is missing: run npm ci --prefix themes/default/admin (tests/browser/run.sh does)`);
  }
  // A copy of the real catalog, so the editor's writes never touch content/. The resized-photo
  // cache is shared (it is keyed by the photo's bytes), so the copy does not resize every photo.
  work = fs.mkdtempSync(path.join(os.tmpdir(), "galeri-admin-"));
  content = path.join(work, "content");
  fs.cpSync(path.join(repoRoot, "content"), content, { recursive: true });
  const cache = path.join(repoRoot, ".galeri", "image-cache");
  fs.mkdirSync(cache, { recursive: true });
  fs.mkdirSync(path.join(work, ".galeri"));
  fs.symlinkSync(cache, path.join(work, ".galeri", "image-cache"));
  decap = await startDecapServer(content);
  galeri = await startGaleri({ serveArgs: ["--content", content] });
  browser = await launch();
});

test.after(async () => {
  if (browser) await browser.close();
  if (galeri) await galeri.stop();
  if (decap) decap.child.kill();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/**
 * A page at `viewport` on /admin/, signed in to the local backend. The generated configuration
 * names decap-server's default address; the test's decap-server listens on a free port, so only
 * that address is changed on the way to the browser.
 */
async function openEditor(viewport = DESKTOP) {
  const context = await browser.newContext({ viewport, locale: "id-ID" });
  // Decap is 6 MB of JavaScript and the CI machine's two cores are shared: wait generously.
  context.setDefaultTimeout(90_000);
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (error) => page.errors.push(error));
  await page.route("**/admin/config.yml", async (route) => {
    const response = await route.fetch();
    const text = await response.text();
    assert.match(text, /proxy_url: http:\/\/localhost:8081\/api\/v1/);
    await route.fulfill({ response, body: text.replace("http://localhost:8081/api/v1", decap.url) });
  });
  await page.goto(`${galeri.url}/admin/`);
  await page.getByRole("button", { name: "Masuk" }).click();
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

test("the editor offers one collection per editable schema, with its fields, labels and hints", async () => {
  const page = await openEditor();
  const editable = schemas.filter((schema) => schema.editor);
  assert.ok(editable.length >= 4, JSON.stringify(schemas.map((s) => s.label)));
  // The sidebar lists exactly the editable schemas, by their labels.
  for (const schema of editable) {
    await page.getByRole("link", { name: collectionLabel(schema), exact: true }).waitFor();
  }
  const collections = await page.getByRole("link").evaluateAll((links) => links
    .filter((link) => /#\/collections\/[^/]+$/.test(link.getAttribute("href") || ""))
    .map((link) => link.innerText.trim()));
  assert.deepEqual(collections.sort(), editable.map(collectionLabel).sort());
  await shot(page, "admin-desktop");

  for (const schema of editable) {
    // A folder collection's form for a new entry; a settings file's form for that file.
    const url = schema.place.includes("<slug>")
      ? `${galeri.url}/admin/#/collections/${schema.editor}/new`
      : `${galeri.url}/admin/#/collections/${schema.editor}/entries/${schema.editor}`;
    await page.goto(url);
    await page.reload();
    const fields = schema.fields.flatMap((field) => [field, ...field.fields]);
    for (const field of fields) {
      // Each key has its label and, as the hint under it, the schema's Indonesian help;
      // optional keys are marked as such, required ones are not.
      const label = page.locator("label").filter({ hasText: new RegExp(`^${escapeRegExp(field.label)}( \\(boleh kosong\\))?$`) }).first();
      await label.waitFor();
      const text = (await label.innerText()).trim().toLowerCase();
      const optional = text.endsWith("(boleh kosong)");
      // The producer is required in the editor although optional in a page: it names the
      // folder a new product is written to.
      if (field.rule !== "Producer") assert.equal(optional, !field.required, `${schema.label}.${field.name}: "${text}"`);
      assert.ok(await page.getByText(field.help, { exact: true }).count() >= 1,
        `${schema.label}.${field.name}: no hint "${field.help}"`);
    }
    if (!schema.place.includes("<slug>")) {
      // A settings file opens with its values: the first key's value as the file has it.
      const first = schema.fields[0];
      const input = page.getByLabel(first.label, { exact: true });
      await page.waitForFunction((element) => element.value !== "", await input.elementHandle())
        .catch(() => assert.fail(`${schema.label}.${first.name} is empty: the file was not loaded`));
    }
    if (schema.body) await page.locator("label").filter({ hasText: schema.body }).first().waitFor();
    // No other field: every label on the form belongs to the schema (or is the body).
    const expected = new Set([...fields.map((field) => field.label), schema.body].filter(Boolean));
    const shown = await page.locator("label").evaluateAll((labels) =>
      labels.map((label) => (label.firstChild?.textContent || "").trim()));
    const unknown = shown.filter((text) => text && !expected.has(text));
    assert.deepEqual(unknown, [], `${schema.label}: labels not in the schema`);
    await shot(page, `admin-form-${schema.editor}`);
  }

  // The kecamatan select offers exactly the schema's 33.
  const producers = schemas.find((schema) => schema.editor === "produsen");
  const kecamatan = producers.fields.find((field) => field.name === "kecamatan");
  await openForm(page, "produsen/new", producers.fields[0].label);
  await page.getByLabel(kecamatan.label).click();
  await page.getByRole("option").first().waitFor();
  const options = await page.getByRole("option").allInnerTexts();
  assert.equal(kecamatan.options.length, 33);
  assert.deepEqual(options, kecamatan.options);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Waits until `file` exists (decap-server writes it when the editor saves). */
async function written(file, before = null) {
  for (let i = 0; i < 600; i += 1) {
    if (fs.existsSync(file) && fs.readFileSync(file, "utf8") !== before) return fs.readFileSync(file, "utf8");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`not written: ${file}\n${decap.log()}`);
}

/** Saves the open entry and waits until the editor says it is saved. */
async function save(page) {
  await page.getByRole("button", { name: "Simpan" }).click();
  await page.getByRole("menuitem", { name: "Simpan sekarang" }).click();
  await page.getByRole("button", { name: "Tersimpan" }).waitFor();
}

/** Opens an editor route and waits for the form whose first label is `label`. */
async function openForm(page, route, label) {
  await page.goto(`${galeri.url}/admin/#/collections/${route}`);
  await page.reload();
  await page.locator("label").filter({ hasText: new RegExp(`^${escapeRegExp(label)}`) }).first().waitFor();
}

/** The keys of `schema` in the order the schema declares them, as far as `keys` has them. */
function inSchemaOrder(schema, keys) {
  return schema.fields.map((field) => field.name).filter((name) => keys.includes(name));
}

test("pages saved in the editor read back as written, and galeri check accepts them", async () => {
  const products = schemas.find((schema) => schema.editor === "produk");
  const producers = schemas.find((schema) => schema.editor === "produsen");
  const page = await openEditor();

  // A new producer: numbers written as text must stay text (the leading 0 of a phone number).
  await openForm(page, "produsen/new", "Nama usaha");
  await page.getByLabel("Nama usaha").fill("Sanggar Topeng Uji Editor");
  await page.getByLabel("Kecamatan").click();
  await page.getByRole("option", { name: "Pakisaji", exact: true }).click();
  await page.getByLabel("Desa/kelurahan").fill("Kedungmonggo");
  await page.getByLabel("WhatsApp").fill("081234567890");
  await page.getByLabel("NIB").fill("9120000000123");
  await page.getByLabel("Tahun mulai usaha").fill("2012");
  await page.locator("[role=textbox][aria-multiline=true]").click();
  await page.keyboard.type("Sanggar kecil di Kedungmonggo.");
  await save(page);
  const producerFile = path.join(content, "producers", "sanggar-topeng-uji-editor.md");
  const producer = frontMatter(await written(producerFile));
  assert.deepEqual(producer.keys, inSchemaOrder(producers, producer.keys));
  assert.match(producer.yaml, /^whatsapp: "081234567890"$/m);
  assert.match(producer.yaml, /^nib: "9120000000123"$/m);
  assert.match(producer.yaml, /^since: 2012$/m);
  assert.match(producer.body, /Sanggar kecil di Kedungmonggo\./);

  // A new product of that producer, in its folder. A field typed in and cleared again is
  // left out, not written empty.
  await openForm(page, "produk/new", "Nama produk");
  await page.getByLabel("Nama produk").fill("Topeng Panji Uji Editor");
  await page.getByLabel("Kode barang (SKU)").fill("UJI-TOP-001");
  await page.getByLabel("Kategori").click();
  await page.getByRole("option", { name: "Kriya", exact: true }).click();
  await page.getByLabel("Harga (rupiah)").fill("125000");
  await page.getByLabel("Satuan").fill("1 buah");
  await page.getByLabel("Nomor P-IRT").fill("2073507010123-29");
  await page.getByLabel("Nomor P-IRT").fill("");
  await page.getByLabel("Kata kunci").fill("topeng, panji");
  // A photo uploaded in the form is saved beside the page (a copy of a sample photo).
  const photo = path.join(work, "topeng-panji-uji.jpg");
  fs.copyFileSync(path.join(content, "products", "griya-topeng-candra-kirana", "topeng-panji-asmarabangun.jpg"), photo);
  await page.getByRole("button", { name: "Tambah foto" }).click();
  await page.getByRole("button", { name: "Pilih foto" }).click();
  await page.locator("input[type=file]").setInputFiles(photo);
  await page.getByRole("button", { name: "Pakai yang dipilih" }).click();
  await page.getByLabel("Produsen").fill("Sanggar");
  await page.getByRole("option", { name: "Sanggar Topeng Uji Editor" }).click();
  await page.locator("[role=textbox][aria-multiline=true]").click();
  await page.keyboard.type("Topeng Panji dari kayu sengon, diwarnai tangan.");
  await save(page);
  const productFile = path.join(content, "products", "sanggar-topeng-uji-editor", "topeng-panji-uji-editor.md");
  const product = frontMatter(await written(productFile));
  assert.deepEqual(product.keys, inSchemaOrder(products, product.keys));
  assert.match(product.yaml, /^price: 125000$/m);
  assert.match(product.yaml, /^sku: UJI-TOP-001$/m);
  assert.match(product.yaml, /^images:\n {2}- topeng-panji-uji\.jpg$/m);
  assert.deepEqual(fs.readFileSync(path.join(path.dirname(productFile), "topeng-panji-uji.jpg")), fs.readFileSync(photo));
  assert.doesNotMatch(product.yaml, /pirt|: ""|: \[\]|: \{\}/);
  assert.match(product.body, /Topeng Panji dari kayu sengon, diwarnai tangan\./);

  // An existing product, changed in one field: the rest and the Markdown body are kept.
  const existingFile = path.join(content, "products", "griya-topeng-candra-kirana", "gantungan-kunci-topeng.md");
  const before = fs.readFileSync(existingFile, "utf8");
  await openForm(page, "produk/entries/griya-topeng-candra-kirana/gantungan-kunci-topeng", "Nama produk");
  await page.getByLabel("Harga (rupiah)").waitFor();
  await page.getByLabel("Harga (rupiah)").fill("16000");
  await page.getByLabel("Produsen").click();
  await page.getByRole("option", { name: "Griya Topeng Candra Kirana" }).click();
  await save(page);
  const after = frontMatter(await written(existingFile, before));
  const original = frontMatter(before);
  assert.equal(after.body, original.body);
  assert.match(after.yaml, /^price: 16000$/m);
  for (const key of original.keys) assert.ok(after.keys.includes(key), `${key} lost:\n${after.yaml}`);

  // The settings file (no body; its comments are lost, its values kept).
  const siteFile = path.join(content, "site.yaml");
  const siteBefore = fs.readFileSync(siteFile, "utf8");
  await openForm(page, "situs/entries/situs", "Nama situs");
  const tagline = page.getByLabel("Slogan");
  await page.waitForFunction((element) => element.value !== "", await tagline.elementHandle());
  await tagline.fill("Produk pilihan UKM/IKM Kabupaten Malang");
  await save(page);
  const site = await written(siteFile, siteBefore);
  assert.match(site, /^tagline: Produk pilihan UKM\/IKM Kabupaten Malang$/m);
  assert.match(site, /^ {2}whatsapp: "081200000000"$/m);
  assert.match(site, /^products_per_page: 24$/m);

  const result = check(content);
  assert.equal(result.status, 0, `galeri check:\n${result.output}`);
  // The checks of galeri check run on what the editor wrote: a duplicate SKU is refused.
  fs.writeFileSync(productFile, fs.readFileSync(productFile, "utf8").replace("UJI-TOP-001", "GTC-KRY-004"));
  const duplicate = check(content);
  assert.notEqual(duplicate.status, 0);
  assert.match(duplicate.output, /topeng-panji-uji-editor\.md:\d+:\d+: .*GTC-KRY-004/);
  assert.deepEqual(page.errors, []);
  await page.context().close();
});

test("the editor at 390 px", async () => {
  const page = await openEditor(PHONE);
  await page.getByRole("link", { name: "Produk", exact: true }).waitFor();
  // The list of products, loaded (one of the sample catalog's products).
  await page.getByRole("link", { name: "Gantungan Kunci Topeng" }).waitFor();
  await shot(page, "admin-390");
  await page.goto(`${galeri.url}/admin/#/collections/produk/new`);
  await page.getByText("Nama produk", { exact: true }).waitFor();
  await shot(page, "admin-form-390");
  // The form fits the phone: no sideways scrolling.
  const overflow = () => page.evaluate(() =>
    document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.equal(await overflow(), 0);
  // An existing page: Simpan and Hapus both within the screen.
  await openForm(page, "produk/entries/griya-topeng-candra-kirana/topeng-mini-suvenir", "Nama produk");
  for (const name of ["Tersimpan", "Hapus"]) {
    const button = page.getByRole("button", { name, exact: true });
    await button.waitFor();
    const box = await button.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, `${name}: ${JSON.stringify(box)}`);
  }
  assert.equal(await overflow(), 0);
  await shot(page, "admin-edit-390");
  await page.context().close();
});
