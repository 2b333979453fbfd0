// Search benchmark (issue 10): builds a synthetic catalog of N products with varied,
// realistic names, measures the gzipped size of its search-index.json, then opens /cari/ in
// headless Chromium with 4x CPU throttling and times each keystroke of a few queries: from the
// input event to the results in the DOM and laid out ("handler"), and to the next frame
// ("frame"). Prints one JSON object; tests/bench/search_bench.sh wraps it.
//
//   node tests/bench/search_bench.mjs <galeri binary> <theme> <work dir> [N=10000]
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { createServer } from "node:http";
import { gzipSync } from "node:zlib";
import fs from "node:fs";
import path from "node:path";

const [galeri, theme, work, count = "10000"] = process.argv.slice(2);
const products = Number(count);

// Deterministic pseudo-random numbers, so every run builds the same catalog.
let seed = 42;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = (list) => list[Math.floor(random() * list.length)];

const kecamatan = ["Ampelgading", "Bantur", "Bululawang", "Dampit", "Dau", "Donomulyo", "Gedangan",
  "Gondanglegi", "Jabung", "Kalipare", "Karangploso", "Kasembon", "Kepanjen", "Kromengan", "Lawang",
  "Ngajum", "Ngantang", "Pagak", "Pagelaran", "Pakis", "Pakisaji", "Poncokusumo", "Pujon",
  "Singosari", "Sumbermanjing Wetan", "Sumberpucung", "Tajinan", "Tirtoyudo", "Tumpang", "Turen",
  "Wagir", "Wajak", "Wonosari"];
const categories = {
  kopi: ["Kopi Robusta", "Kopi Arabika", "Kopi Lanang", "Kopi Luwak", "Kopi Excelsa", "Kopi Tubruk"],
  "makanan-ringan": ["Keripik Singkong", "Keripik Pisang", "Keripik Tempe", "Marning Jagung",
    "Dodol Apel", "Rengginang", "Kerupuk Samiler", "Stik Bawang", "Keripik Apel", "Sale Pisang"],
  minuman: ["Sari Apel", "Sirup Jeruk", "Wedang Uwuh", "Sari Kelapa", "Susu Kedelai"],
  madu: ["Madu Randu", "Madu Kelengkeng", "Madu Hutan", "Madu Klanceng", "Madu Kaliandra"],
  "herbal-jamu": ["Jahe Merah Instan", "Kunyit Asam", "Temulawak Instan", "Beras Kencur", "Teh Kelor"],
  kriya: ["Topeng Malangan", "Cobek Gerabah", "Besek Bambu", "Tampah Bambu", "Vas Gerabah",
    "Tudung Saji", "Keranjang Rotan", "Ukiran Kayu", "Dompet Kulit", "Lampu Hias Bambu"],
  "batik-tenun": ["Kain Batik Tulis", "Kain Batik Cap", "Selendang Batik", "Sarung Tenun", "Syal Tenun"],
  fesyen: ["Kemeja Batik", "Tote Bag", "Hijab Segi Empat", "Blus Tenun", "Tas Anyaman"],
};
const descriptors = ["Original", "Pedas", "Manis", "Gurih", "Premium", "Petik Merah", "Honey",
  "Natural", "Full Wash", "Balado", "Keju", "Jumbo", "Mini", "Motif Garudeya", "Motif Kawung",
  "Motif Bambu", "Warna Alam", "Klasik", "Sangrai Sedang", "Sangrai Gelap", "Bubuk", "Biji",
  "Kemasan Toples", "Isi 10", "Ukuran Besar", "Ukuran Kecil", "Daun Jeruk", "Bawang Putih"];
const villages = ["Sumberejo", "Argotirto", "Sitiarjo", "Pujiharjo", "Tulungrejo", "Kidal",
  "Wonokerto", "Ngadas", "Gubugklakah", "Selorejo", "Bumiaji", "Sidodadi", "Tegalrejo", "Karangrejo"];
const houses = ["UD", "CV", "KUB", "Griya", "Omah", "Pawon", "Dapur", "Sanggar", "Rumah"];
const food = new Set(["kopi", "makanan-ringan", "minuman", "madu", "herbal-jamu"]);

