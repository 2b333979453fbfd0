/* Talking to the voucher API from the Cek Saldo, Kasir and order pages: one request helper, one
 * Indonesian message per problem type (infra/openapi.yaml, functions/api/src/problem.rs), and
 * the rupiah and date formats people read. */
(function (root) {
  "use strict";

  var PROBLEM_BASE = "https://galeri.malangkab.example/problems/";
  /** Seconds before a request that has not answered is treated as a dropped connection. */
  var TIMEOUT_MS = 20000;

  /** `Rp50.000`: no space, dot for thousands (DOMAIN.md). Money is whole rupiah. */
  function rupiah(amount) {
    var n = Math.round(Number(amount) || 0);
    var sign = n < 0 ? "-" : "";
    return sign + "Rp" + String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  var MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
    "September", "Oktober", "November", "Desember"];
  var DAYS = ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"];

  /** `2026-12-31` → `31 Desember 2026` (a calendar date, no time zone involved). */
  function tanggal(isoDate) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(isoDate || ""));
    if (!m) return String(isoDate || "");
    return Number(m[3]) + " " + MONTHS[Number(m[2]) - 1] + " " + m[1];
  }

  /** The WIB (UTC+7) wall clock of an instant, as fields. */
  function wib(instant) {
    var date = instant instanceof Date ? instant : new Date(instant);
    var shifted = new Date(date.getTime() + 7 * 3600 * 1000);
    return {
      year: shifted.getUTCFullYear(),
      month: shifted.getUTCMonth(),
      day: shifted.getUTCDate(),
      weekday: shifted.getUTCDay(),
      hour: shifted.getUTCHours(),
      minute: shifted.getUTCMinutes(),
    };
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /** `Senin, 30 November 2026 14.05 WIB`. */
  function waktu(instant) {
    var t = wib(instant);
    return DAYS[t.weekday] + ", " + t.day + " " + MONTHS[t.month] + " " + t.year + " " +
      pad(t.hour) + "." + pad(t.minute) + " WIB";
  }

  /**
   * The end of a hold: an instant at WIB midnight reads as the end of the day before
   * (`akhir hari Kamis, 3 Desember 2026`), anything else as `waktu`.
   */
  function batas(instant) {
    var date = instant instanceof Date ? instant : new Date(instant);
    var t = wib(date);
    if (t.hour !== 0 || t.minute !== 0) return waktu(date);
    var day = wib(new Date(date.getTime() - 60 * 1000));
    return "akhir hari " + DAYS[day.weekday] + ", " + day.day + " " + MONTHS[day.month] + " " + day.year;
  }

  /** `14.05`. */
  function jam(instant) {
    var t = wib(instant);
    return pad(t.hour) + "." + pad(t.minute);
  }

  /** Today's WIB date as `YYYY-MM-DD`. */
  function todayWib(now) {
    var t = wib(now || new Date());
    return t.year + "-" + pad(t.month + 1) + "-" + pad(t.day);
  }

  /** `14 menit 5 detik`. */
  function duration(seconds) {
    var s = Math.max(1, Math.ceil(Number(seconds) || 0));
    var minutes = Math.floor(s / 60);
    var rest = s % 60;
    if (minutes === 0) return rest + " detik";
    return minutes + " menit" + (rest ? " " + rest + " detik" : "");
  }

  /** Why a request got no answer at all: the outcome of a mutation is unknown. */
  function NetworkError(message) {
    this.name = "NetworkError";
    this.message = message;
  }
  NetworkError.prototype = Object.create(Error.prototype);

  /**
   * Sends one request. Resolves to {ok, status, data, problem, slug, headers}; rejects with a
   * NetworkError when no answer came (offline, dropped connection, timeout).
   */
  function request(method, url, options) {
    options = options || {};
    var headers = { Accept: "application/json, application/problem+json" };
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    if (options.token) headers.Authorization = "Bearer " + options.token;
    // A buyer reads and cancels an order with the token shown once when it was placed.
    else if (options.orderToken) headers.Authorization = "Order " + options.orderToken;
    if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    var timer = controller ? setTimeout(function () { controller.abort(); }, TIMEOUT_MS) : null;
    return fetch(url, {
      method: method,
      headers: headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      cache: "no-store",
      credentials: "omit",
      referrerPolicy: "no-referrer",
      signal: controller ? controller.signal : undefined,
    }).then(function (response) {
      return response.text().then(function (text) {
        if (timer) clearTimeout(timer);
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (error) {
          data = null;
        }
        var result = { ok: response.ok, status: response.status, data: data, headers: response.headers };
        if (!response.ok) {
          result.problem = data && typeof data === "object" ? data : { title: "", detail: "" };
          result.slug = problemSlug(result.problem, response.status);
        }
        return result;
      });
    }, function (error) {
      if (timer) clearTimeout(timer);
      throw new NetworkError(String(error && error.message || error));
    });
  }

  function problemSlug(problem, status) {
    var type = problem && typeof problem.type === "string" ? problem.type : "";
    if (type.indexOf(PROBLEM_BASE) === 0) return type.slice(PROBLEM_BASE.length);
    if (status >= 500) return "internal-error";
    return "unknown";
  }

  /** Seconds to wait, from the problem's `retry_after` or the Retry-After header. */
  function retryAfter(result) {
    var fromBody = result.problem && Number(result.problem.retry_after);
    if (fromBody > 0) return fromBody;
    var header = result.headers && Number(result.headers.get("Retry-After"));
    return header > 0 ? header : 60;
  }

  function fieldDetails(problem) {
    var errors = problem && Array.isArray(problem.errors) ? problem.errors : [];
    return errors.map(function (e) { return e && e.detail; }).filter(Boolean).join("; ");
  }

  /** A friendly Indonesian sentence for a refused request, by problem type. */
  function message(result) {
    var p = result.problem || {};
    switch (result.slug) {
      case "invalid-code":
        return "Kode voucher tidak valid: " + (fieldDetails(p) || p.detail || "periksa lagi kodenya") + ".";
      case "unknown-code":
        return "Kode voucher tidak ditemukan. Periksa lagi setiap karakter pada voucher; bila sudah benar, hubungi petugas galeri.";
      case "voucher-expired":
        return "Voucher ini sudah kedaluwarsa" + (p.expires_on ? " (berlaku sampai " + tanggal(p.expires_on) + ")" : "") + " dan tidak dapat dipakai lagi.";
      case "voucher-void":
        return "Voucher ini sudah dibatalkan dan tidak dapat dipakai lagi. Hubungi petugas galeri bila Anda merasa ini keliru.";
      case "insufficient-balance":
        return "Saldo voucher tidak cukup" + (p.balance !== undefined ? " (saldo " + rupiah(p.balance) + ", belanja " + rupiah(p.total) + ")" : "") + ".";
      case "too-many-failed-lookups":
        return "Terlalu banyak kode yang salah dari perangkat ini. Demi keamanan, coba lagi dalam " + duration(retryAfter(result)) + ".";
      case "unknown-sku":
        return "Ada produk yang tidak dijual lagi di galeri (" + (fieldDetails(p) || "lihat keranjang") + "). Hapus dari keranjang, lalu bayar lagi.";
      case "validation-failed":
        return "Ada isian yang tidak valid: " + (fieldDetails(p) || p.detail || "periksa lagi") + ".";
      case "unauthorized":
        return "Token tidak dikenal atau sudah dicabut. Masuk lagi dengan token yang berlaku.";
      case "forbidden":
        return "Token ini tidak berwenang untuk tindakan ini.";
      case "unknown-redemption":
        return "Transaksi tidak ditemukan.";
      case "unknown-order":
        return "Pesanan tidak ditemukan, atau tanda pengenal pesanan di perangkat ini tidak cocok.";
      case "order-conflict":
        return "Pesanan ini tidak dapat diubah lagi" + (p.order_status || p.status ? " (statusnya kini " + (p.order_status || p.status) + ")" : "") + ". Muat ulang untuk melihat statusnya.";
      case "already-refunded":
        return "Transaksi ini sudah dikembalikan sebelumnya" + (p.refund_id ? " (" + p.refund_id + ")" : "") + ".";
      case "idempotency-key-reused":
        return "Transaksi bentrok dengan transaksi sebelumnya. Muat ulang halaman, lalu ulangi.";
      case "idempotency-key-required":
      case "malformed-request":
      case "unsupported-media-type":
      case "payload-too-large":
        return "Layanan voucher tidak dapat membaca permintaan ini (" + (p.title || result.status) + "). Muat ulang halaman, lalu coba lagi.";
      case "not-found":
      case "method-not-allowed":
        return "Layanan voucher tidak ditemukan di alamat ini. Hubungi admin galeri.";
      case "store-busy":
        return "Layanan voucher sedang sibuk. Coba lagi sebentar lagi.";
      case "internal-error":
        return "Terjadi kesalahan pada layanan voucher. Coba lagi nanti; bila berulang, hubungi admin galeri.";
      default:
        return (p.title || "Permintaan ditolak") + (p.detail ? ": " + p.detail : "") + ".";
    }
  }

  var NETWORK_MESSAGE = "Tidak tersambung ke layanan voucher. Periksa koneksi internet, lalu coba lagi.";

  /** A fresh Idempotency-Key (≥ 16 characters, as the API asks). */
  function newKey() {
    if (root.crypto && typeof root.crypto.randomUUID === "function") return root.crypto.randomUUID();
    var bytes = new Uint8Array(16);
    root.crypto.getRandomValues(bytes);
    return Array.from(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  /** Waits before an unanswered mutation is sent again by itself, with the same key each time. */
  var RETRY_DELAYS_MS = [500, 1500, 3000, 6000];

  /**
   * A mutation that is safe to repeat: one Idempotency-Key for its whole life. An answer of
   * the API settles it (confirmed or refused); no answer, or a 5xx, leaves it unsettled and it
   * is sent again, with the same key, a few times by itself and then when asked.
   * `auth` is {token} (staff) or {orderToken} (a buyer), or a bare staff token.
   */
  function Mutation(method, url, body, auth) {
    this.key = newKey();
    this.method = method;
    this.url = url;
    this.body = body;
    this.auth = typeof auth === "string" ? { token: auth } : (auth || {});
    this.attempts = 0;
    this.inFlight = false;
    this.timer = null;
  }

  Mutation.prototype.send = function (report) {
    var self = this;
    if (self.inFlight) return; // a second tap while the first is on its way
    clearTimeout(self.timer);
    self.inFlight = true;
    self.attempts += 1;
    report({ phase: "sending", attempt: self.attempts });
    request(self.method, self.url, {
      body: self.body,
      token: self.auth.token,
      orderToken: self.auth.orderToken,
      idempotencyKey: self.key,
    }).then(function (answer) {
      self.inFlight = false;
      if (answer.status >= 500) return self.unsettled(report, answer);
      report({ phase: "settled", answer: answer, attempt: self.attempts });
    }, function () {
      self.inFlight = false;
      self.unsettled(report, null);
    });
  };

  Mutation.prototype.unsettled = function (report, answer) {
    var self = this;
    var delay = RETRY_DELAYS_MS[self.attempts - 1];
    report({ phase: "unsettled", answer: answer, attempt: self.attempts, retrying: delay !== undefined });
    if (delay !== undefined) self.timer = setTimeout(function () { self.send(report); }, delay);
  };

  /**
   * Checks a staff token against the API. Resolves to null when it is good, or to the message
   * to show. Any cashier route tells a live token from a dead one; an unknown receipt number
   * answers 404 to a valid token and changes nothing.
   */
  function checkStaffToken(apiBase, token) {
    return request("GET", apiBase + "/redemptions/periksa-token", { token: token }).then(function (answer) {
      if (answer.ok || answer.slug === "unknown-redemption") return null;
      return message(answer);
    }, function () {
      return NETWORK_MESSAGE;
    });
  }

  /** A WhatsApp number as DOMAIN.md normalizes it (`0…`/`+62…`/`8…` → `628…`), or null. */
  function whatsappNumber(typed) {
    var digits = String(typed || "").replace(/\D/g, "");
    if (digits.indexOf("0") === 0) digits = "62" + digits.slice(1);
    else if (digits.indexOf("8") === 0) digits = "62" + digits;
    return /^628\d{8,12}$/.test(digits) ? digits : null;
  }

  /** `https://wa.me/<number>?text=<message>`. */
  function whatsappLink(number, text) {
    return "https://wa.me/" + number + "?text=" + encodeURIComponent(text);
  }

  /** el("p", {class: "x"}, "text", child, …): builds DOM with text nodes, never HTML. */
  function el(tag, attributes) {
    var node = root.document.createElement(tag);
    var attrs = attributes || {};
    Object.keys(attrs).forEach(function (name) {
      var value = attrs[name];
      if (value === false || value === null || value === undefined) return;
      if (name === "onclick") node.addEventListener("click", value);
      else node.setAttribute(name, value === true ? "" : String(value));
    });
    for (var i = 2; i < arguments.length; i++) append(node, arguments[i]);
    return node;
  }

  function append(node, child) {
    if (child === null || child === undefined || child === false) return;
    if (Array.isArray(child)) child.forEach(function (c) { append(node, c); });
    else if (typeof child === "object") node.appendChild(child);
    else node.appendChild(root.document.createTextNode(String(child)));
  }

  var api = {
    el: el,
    rupiah: rupiah,
    tanggal: tanggal,
    waktu: waktu,
    batas: batas,
    jam: jam,
    todayWib: todayWib,
    duration: duration,
    request: request,
    retryAfter: retryAfter,
    message: message,
    NETWORK_MESSAGE: NETWORK_MESSAGE,
    NetworkError: NetworkError,
    newKey: newKey,
    Mutation: Mutation,
    checkStaffToken: checkStaffToken,
    whatsappNumber: whatsappNumber,
    whatsappLink: whatsappLink,
  };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.GaleriApi = api;
})(typeof self !== "undefined" ? self : this);
