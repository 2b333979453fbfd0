/* Kasir: the till page. A sale is priced by the API from the catalog; this page only shows the
 * same sums beforehand. Paying sends one Idempotency-Key per sale, kept until the API confirms
 * or refuses the sale, so a double tap or a retry after a dropped connection never charges the
 * voucher twice. The staff token lives in sessionStorage; the day's sales too, without codes. */
(function () {
  "use strict";
  var V = window.GaleriVoucher;
  var A = window.GaleriApi;
  var el = A.el;
  var root = document.querySelector(".till");
  if (!root || !V || !A) return;

  var api = root.getAttribute("data-api") || "/api/v1";
  var catalogUrl = root.getAttribute("data-catalog") || "/catalog.json";
  var galleryTitle = root.getAttribute("data-title") || "";
  var galleryAddress = root.getAttribute("data-address") || "";

  var TOKEN_KEY = "galeri.kasir.token";
  var SALES_KEY = "galeri.kasir.penjualan";
  /** Waits before the page retries an unanswered payment by itself, same key each time. */
  var RETRY_DELAYS_MS = [500, 1500, 3000, 6000];
  var MAX_RESULTS = 8;
  var MAX_QTY = 1000;

  function $(id) {
    return document.getElementById(id);
  }

  var signIn = $("masuk");
  var desk = $("meja");
  var search = $("cari-produk");
  var results = $("hasil-cari");
  var cartTable = $("keranjang");
  var voucherInput = $("kode-voucher");
  var voucherStatus = $("kode-status");
  var payDetails = $("rincian-bayar");
  var payButton = $("bayar");
  var payStatus = $("bayar-status");
  var receiptArea = $("bagian-struk");
  var refundForm = $("form-refund");
  var refundStatus = $("refund-status");

  var state = {
    catalog: [],
    bySku: new Map(),
    cart: new Map(), // sku -> qty, in the order added
    voucher: null, // {code, hint} once the typed code parses
    balance: null, // the last POST /balance answer for state.voucher
    balanceFor: null,
    sale: null, // the payment in progress: {key, body, attempts, inFlight, timer}
    receipt: null,
    refund: null,
  };

  // ---- Session -------------------------------------------------------------------------

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showDesk(signedIn) {
    signIn.hidden = signedIn;
    desk.hidden = !signedIn;
  }

  function signOut(reason) {
    sessionStorage.removeItem(TOKEN_KEY);
    showDesk(false);
    $("masuk-status").textContent = reason || "Anda sudah keluar.";
    $("token-kasir").focus();
  }

  $("form-masuk").addEventListener("submit", function (event) {
    event.preventDefault();
    var field = $("token-kasir");
    var typed = field.value.trim();
    var out = $("masuk-status");
    if (!typed) {
      out.textContent = "Isi token kasir dulu.";
      field.focus();
      return;
    }
    out.textContent = "Memeriksa token …";
    // Any cashier route tells a live token from a dead one; an unknown receipt number answers
    // 404 to a valid token and changes nothing.
    A.request("GET", api + "/redemptions/periksa-token", { token: typed }).then(function (answer) {
      if (answer.status === 401 || answer.status === 403) {
        out.textContent = A.message(answer);
        field.select();
        return;
      }
      if (!answer.ok && answer.slug !== "unknown-redemption") {
        out.textContent = A.message(answer);
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, typed);
      field.value = "";
      out.textContent = "";
      enterDesk();
    }, function () {
      out.textContent = A.NETWORK_MESSAGE;
    });
  });

  $("keluar").addEventListener("click", function () {
    if (state.sale) {
      payStatus.replaceChildren(el("p", { class: "problem" }, "Tunggu sampai pembayaran yang sedang berjalan selesai, baru keluar."));
      return;
    }
    signOut("Anda sudah keluar. Token dihapus dari tab ini.");
  });

  function enterDesk() {
    showDesk(true);
    renderSales();
    if (!state.catalog.length) loadCatalog();
    search.focus();
  }

  // ---- Catalog and search --------------------------------------------------------------

  function loadCatalog() {
    var out = $("katalog-status");
    out.textContent = "Memuat daftar harga …";
    fetch(catalogUrl, { cache: "no-cache" }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (catalog) {
      state.catalog = (catalog.items || []).map(function (item) {
        return {
          sku: item.sku,
          name: item.name,
          producer: item.producer,
          price: item.price,
          haystack: fold(item.name + " " + item.sku + " " + item.producer + " " + item.category),
        };
      });
      state.bySku = new Map(state.catalog.map(function (item) { return [item.sku.toUpperCase(), item]; }));
      out.textContent = state.catalog.length + " produk di daftar harga.";
      renderCart();
    }).catch(function () {
      out.textContent = "Daftar harga tidak dapat dimuat. Periksa koneksi, lalu muat ulang halaman.";
    });
  }

  /** Lower case without diacritics, so "kripik" finds "Kripik" and "cafe" finds "Café". */
  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  function find(query) {
    var words = fold(query).split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    return state.catalog.filter(function (item) {
      return words.every(function (word) { return item.haystack.indexOf(word) >= 0; });
    }).slice(0, MAX_RESULTS);
  }

  function renderResults() {
    var found = find(search.value);
    results.replaceChildren.apply(results, found.map(function (item) {
      return el("li", null,
        el("span", { class: "result-name" }, item.name),
        el("span", { class: "result-meta" }, item.sku + " · " + A.rupiah(item.price)),
        el("button", { type: "button", class: "button small", "aria-label": "Tambah " + item.name, onclick: function () {
          add(item.sku);
          search.focus();
        } }, "Tambah"));
    }));
    if (search.value.trim() && !found.length) {
      results.replaceChildren(el("li", { class: "none" }, "Tidak ada produk yang cocok."));
    }
  }

  search.addEventListener("input", renderResults);
  search.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    // A USB barcode scanner types the SKU and presses Enter.
    var exact = state.bySku.get(search.value.trim().toUpperCase());
    var found = exact ? [exact] : find(search.value);
    if (found.length === 1) add(found[0].sku);
  });

  function add(sku) {
    if (lockedForPayment()) return;
    var item = state.bySku.get(sku.toUpperCase());
    if (!item) return;
    state.cart.set(item.sku, Math.min(MAX_QTY, (state.cart.get(item.sku) || 0) + 1));
    search.value = "";
    results.replaceChildren();
    $("katalog-status").textContent = "Ditambahkan: " + item.name + " (" + state.cart.get(item.sku) + ").";
    renderCart();
  }

  // ---- Cart ----------------------------------------------------------------------------

  function total() {
    var sum = 0;
    state.cart.forEach(function (qty, sku) {
      var item = state.bySku.get(sku.toUpperCase());
      if (item) sum += item.price * qty;
    });
    return sum;
  }

  function setQty(sku, qty) {
    if (lockedForPayment()) return;
    if (qty <= 0) state.cart.delete(sku);
    else state.cart.set(sku, Math.min(MAX_QTY, qty));
    renderCart();
  }

  function renderCart() {
    var rows = [];
    var locked = lockedForPayment();
    state.cart.forEach(function (qty, sku) {
      var item = state.bySku.get(sku.toUpperCase()) || { sku: sku, name: sku, price: 0 };
      var qtyId = "jumlah-" + sku.replace(/[^A-Za-z0-9_-]/g, "_");
      var qtyInput = el("input", { id: qtyId, type: "number", inputmode: "numeric", min: 1, max: MAX_QTY, value: qty, class: "qty", disabled: locked });
      qtyInput.addEventListener("change", function () {
        var n = parseInt(qtyInput.value, 10);
        setQty(sku, isNaN(n) ? 1 : n);
      });
      rows.push(el("tr", null,
        el("td", null, el("span", { class: "cart-name" }, item.name), el("br"), el("span", { class: "result-meta" }, item.sku + " · " + A.rupiah(item.price))),
        el("td", { class: "qty-cell" },
          el("label", { for: qtyId, class: "qty-label" }, "Jumlah", el("span", { class: "visually-hidden" }, " " + item.name)),
          el("button", { type: "button", class: "button small secondary", "aria-label": "Kurangi " + item.name, disabled: locked, onclick: function () { setQty(sku, qty - 1); } }, "−"),
          qtyInput,
          el("button", { type: "button", class: "button small secondary", "aria-label": "Tambah satu " + item.name, disabled: locked, onclick: function () { setQty(sku, qty + 1); } }, "+")),
        el("td", { class: "num" }, A.rupiah(item.price * qty)),
        el("td", null, el("button", { type: "button", class: "button small secondary", "aria-label": "Hapus " + item.name + " dari keranjang", disabled: locked, onclick: function () { setQty(sku, 0); } }, "Hapus"))));
    });
    cartTable.tBodies[0].replaceChildren.apply(cartTable.tBodies[0], rows);
    cartTable.hidden = rows.length === 0;
    $("keranjang-kosong").hidden = rows.length !== 0;
    $("total").textContent = A.rupiah(total());
    renderPayDetails();
  }

  // ---- Voucher -------------------------------------------------------------------------

  var balanceTimer = null;

  function setVoucherStatus(text, kind) {
    voucherStatus.textContent = text;
    voucherStatus.className = "field-status" + (kind ? " " + kind : "");
    if (kind === "error") voucherInput.setAttribute("aria-invalid", "true");
    else voucherInput.removeAttribute("aria-invalid");
  }

  var refreshVoucher = V.attach(voucherInput, function (typed) {
    var parsed = typed.result;
    clearTimeout(balanceTimer);
    if (parsed.ok) {
      if (!state.voucher || state.voucher.code !== parsed.code) {
        state.voucher = { code: parsed.code, hint: parsed.hint };
        state.balance = null;
        setVoucherStatus("Kode lengkap. Memeriksa saldo …", "ok");
        balanceTimer = setTimeout(checkBalance, 250);
      }
    } else {
      state.voucher = null;
      state.balance = null;
      if (typed.text === "") setVoucherStatus("", null);
      else if (parsed.error === "character" || typed.body > V.CODE_CHARS ||
          (typed.body === V.CODE_CHARS && parsed.error === "check")) {
        setVoucherStatus(V.problem(parsed, typed.body), "error");
      } else {
        setVoucherStatus(typed.body + " dari " + V.CODE_CHARS + " karakter setelah MLG.", null);
      }
    }
    renderPayDetails();
  });

  // A scanner (or a person) ends the code with Enter: go to Bayar, but let a person press it.
  voucherInput.addEventListener("keydown", function (event) {
    if (event.key !== "Enter") return;
    event.preventDefault();
    if (state.voucher) payButton.focus();
  });

  /** What the voucher will pay for the cart, from POST /balance; the API decides at payment. */
  function checkBalance() {
    var voucher = state.voucher;
    if (!voucher) return;
    A.request("POST", api + "/balance", { body: { code: voucher.code } }).then(function (answer) {
      if (state.voucher !== voucher) return; // the field changed meanwhile
      if (answer.ok && answer.data) {
        state.balance = answer.data;
        state.balanceFor = voucher.code;
        setVoucherStatus("Voucher …" + voucher.hint + ": saldo " + A.rupiah(spendable(answer.data)) + ".", "ok");
      } else {
        state.balance = { problem: A.message(answer) };
        setVoucherStatus(A.message(answer), "error");
      }
      renderPayDetails();
    }, function () {
      if (state.voucher !== voucher) return;
      state.balance = { problem: A.NETWORK_MESSAGE };
      setVoucherStatus(A.NETWORK_MESSAGE, "error");
      renderPayDetails();
    });
  }

  function spendable(balance) {
    return balance.available !== undefined ? balance.available : balance.balance;
  }

  function renderPayDetails() {
    var sum = total();
    var b = state.balance;
    if (!state.voucher || !b || b.problem || sum === 0) {
      payDetails.replaceChildren();
      return;
    }
    if (b.status !== "active") {
      payDetails.replaceChildren(el("p", { class: "problem" }, b.status === "void"
        ? "Voucher ini sudah dibatalkan dan tidak dapat dipakai; sisa saldonya kembali ke program voucher."
        : "Voucher ini sudah kedaluwarsa (berlaku sampai " + A.tanggal(b.expires_on) + ")."));
      return;
    }
    var pays = Math.min(spendable(b), sum);
    payDetails.replaceChildren(el("dl", { class: "sums" },
      el("dt", null, "Total belanja"), el("dd", null, A.rupiah(sum)),
      el("dt", null, "Dibayar voucher …" + state.voucher.hint), el("dd", null, A.rupiah(pays)),
      el("dt", null, "Sisa dibayar tunai"), el("dd", { class: "cash" }, A.rupiah(sum - pays)),
      el("dt", null, "Saldo voucher setelahnya"), el("dd", null, A.rupiah(b.balance - pays))));
  }

  // Camera scanning where the browser has a barcode reader.
  var scanButton = $("pindai");
  var camera = { stream: null, timer: null };
  if ("BarcodeDetector" in window && navigator.mediaDevices) scanButton.hidden = false;

  scanButton.addEventListener("click", function () {
    if (lockedForPayment()) return;
    var Detector = window.BarcodeDetector;
    Promise.resolve(Detector.getSupportedFormats ? Detector.getSupportedFormats() : ["qr_code"]).then(function (supported) {
      var formats = ["qr_code", "code_128", "code_39", "data_matrix"].filter(function (f) { return supported.indexOf(f) >= 0; });
      var detector = new Detector(formats.length ? { formats: formats } : undefined);
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (stream) {
        camera.stream = stream;
        var video = $("video-kamera");
        video.srcObject = stream;
        $("kamera").hidden = false;
        return video.play().then(function () { scanLoop(detector, video); });
      });
    }).catch(function () {
      setVoucherStatus("Kamera tidak dapat dibuka. Ketik kodenya saja.", "error");
      stopCamera();
    });
  });

  function scanLoop(detector, video) {
    camera.timer = setTimeout(function () {
      detector.detect(video).then(function (codes) {
        for (var i = 0; i < codes.length; i++) {
          if (V.parse(codes[i].rawValue).ok) {
            voucherInput.value = codes[i].rawValue;
            stopCamera();
            refreshVoucher();
            return;
          }
        }
        if (camera.stream) scanLoop(detector, video);
      }, function () {
        if (camera.stream) scanLoop(detector, video);
      });
    }, 200);
  }

  function stopCamera() {
    clearTimeout(camera.timer);
    if (camera.stream) camera.stream.getTracks().forEach(function (track) { track.stop(); });
    camera.stream = null;
    $("kamera").hidden = true;
  }
  $("tutup-kamera").addEventListener("click", stopCamera);

  // ---- Paying --------------------------------------------------------------------------

  /**
   * A mutation that is safe to repeat: one Idempotency-Key for its whole life. An answer of
   * the API settles it (confirmed or refused); no answer, or a 5xx, leaves it unsettled and it
   * is sent again, with the same key, a few times by itself and then when asked.
   */
  function Mutation(method, url, body, auth) {
    this.key = A.newKey();
    this.method = method;
    this.url = url;
    this.body = body;
    this.auth = auth;
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
    A.request(self.method, self.url, { body: self.body, token: self.auth, idempotencyKey: self.key }).then(function (answer) {
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

  function lockedForPayment() {
    return state.sale !== null;
  }

  function lockInputs(locked) {
    voucherInput.disabled = locked;
    search.disabled = locked;
    renderCart();
  }

  payButton.addEventListener("click", function () {
    if (state.sale) {
      // Already paying: a retry of the same sale, never a new one.
      state.sale.send(reportSale);
      return;
    }
    refreshVoucher();
    var problem = readyToPay();
    if (problem) {
      payStatus.replaceChildren(el("p", { class: "problem", role: "alert" }, problem));
      return;
    }
    var items = [];
    state.cart.forEach(function (qty, sku) { items.push({ sku: sku, qty: qty }); });
    state.sale = new Mutation("POST", api + "/redemptions", { code: state.voucher.code, items: items }, token());
    lockInputs(true);
    state.sale.send(reportSale);
  });

  function readyToPay() {
    if (state.cart.size === 0) return "Keranjang masih kosong: tambahkan produk dulu.";
    if (!state.voucher) {
      var typed = V.format(voucherInput.value);
      var parsed = V.parse(voucherInput.value);
      if (typed.text === "") return "Isi kode voucher dulu.";
      return V.problem(parsed, typed.body);
    }
    if (state.balance && state.balance.problem) return state.balance.problem;
    if (state.balance && state.balance.status === "void") return "Voucher ini sudah dibatalkan dan tidak dapat dipakai; sisa saldonya kembali ke program voucher.";
    if (state.balance && state.balance.status === "expired") return "Voucher ini sudah kedaluwarsa dan tidak dapat dipakai.";
    return null;
  }

  function reportSale(event) {
    if (event.phase === "sending") {
      payButton.disabled = true;
      payButton.setAttribute("aria-busy", "true");
      if (event.attempt === 1) payStatus.replaceChildren(el("p", null, "Memproses pembayaran …"));
      return;
    }
    payButton.disabled = false;
    payButton.removeAttribute("aria-busy");
    if (event.phase === "unsettled") {
      var why = event.answer ? "Layanan voucher belum dapat memproses (" + A.message(event.answer) + ")" : "Koneksi terputus sebelum ada jawaban";
      payStatus.replaceChildren(el("p", { class: "warn" }, event.retrying
        ? why + ". Mencoba lagi otomatis dengan kunci transaksi yang sama (percobaan ke-" + (event.attempt + 1) + "); voucher tidak akan terpotong dua kali."
        : why + ". Periksa koneksi, lalu tekan Bayar untuk mencoba lagi dengan kunci transaksi yang sama; voucher tidak akan terpotong dua kali."));
      return;
    }
    var answer = event.answer;
    state.sale = null;
    lockInputs(false);
    if (answer.ok && answer.data) {
      var replayed = answer.headers.get("Idempotent-Replayed") === "true";
      var note = replayed || event.attempt > 1
        ? "Pembayaran berhasil. Jawaban tiba setelah " + event.attempt + " percobaan dengan kunci yang sama; voucher dipotong satu kali saja."
        : "Pembayaran berhasil.";
      payStatus.replaceChildren(el("p", { class: "good" }, note));
      recordSale(answer.data);
      clearSale();
      showReceipt(answer.data);
      return;
    }
    if (answer.status === 401) {
      signOut(A.message(answer));
      return;
    }
    payStatus.replaceChildren(el("p", { class: "problem", role: "alert" }, "Pembayaran ditolak: " + A.message(answer)));
    // The voucher changed since it was checked: show what it holds now.
    if (answer.slug === "insufficient-balance" || String(answer.slug).indexOf("voucher-") === 0) {
      checkBalance();
    }
  }

  function clearSale() {
    state.cart.clear();
    voucherInput.value = "";
    state.voucher = null;
    state.balance = null;
    setVoucherStatus("", null);
    renderCart();
  }

  // ---- Receipt and refund --------------------------------------------------------------

  function receiptRow(label, value, cls) {
    return el("div", { class: "row" + (cls ? " " + cls : "") }, el("span", null, label), el("span", null, value));
  }

  function showReceipt(redemption) {
    state.receipt = redemption;
    state.refund = null;
    var items = (redemption.items || []).map(function (line) {
      return el("tr", null,
        el("td", null, line.name, el("br"), el("span", { class: "line-detail" }, line.qty + " × " + A.rupiah(line.unit_price))),
        el("td", { class: "num" }, A.rupiah(line.total)));
    });
    var refunded = redemption.refund;
    var slip = el("div", null,
      el("p", { class: "receipt-head" }, el("strong", null, galleryTitle), el("br"), galleryAddress),
      el("p", { class: "receipt-meta" },
        "No. " + redemption.id, el("br"),
        A.waktu(redemption.created_at), el("br"),
        "Kasir: " + redemption.cashier),
      el("table", { class: "receipt-items" },
        el("thead", null, el("tr", null, el("th", { scope: "col" }, "Produk"), el("th", { scope: "col", class: "num" }, "Jumlah"))),
        el("tbody", null, items)),
      el("div", { class: "receipt-sums" },
        receiptRow("Total", A.rupiah(redemption.total), "strong"),
        receiptRow("Voucher …" + redemption.code_hint, A.rupiah(redemption.voucher_paid)),
        receiptRow("Tunai", A.rupiah(redemption.cash_due)),
        receiptRow("Sisa saldo voucher", A.rupiah(redemption.balance_after))),
      refunded ? el("p", { class: "receipt-refund" },
        el("strong", null, "DIKEMBALIKAN"), el("br"),
        A.waktu(refunded.created_at), el("br"),
        "Ke voucher " + A.rupiah(refunded.voucher_amount) + ", tunai " + A.rupiah(refunded.cash_amount), el("br"),
        "Supervisor: " + refunded.supervisor) : null,
      el("p", { class: "receipt-foot" }, "Terima kasih telah berbelanja produk UKM/IKM Kabupaten Malang."));
    $("struk").replaceChildren.apply($("struk"), Array.from(slip.childNodes));
    refundForm.hidden = Boolean(refunded);
    refundStatus.replaceChildren();
    $("token-supervisor").value = "";
    receiptArea.hidden = false;
    receiptArea.focus();
  }

  $("cetak").addEventListener("click", function () {
    window.print();
  });

  $("penjualan-baru").addEventListener("click", function () {
    receiptArea.hidden = true;
    state.receipt = null;
    payStatus.replaceChildren();
    search.focus();
  });

  refundForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var receipt = state.receipt;
    if (!receipt) return;
    if (state.refund && state.refund.redemption === receipt.id) {
      state.refund.mutation.send(reportRefund);
      return;
    }
    var supervisor = $("token-supervisor").value.trim() || token();
    state.refund = {
      redemption: receipt.id,
      mutation: new Mutation("POST", api + "/redemptions/" + encodeURIComponent(receipt.id) + "/refund", undefined, supervisor),
    };
    state.refund.mutation.send(reportRefund);
  });

  function reportRefund(event) {
    var button = refundForm.querySelector("button[type=submit]");
    if (event.phase === "sending") {
      button.disabled = true;
      if (event.attempt === 1) refundStatus.replaceChildren(el("p", null, "Memproses pengembalian …"));
      return;
    }
    button.disabled = false;
    if (event.phase === "unsettled") {
      refundStatus.replaceChildren(el("p", { class: "warn" }, event.retrying
        ? "Koneksi terputus sebelum ada jawaban. Mencoba lagi otomatis dengan kunci yang sama; transaksi tidak akan dikembalikan dua kali."
        : "Belum ada jawaban dari layanan voucher. Tekan Kembalikan transaksi untuk mencoba lagi dengan kunci yang sama."));
      return;
    }
    var refundFor = state.refund && state.refund.redemption;
    state.refund = null;
    var answer = event.answer;
    if (answer.ok && answer.data) {
      var refund = answer.data;
      markRefunded(refund.redemption_id || refundFor);
      var receipt = state.receipt;
      if (receipt && receipt.id === (refund.redemption_id || refundFor)) {
        receipt.refund = refund;
        showReceipt(receipt);
      }
      refundStatus.replaceChildren(el("p", { class: "good" },
        "Transaksi dikembalikan. " + A.rupiah(refund.voucher_amount) + " kembali ke voucher (saldo kini " +
        A.rupiah(refund.balance_after) + ")" + (refund.cash_amount > 0 ? "; serahkan " + A.rupiah(refund.cash_amount) + " tunai kepada pembeli." : ".")));
      return;
    }
    if (answer.slug === "already-refunded") markRefunded(refundFor);
    var text = answer.slug === "forbidden"
      ? "Hanya supervisor yang dapat mengembalikan transaksi. Isi token supervisor."
      : answer.slug === "unauthorized" ? "Token supervisor tidak dikenal atau sudah dicabut." : A.message(answer);
    refundStatus.replaceChildren(el("p", { class: "problem", role: "alert" }, text));
  }

  // ---- The day's sales (this tab only; receipt numbers and amounts, never codes) ----------

  function loadSales() {
    try {
      var sales = JSON.parse(sessionStorage.getItem(SALES_KEY) || "[]");
      var today = A.todayWib();
      return Array.isArray(sales) ? sales.filter(function (s) { return A.todayWib(new Date(s.at)) === today; }) : [];
    } catch (error) {
      return [];
    }
  }

  function saveSales(sales) {
    sessionStorage.setItem(SALES_KEY, JSON.stringify(sales));
  }

  function recordSale(redemption) {
    var sales = loadSales();
    if (sales.some(function (s) { return s.id === redemption.id; })) return;
    sales.push({
      id: redemption.id,
      at: redemption.created_at,
      total: redemption.total,
      voucher: redemption.voucher_paid,
      cash: redemption.cash_due,
      hint: redemption.code_hint,
      refunded: Boolean(redemption.refund),
    });
    saveSales(sales);
    renderSales();
  }

  function markRefunded(id) {
    var sales = loadSales();
    sales.forEach(function (s) { if (s.id === id) s.refunded = true; });
    saveSales(sales);
    renderSales();
  }

  function renderSales() {
    var sales = loadSales();
    var table = $("penjualan");
    var rows = sales.slice().reverse().map(function (s) {
      return el("tr", null,
        el("td", null, A.jam(s.at)),
        el("td", null, el("button", { type: "button", class: "link", "aria-label": "Lihat struk " + s.id, onclick: function () { openReceipt(s.id); } }, s.id)),
        el("td", { class: "num" }, A.rupiah(s.total), el("br"),
          el("span", { class: "result-meta" }, "voucher " + A.rupiah(s.voucher) + (s.cash ? ", tunai " + A.rupiah(s.cash) : ""))),
        el("td", null, s.refunded ? "Dikembalikan" : "Lunas"));
    });
    table.tBodies[0].replaceChildren.apply(table.tBodies[0], rows);
    table.hidden = rows.length === 0;
    var kept = sales.filter(function (s) { return !s.refunded; });
    var sum = function (field) { return kept.reduce(function (a, s) { return a + s[field]; }, 0); };
    $("penjualan-ringkas").textContent = rows.length === 0
      ? "Belum ada penjualan hari ini di tab ini."
      : sales.length + " transaksi (" + (sales.length - kept.length) + " dikembalikan). Total " + A.rupiah(sum("total")) +
        ": voucher " + A.rupiah(sum("voucher")) + ", tunai " + A.rupiah(sum("cash")) + ".";
  }

  function openReceipt(id) {
    A.request("GET", api + "/redemptions/" + encodeURIComponent(id), { token: token() }).then(function (answer) {
      if (answer.ok && answer.data) {
        if (answer.data.refund) markRefunded(answer.data.id);
        showReceipt(answer.data);
        return;
      }
      if (answer.status === 401) return signOut(A.message(answer));
      payStatus.replaceChildren(el("p", { class: "problem", role: "alert" }, A.message(answer)));
    }, function () {
      payStatus.replaceChildren(el("p", { class: "problem", role: "alert" }, A.NETWORK_MESSAGE));
    });
  }

  // ---- Start ---------------------------------------------------------------------------

  if (token()) enterDesk();
  else showDesk(false);
})();
