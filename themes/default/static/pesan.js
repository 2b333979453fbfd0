/* Pesan: the checkout. The cart (keranjang.js, SKUs and quantities in localStorage) is priced
 * from catalog.json for the preview; the API prices the order itself. The order is sent once
 * with one Idempotency-Key, retried with the same key when the connection drops, so it is never
 * placed twice. Voucher codes go in the POST body only and are never stored; the order number
 * and its token are kept in localStorage for the status page /pesanan/. */
(function () {
  "use strict";
  var A = window.GaleriApi;
  var C = window.GaleriCodes;
  var cart = window.GaleriCart;
  var el = A.el;
  var root = document.querySelector(".checkout");
  if (!root || !A || !C || !cart) return;

  var api = root.getAttribute("data-api") || "/api/v1";
  var catalogUrl = root.getAttribute("data-catalog") || "/catalog.json";
  var galleryWhatsapp = root.getAttribute("data-whatsapp") || "";
  var statusUrl = root.getAttribute("data-status-url") || "/pesanan/";
  var messageTemplate = root.getAttribute("data-message") || "";
  var ORDERS_KEY = "galeri.pesanan";

  function $(id) {
    return document.getElementById(id);
  }

  var form = $("form-pesan");
  var cartTable = $("keranjang");
  var payDetails = $("rincian-bayar");
  var sendButton = $("kirim");
  var sendStatus = $("kirim-status");
  var office = $("kantor");
  var state = { bySku: new Map(), loaded: false, order: null };

  // ---- Cart ------------------------------------------------------------------------------

  function lines() {
    return cart.read().filter(function (line) { return state.bySku.has(line.sku); });
  }

  function total() {
    return lines().reduce(function (sum, line) { return sum + state.bySku.get(line.sku).price * line.qty; }, 0);
  }

  function loadCatalog() {
    var out = $("katalog-status");
    fetch(catalogUrl, { cache: "no-cache" }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (catalog) {
      (catalog.items || []).forEach(function (item) { state.bySku.set(item.sku, item); });
      state.loaded = true;
      // A product no longer sold leaves the cart, and the buyer is told.
      var gone = cart.read().filter(function (line) { return !state.bySku.has(line.sku); });
      gone.forEach(function (line) { cart.set(line.sku, 0); });
      out.textContent = gone.length ? gone.length + " produk di keranjang tidak dijual lagi dan sudah dihapus." : "";
      renderCart();
    }).catch(function () {
      out.textContent = "Daftar harga tidak dapat dimuat. Periksa koneksi, lalu muat ulang halaman.";
    });
  }

  function setQty(sku, qty) {
    if (state.order) return;
    cart.set(sku, qty);
    renderCart();
  }

  function renderCart() {
    var locked = state.order !== null;
    var rows = lines().map(function (line) {
      var item = state.bySku.get(line.sku);
      var qtyId = "jumlah-" + line.sku.replace(/[^A-Za-z0-9_-]/g, "_");
      var qtyInput = el("input", { id: qtyId, type: "number", inputmode: "numeric", min: 1, max: cart.MAX_QTY, value: line.qty, class: "qty", disabled: locked });
      qtyInput.addEventListener("change", function () {
        var n = parseInt(qtyInput.value, 10);
        setQty(line.sku, isNaN(n) ? 1 : n);
      });
      return el("tr", null,
        el("td", null, el("span", { class: "cart-name" }, item.name), el("br"), el("span", { class: "result-meta" }, item.sku + " · " + A.rupiah(item.price))),
        el("td", { class: "qty-cell" },
          el("label", { for: qtyId, class: "qty-label" }, "Jumlah", el("span", { class: "visually-hidden" }, " " + item.name)),
          el("button", { type: "button", class: "button small secondary", "aria-label": "Kurangi " + item.name, disabled: locked, onclick: function () { setQty(line.sku, line.qty - 1); } }, "−"),
          qtyInput,
          el("button", { type: "button", class: "button small secondary", "aria-label": "Tambah satu " + item.name, disabled: locked, onclick: function () { setQty(line.sku, line.qty + 1); } }, "+")),
        el("td", { class: "num" }, A.rupiah(item.price * line.qty)),
        el("td", null, el("button", { type: "button", class: "button small secondary", "aria-label": "Hapus " + item.name + " dari keranjang", disabled: locked, onclick: function () { setQty(line.sku, 0); } }, "Hapus")));
    });
    cartTable.tBodies[0].replaceChildren.apply(cartTable.tBodies[0], rows);
    cartTable.hidden = rows.length === 0;
    $("keranjang-kosong").hidden = rows.length !== 0 || !state.loaded;
    $("total").textContent = A.rupiah(total());
    renderPayDetails();
  }

  // Another tab added to the cart.
  window.addEventListener("storage", function (event) {
    if (event.key === "galeri.keranjang" && !state.order) renderCart();
  });

  // ---- Vouchers and the preview ------------------------------------------------------------

  var codes = new C.CodeList({
    first: $("kode-voucher"),
    list: $("kode-lain"),
    add: $("tambah-kode"),
    api: api,
    onChange: renderPayDetails,
  });

  function renderPayDetails() {
    if (!codes) return; // the cart renders before the code fields exist
    var preview = codes.preview(total(), "Dibayar tunai saat serah terima");
    if (preview) payDetails.replaceChildren(el("p", { class: "hint" }, "Yang ditanggung voucher (ditahan sampai pesanan diserahkan):"), preview);
    else payDetails.replaceChildren();
  }

  // ---- Pick-up or delivery -----------------------------------------------------------------

  function fulfilment() {
    var chosen = form.querySelector("input[name=terima]:checked");
    return chosen ? chosen.value : "pickup";
  }

  Array.prototype.forEach.call(form.querySelectorAll("input[name=terima]"), function (radio) {
    radio.addEventListener("change", function () {
      if ($("pilih-kantor")) $("pilih-kantor").hidden = fulfilment() !== "delivery";
    });
  });

  // ---- Sending -----------------------------------------------------------------------------

  function invalid(field, message) {
    if (field) {
      field.setAttribute("aria-invalid", "true");
      field.focus();
    }
    return message;
  }

  /** Why the order cannot be sent yet, or null; marks and focuses the field concerned. */
  function problem() {
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (field) {
      if (field.id !== "kode-voucher" && !field.classList.contains("code-input")) field.removeAttribute("aria-invalid");
    });
    if (!state.loaded) return "Daftar harga belum termuat. Tunggu sebentar atau muat ulang halaman.";
    if (lines().length === 0) return "Keranjang masih kosong: pilih produk dulu.";
    if (!$("nama").value.trim()) return invalid($("nama"), "Isi nama Anda.");
    if (!A.whatsappNumber($("whatsapp").value)) {
      return invalid($("whatsapp"), "Nomor WhatsApp tidak valid: tulis nomor HP seperti 0812 3456 7890.");
    }
    if (fulfilment() === "delivery" && office && !office.value) return invalid(office, "Pilih kantor tujuan antar.");
    return codes.problem();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (state.order) {
      // Already sending: a retry of the same order, never a second one.
      state.order.send(report);
      return;
    }
    codes.refresh();
    var why = problem();
    if (why) {
      sendStatus.replaceChildren(el("p", { class: "problem", role: "alert" }, why));
      return;
    }
    var delivery = fulfilment() === "delivery";
    var buyer = { name: $("nama").value.trim(), whatsapp: A.whatsappNumber($("whatsapp").value) };
    if (delivery) buyer.office = office.value;
    var body = {
      codes: codes.codes(),
      items: lines().map(function (line) { return { sku: line.sku, qty: line.qty }; }),
      buyer: buyer,
      fulfilment: delivery ? "delivery" : "pickup",
    };
    var note = $("catatan").value.trim();
    if (note) body.note = note;
    state.order = new A.Mutation("POST", api + "/orders", body);
    lock(true);
    state.order.send(report);
  });

  function lock(locked) {
    codes.disable(locked);
    Array.prototype.forEach.call(form.querySelectorAll("input, select, textarea"), function (field) {
      if (field.id.indexOf("kode-voucher") !== 0) field.disabled = locked;
    });
    renderCart();
  }

  function report(event) {
    if (event.phase === "sending") {
      sendButton.disabled = true;
      sendButton.setAttribute("aria-busy", "true");
      if (event.attempt === 1) sendStatus.replaceChildren(el("p", null, "Mengirim pesanan …"));
      return;
    }
    sendButton.disabled = false;
    sendButton.removeAttribute("aria-busy");
    if (event.phase === "unsettled") {
      var why = event.answer ? "Layanan voucher belum dapat memproses (" + A.message(event.answer) + ")" : "Koneksi terputus sebelum ada jawaban";
      sendStatus.replaceChildren(el("p", { class: "warn" }, event.retrying
        ? why + ". Mengirim ulang otomatis; pesanan tidak akan tercatat dua kali."
        : why + ". Periksa koneksi, lalu tekan Kirim pesanan lagi; pesanan tidak akan tercatat dua kali."));
      return;
    }
    var answer = event.answer;
    state.order = null;
    if (answer.ok && answer.data) {
      remember(answer.data);
      cart.clear();
      showPlaced(answer.data);
      return;
    }
    lock(false);
    sendStatus.replaceChildren(el("p", { class: "problem", role: "alert" }, "Pesanan belum terkirim: " + A.message(answer)));
    if (answer.slug === "insufficient-balance" || String(answer.slug).indexOf("voucher-") === 0) codes.recheck();
  }

  /** The order number and its token, for /pesanan/ (this browser only; never a code). */
  function remember(order) {
    var kept = [];
    try {
      kept = JSON.parse(localStorage.getItem(ORDERS_KEY) || "[]");
      if (!Array.isArray(kept)) kept = [];
    } catch (error) {
      kept = [];
    }
    if (!kept.some(function (o) { return o.id === order.id; })) {
      kept.push({ id: order.id, token: order.order_token, placed: order.created_at || new Date().toISOString() });
    }
    try {
      localStorage.setItem(ORDERS_KEY, JSON.stringify(kept));
    } catch (error) {
      // Without storage the buyer still has the number and the WhatsApp link below.
    }
  }

  function showPlaced(order) {
    form.hidden = true;
    cartTable.closest("section").hidden = true;
    var holds = (order.holds || []).map(function (hold) {
      return [el("dt", null, "Ditahan dari voucher …" + hold.code_hint), el("dd", null, A.rupiah(hold.amount))];
    });
    var message = messageTemplate.replace("{nomor}", order.id);
    var summary = [
      el("p", null, "Nomor pesanan: ", el("strong", { class: "order-id" }, order.id)),
      el("p", null, order.fulfilment === "delivery"
        ? "Pesanan akan diantar ke " + (order.office || "kantor Anda") + "."
        : "Pesanan diambil di galeri."),
      el("dl", { class: "sums" },
        el("dt", null, "Total"), el("dd", null, A.rupiah(order.total)),
        holds,
        el("dt", null, "Dibayar tunai saat serah terima"), el("dd", { class: "cash" }, A.rupiah(order.cash_due))),
      order.expires_at ? el("p", null, "Saldo voucher ditahan sampai " + A.batas(order.expires_at) + ". Bila pesanan belum diserahkan sampai saat itu, pesanan batal sendiri dan saldo kembali.") : null,
      el("p", null, "Galeri mengabari lewat WhatsApp bila pesanan siap. Statusnya dapat dilihat kapan saja di perangkat ini."),
      el("p", { class: "receipt-actions" },
        el("a", { class: "button", href: statusUrl }, "Lihat status pesanan"),
        galleryWhatsapp ? el("a", { class: "button button-wa", href: A.whatsappLink(galleryWhatsapp, message), rel: "noopener" }, "Kabari galeri lewat WhatsApp") : null),
    ];
    $("ringkasan-pesanan").replaceChildren.apply($("ringkasan-pesanan"), summary.filter(Boolean));
    sendStatus.replaceChildren();
    $("terkirim").hidden = false;
    $("terkirim").focus();
  }

  loadCatalog();
})();
