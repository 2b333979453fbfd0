// Starts the real `galeri` binary for a test file: a fresh SQLite store in a temporary folder,
// vouchers issued and staff tokens minted by the CLI against that store, then `galeri serve` on
// a free loopback port. Builds nothing: it runs the debug binary tests/run.sh built.
"use strict";

const { execFileSync, spawn } = require("node:child_process");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");

const repoRoot = path.resolve(__dirname, "..", "..", "..");
const binary = process.env.GALERI_BIN ||
  path.join(path.resolve(repoRoot, process.env.CARGO_TARGET_DIR || "target"), "debug", "galeri");
/** How long `galeri serve` may take to build the site and start listening (the first build of
 * a fresh clone resizes every photo; later ones find them in .galeri/image-cache). */
const START_TIMEOUT_MS = 600_000;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** YYYY-MM-DD, `days` from today (UTC is close enough for an expiry weeks away). */
function dateIn(days) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Reads the CSV `galeri vouchers issue` wrote: one row per code. */
function readCodes(file) {
  const [header, ...rows] = fs.readFileSync(file, "utf8").trim().split("\n");
  const columns = header.split(",");
  return rows.map((row) => {
    const cells = row.split(",");
    return Object.fromEntries(columns.map((c, i) => [c, cells[i]]));
  });
}

class Galeri {
  constructor(dir, env, args = []) {
    this.dir = dir;
    this.args = args;
    this.store = `sqlite:${path.join(dir, "vouchers.db")}`;
    this.env = { ...process.env, RUST_LOG: "warn", ...env };
    this.batches = 0;
    this.log = "";
  }

  /** Runs a CLI command against this store; returns its stdout. */
  cli(args) {
    return execFileSync(binary, [...args, "--store", this.store], {
      cwd: repoRoot,
      env: this.env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Issues `count` vouchers of `amount` rupiah; returns their codes as printed. */
  issue(count, amount, { expires = dateIn(30) } = {}) {
    this.batches += 1;
    const out = path.join(this.dir, `codes-${this.batches}.csv`);
    this.cli(["vouchers", "issue", "--count", String(count), "--amount", String(amount),
      "--expires", expires, "--batch", `uji-${this.batches}`, "--out", out]);
    return readCodes(out).map((row) => row.code);
  }

  /** A staff bearer token of this role. */
  token(role, name) {
    return this.cli(["tokens", "create", "--role", role, "--name", name]).trim();
  }

  async start() {
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.api = `${this.url}/api/v1`;
    this.child = spawn(binary, ["serve", "--port", String(port), "--bind", "127.0.0.1",
      "--store", this.store, "--out", path.join(this.dir, "public"), ...this.args], {
      cwd: repoRoot,
      env: this.env,
      stdio: ["ignore", "ignore", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.on("exit", resolve));
    this.child.stderr.on("data", (chunk) => { this.log += chunk; });
    const deadline = Date.now() + START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null) {
        throw new Error(`galeri serve exited with ${this.child.exitCode}:\n${this.log}`);
      }
      try {
        const response = await fetch(`${this.api}/health`);
        if (response.ok) return this;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`galeri serve did not answer within ${START_TIMEOUT_MS} ms:\n${this.log}`);
  }

  /** A JSON request to the API, as a client outside the browser. */
  async request(method, route, { body, token, key } = {}) {
    const headers = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    if (key) headers["idempotency-key"] = key;
    const response = await fetch(`${this.api}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
  }

  /** The balance the API reports for a code. */
  async balance(code) {
    const answer = await this.request("POST", "/balance", { body: { code } });
    if (answer.status !== 200) throw new Error(`balance: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  async stop() {
    if (this.child && this.child.exitCode === null) {
      this.child.kill("SIGINT");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A store with vouchers and tokens, and `galeri serve` on it. `env` adds environment
 * variables (e.g. GALERI_LOOKUP_LIMIT); `args` adds `galeri serve` arguments (e.g.
 * `--content DIR`); `prepare(galeri)` runs CLI commands before serving.
 */
async function startGaleri({ env = {}, args = [], prepare } = {}) {
  if (!fs.existsSync(binary)) {
    throw new Error(`${binary} is missing: build it first (cargo build --bin galeri), as tests/run.sh does`);
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "galeri-browser-"));
  const galeri = new Galeri(dir, env, args);
  try {
    if (prepare) await prepare(galeri);
    return await galeri.start();
  } catch (error) {
    await galeri.stop();
    throw error;
  }
}

module.exports = { startGaleri, repoRoot, binary, dateIn };