function synthesize(content) {
  fs.rmSync(content, { recursive: true, force: true });
  fs.mkdirSync(path.join(content, "pages"), { recursive: true });
  fs.writeFileSync(path.join(content, "site.yaml"), `title: Galeri Bench
base_url: https://bench.example
language: id
address: Jl. KH Agus Salim No. 7, Kota Malang
opening_hours: ["Senin–Jumat 08.00–15.00 WIB"]
contact:
  whatsapp: "081200000000"
api_base_url: /api
`);
  fs.writeFileSync(path.join(content, "categories.yaml"), Object.keys(categories).map((slug) =>
    `- slug: ${slug}\n  name: ${slug[0].toUpperCase() + slug.slice(1).replace("-", " ")}\n  description: Produk ${slug}.\n  food: ${food.has(slug)}\n`).join(""));
  fs.writeFileSync(path.join(content, "pages", "cara-belanja.md"), "---\ntitle: Cara Belanja\n---\nBayar dengan voucher.\n");
  const producers = Math.max(1, Math.floor(products / 10));
  fs.mkdirSync(path.join(content, "producers"));
  for (let p = 0; p < producers; p++) {
    const name = `${pick(houses)} ${pick(villages)} ${pick(["Makmur", "Lestari", "Jaya", "Asri", "Sari", "Rukun", "Mulya", "Barokah"])} ${p}`;
    fs.writeFileSync(path.join(content, "producers", `produsen-${p}.md`),
      `---\nname: ${name}\nkecamatan: ${kecamatan[p % 33]}\ndesa: ${pick(villages)}\nnib: "${9120000000000 + p}"\n---\nCerita produsen.\n`);
    fs.mkdirSync(path.join(content, "products", `produsen-${p}`), { recursive: true });
  }
  const slugs = Object.keys(categories);
  for (let i = 0; i < products; i++) {
    const category = slugs[i % slugs.length];
    const name = `${pick(categories[category])} ${pick(descriptors)} ${pick(villages)}`;
    const permits = food.has(category)
      ? `permits:\n  pirt: "2073507${String(i % 1000000).padStart(6, "0")}-30"\n  halal: "ID3511${String(i).padStart(13, "0")}"\n` : "";
    const price = 5000 + Math.floor(random() * 99) * 2500;
    fs.writeFileSync(path.join(content, "products", `produsen-${i % producers}`, `produk-${i}.md`),
      `---\nname: ${name}\nsku: ${category.slice(0, 3).toUpperCase()}-${String(i).padStart(6, "0")}\ncategory: ${category}\nprice: ${price}\nunit: "${pick(["100 g", "250 g", "500 g", "1 buah", "1 lembar", "1 set"])}"\n${permits}tags: [${pick(descriptors).toLowerCase()}, ${pick(villages).toLowerCase()}]\n---\nProduk ${i}.\n`);
  }
}

const content = path.join(work, "content");
const out = path.join(work, "public");
synthesize(content);
execFileSync(galeri, ["build", "--lang", "en", "--content", content, "--theme", theme, "--out", out], { stdio: "inherit" });
const index = fs.readFileSync(path.join(out, "search-index.json"));
const indexBytes = index.length;
const indexGzip = gzipSync(index, { level: 6 }).length;

const types = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json", ".svg": "image/svg+xml" };
const server = createServer((request, response) => {
  let file = path.join(out, decodeURIComponent(new URL(request.url, "http://x").pathname));
  if (file.endsWith("/")) file += "index.html";
  fs.readFile(file, (error, body) => {
    if (error) { response.writeHead(404); response.end(); return; }
    response.writeHead(200, { "content-type": types[path.extname(file)] || "application/octet-stream" });
    response.end(body);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
const cdp = await page.context().newCDPSession(page);
await cdp.send("Emulation.setCPUThrottlingRate", { rate: 4 });
const loadStart = Date.now();
await page.goto(`${base}/cari/`);
await page.waitForFunction(() => window.galeriSearch && document.getElementById("q"));
// Ready when a search answers: the index has been fetched and parsed.
await page.waitForFunction(() => {
  const input = document.getElementById("q");
  input.value = "kopi";
  input.dispatchEvent(new Event("input"));
  return document.getElementById("hasil").children.length > 0;
});
const readyMs = Date.now() - loadStart;
const queries = ["kopi robusta dampit", "keripik pedas", "batik garudeya", "madu randu", "topeng malangan", "JAHE merah instan"];
const timings = await page.evaluate(async (queries) => {
  const input = document.getElementById("q");
  const results = document.getElementById("hasil");
  const handler = [];
  const frame = [];
  const filter = [];
  const render = [];
  for (const query of queries) {
    input.value = "";
    input.dispatchEvent(new Event("input"));
    for (let i = 1; i <= query.length; i++) {
      input.value = query.slice(0, i);
      const start = performance.now();
      input.dispatchEvent(new Event("input"));
      void results.offsetHeight; // force layout of the new results
      handler.push(performance.now() - start);
      filter.push(window.galeriSearch.timing.filter);
      render.push(window.galeriSearch.timing.render);
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      frame.push(performance.now() - start);
    }
  }
  return { handler, frame, filter, render };
}, queries);
const resultCount = await page.evaluate(() => document.getElementById("jumlah").textContent);
await browser.close();
server.close();

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { median: +at(0.5).toFixed(1), p95: +at(0.95).toFixed(1), max: +sorted[sorted.length - 1].toFixed(1) };
};
console.log(JSON.stringify({
  products,
  index_bytes: indexBytes,
  index_gzip_bytes: indexGzip,
  ready_ms_throttled: readyMs,
  keystrokes: timings.handler.length,
  handler_ms: stats(timings.handler),
  frame_ms: stats(timings.frame),
  filter_ms: stats(timings.filter),
  render_ms: stats(timings.render),
  load_average: (await import("node:os")).loadavg().map((x) => +x.toFixed(1)),
  last_result: resultCount,
}, null, 2));
