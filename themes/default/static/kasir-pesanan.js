/* Pesanan online (kasir): the staff queue. Signed in like the Kasir (same token, same
 * sessionStorage key, so a cashier signed in at /kasir/ is signed in here in the same tab).
 * Shows open orders by status, new first: buyer contact, pick list, what the vouchers hold and
 * the cash due; moves an order to `diproses` and `siap`, opens a WhatsApp chat with the buyer
 * with a prefilled "pesanan siap" message, completes it (one Idempotency-Key, retried on a
 * dropped connection; the receipt follows) or cancels it. */
(function () {
  "use strict";
  var A = window.GaleriApi;
  var el = A && A.el;
  var root = document.querySelector(".queue");
  if (!root || !A) return;

  var api = root.getAttribute("data-api") || "/api/v1";
  var galleryTitle = root.getAttribute("data-title") || "";
  var galleryAddress = root.getAttribute("data-address") || "";
  var messagePickup = root.getAttribute("data-message-pickup") || "";
  var messageDelivery = root.getAttribute("data-message-delivery") || "";
  var TOKEN_KEY = "galeri.kasir.token";
  var STATUSES = ["baru", "diproses", "siap"];

  function $(id) {
    return document.getElementById(id);
  }

  var status = $("antrean-status");
  /** Completions in progress, by order id: one Idempotency-Key each until settled. */
  var completing = new Map();

  // ---- Session ---------------------------------------------------------------------------

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showDesk(signedIn) {
    $("masuk").hidden = signedIn;
    $("meja").hidden = !signedIn;
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
    A.checkStaffToken(api, typed).then(function (problem) {
      if (problem) {
        out.textContent = problem;
        field.select();
        return;
      }
      sessionStorage.setItem(TOKEN_KEY, typed);
      field.value = "";
      out.textContent = "";
      enterDesk();
    });
  });

  $("keluar").addEventListener("click", function () {
    if (completing.size) {
      status.textContent = "Tunggu sampai penyerahan yang sedang berjalan selesai, baru keluar.";
      return;
    }
    signOut("Anda sudah keluar. Token dihapus dari tab ini.");
  });

  function enterDesk() {
    showDesk(true);
    load();
  }

  // ---- The queue -------------------------------------------------------------------------

  function load(said) {
    status.textContent = "Memuat pesanan …";
    return A.request("GET", api + "/orders?status=" + STATUSES.join(","), { token: token() }).then(function (answer) {
      if (answer.status === 401) return signOut(A.message(answer));
      if (!answer.ok || !answer.data) {
        status.textContent = A.message(answer);
        return;
      }
      var orders = answer.data.orders || [];
      STATUSES.forEach(function (name) {
        var box = $("antrean-" + name);
        var cards = orders.filter(function (o) { return o.status === name; }).map(card);
        if (!cards.length) cards = [el("p", { class: "hint" }, "Tidak ada pesanan.")];
        box.replaceChildren.apply(box, cards);
      });
      var open = orders.length;
      status.textContent = (said ? said + " " : "") + open + " pesanan terbuka, per " + A.jam(new Date()) + " WIB.";
    }, function () {
      status.textContent = A.NETWORK_MESSAGE;
    });
  }

  $("muat-ulang").addEventListener("click", function () { load(); });

  function fill(template, order) {
    var buyer = order.buyer || {};
    return template.replace("{nama}", buyer.name || "").replace("{nomor}", order.id).replace("{kantor}", order.office || buyer.office || "kantor Anda");
  }

  function card(order) {
    var headingId = "pesanan-" + order.id.replace(/[^A-Za-z0-9_-]/g, "_");
    var buyer = order.buyer || {};
    var number = A.whatsappNumber(buyer.whatsapp);
    var ready = order.status === "siap";
    var office = order.office || buyer.office;
    var lines = (order.items || []).map(function (line) {
      var qtyId = headingId + "-" + String(line.sku).replace(/[^A-Za-z0-9_-]/g, "_");
      var handed = ready
        ? el("td", { class: "qty-cell" },
          el("label", { for: qtyId, class: "qty-label" }, "Diserahkan", el("span", { class: "visually-hidden" }, " " + line.name)),
          el("input", { id: qtyId, type: "number", inputmode: "numeric", min: 0, max: line.qty, value: line.qty, class: "qty", "data-sku": line.sku }))
        : null;
      return el("tr", null,
        el("td", null, line.name, el("br"), el("span", { class: "result-meta" }, line.sku + " · " + A.rupiah(line.unit_price))),
        el("td", { class: "num" }, String(line.qty)),
        handed);
    });
    var parts = [
      el("h3", { id: headingId }, "Pesanan ", el("span", { class: "order-id" }, order.id)),
      el("p", { class: "result-meta" }, "Masuk " + A.waktu(order.created_at) + (order.expires_at ? " · batas " + A.batas(order.expires_at) : "")),
      el("p", null,
        el("strong", null, buyer.name || "(tanpa nama)"), el("br"),
        number ? el("a", { href: "tel:+" + number }, "+" + number) : (buyer.whatsapp || ""), el("br"),
        order.fulfilment === "delivery" ? "Antar ke " + (office || "kantor (tidak disebut)") : "Ambil di galeri"),
      order.note ? el("p", null, "Catatan: ", el("q", null, order.note)) : null,
      el("table", { class: "pick" },
        el("caption", null, "Daftar ambil"),
        el("thead", null, el("tr", null,
          el("th", { scope: "col" }, "Produk"), el("th", { scope: "col", class: "num" }, "Dipesan"),
          ready ? el("th", { scope: "col" }, "Diserahkan") : null)),
        el("tbody", null, lines)),
      el("dl", { class: "sums" },
        el("dt", null, "Total"), el("dd", null, A.rupiah(order.total)),
        (order.holds || []).map(function (hold) {
          return [el("dt", null, "Ditahan voucher …" + hold.code_hint), el("dd", null, A.rupiah(hold.amount))];
        }),
        el("dt", null, "Tunai saat serah terima"), el("dd", { class: "cash" }, A.rupiah(order.cash_due))),
    ];
    var actions = [];
    if (order.status === "baru") actions.push(button("Proses", "button", function (b) { move(order, "diproses", b); }));
    if (order.status === "baru" || order.status === "diproses") actions.push(button("Tandai siap", "button", function (b) { move(order, "siap", b); }));
    if (ready && number) {
      var text = fill(order.fulfilment === "delivery" ? messageDelivery : messagePickup, order);
      actions.push(el("a", { class: "button button-wa", href: A.whatsappLink(number, text), rel: "noopener", target: "_blank" }, "Kabari pembeli: pesanan siap"));
    }
    if (ready) actions.push(button("Selesaikan", "button", function (b) { complete(order, b); }));
    actions.push(button("Batalkan", "button danger", function (b) { cancel(order, b); }));
    parts.push(el("p", { class: "order-actions" }, actions));
    parts.push(el("p", { class: "field-status", role: "status", "data-for": order.id }));
    return el("article", { class: "panel order-card", "aria-labelledby": headingId }, parts);
  }

  function button(label, cls, action) {
    var b = el("button", { type: "button", class: cls }, label);
    b.addEventListener("click", function () { action(b); });
    return b;
  }

  function say(order, text, kind) {
    var out = document.querySelector('[data-for="' + order.id.replace(/"/g, "") + '"]');
    if (!out) {
      status.textContent = text;
      return;
    }
    out.textContent = text;
    out.className = "field-status" + (kind ? " " + kind : "");
  }

  function refused(order, answer) {
    if (answer.status === 401) return signOut(A.message(answer));
    say(order, A.message(answer), "error");
    if (answer.slug === "order-conflict" || answer.slug === "unknown-order") load();
  }

  var STATUS_SAID = { diproses: "sedang diproses", siap: "siap" };

  function move(order, next, b) {
    b.disabled = true;
    A.request("POST", api + "/orders/" + encodeURIComponent(order.id) + "/status", { body: { status: next }, token: token() }).then(function (answer) {
      b.disabled = false;
      if (answer.ok) return load("Pesanan " + order.id + " " + STATUS_SAID[next] + ".");
      refused(order, answer);
    }, function () {
      b.disabled = false;
      say(order, A.NETWORK_MESSAGE, "error");
    });
  }

  function cancel(order, b) {
    // A second tap confirms: cancelling releases the vouchers' hold and cannot be undone.
    if (b.getAttribute("data-confirm") !== "yes") {
      b.setAttribute("data-confirm", "yes");
      b.textContent = "Ya, batalkan";
      say(order, "Tekan sekali lagi untuk membatalkan. Saldo yang ditahan kembali ke voucher pembeli.", null);
      return;
    }
    b.disabled = true;
    A.request("POST", api + "/orders/" + encodeURIComponent(order.id) + "/cancel", { token: token() }).then(function (answer) {
      b.disabled = false;
      if (answer.ok) return load("Pesanan " + order.id + " dibatalkan; saldo yang ditahan kembali ke voucher.");
      refused(order, answer);
    }, function () {
      b.disabled = false;
      say(order, A.NETWORK_MESSAGE, "error");
    });
  }

  /** The lines handed over; null when every line is handed over in full. */
  function handedOver(order) {
    var article = document.getElementById("pesanan-" + order.id.replace(/[^A-Za-z0-9_-]/g, "_")).closest("article");
    var items = [];
    var whole = true;
    (order.items || []).forEach(function (line) {
      var input = article.querySelector('input[data-sku="' + String(line.sku).replace(/"/g, "") + '"]');
      var qty = input ? parseInt(input.value, 10) : line.qty;
      if (isNaN(qty) || qty < 0) qty = line.qty;
      qty = Math.min(qty, line.qty);
      if (qty !== line.qty) whole = false;
      if (qty > 0) items.push({ sku: line.sku, qty: qty });
    });
    return whole ? null : items;
  }

  function complete(order, b) {
    var mutation = completing.get(order.id);
    if (!mutation) {
      var items = handedOver(order);
      if (items && items.length === 0) {
        say(order, "Tidak ada produk yang diserahkan: batalkan pesanan saja.", "error");
        return;
      }
      mutation = new A.Mutation("POST", api + "/orders/" + encodeURIComponent(order.id) + "/complete", items ? { items: items } : {}, token());
      completing.set(order.id, mutation);
    }
    mutation.send(function (event) {
      if (event.phase === "sending") {
        b.disabled = true;
        if (event.attempt === 1) say(order, "Menyelesaikan pesanan …", null);
        return;
      }
      b.disabled = false;
      if (event.phase === "unsettled") {
        say(order, event.retrying
          ? "Koneksi terputus sebelum ada jawaban. Mencoba lagi otomatis dengan kunci yang sama; voucher tidak akan terpotong dua kali."
          : "Belum ada jawaban dari layanan voucher. Tekan Selesaikan untuk mencoba lagi dengan kunci yang sama.", "error");
        return;
      }
      completing.delete(order.id);
      var answer = event.answer;
      if (answer.ok && answer.data) {
        showReceipt(answer.data);
        load("Pesanan " + order.id + " selesai.");
        return;
      }
      refused(order, answer);
    });
  }

  // ---- Receipt -----------------------------------------------------------------------------

  function row(label, value, cls) {
    return el("div", { class: "row" + (cls ? " " + cls : "") }, el("span", null, label), el("span", null, value));
  }

  function showReceipt(redemption) {
    var payments = Array.isArray(redemption.payments) ? redemption.payments : [];
    var slip = [
      el("p", { class: "receipt-head" }, el("strong", null, galleryTitle), el("br"), galleryAddress),
      el("p", { class: "receipt-meta" },
        "No. " + redemption.id, el("br"),
        redemption.order_id ? ["Pesanan " + redemption.order_id, el("br")] : null,
        A.waktu(redemption.created_at), el("br"),
        "Kasir: " + redemption.cashier),
      el("table", { class: "receipt-items" },
        el("thead", null, el("tr", null, el("th", { scope: "col" }, "Produk"), el("th", { scope: "col", class: "num" }, "Jumlah"))),
        el("tbody", null, (redemption.items || []).map(function (line) {
          return el("tr", null,
            el("td", null, line.name, el("br"), el("span", { class: "line-detail" }, line.qty + " × " + A.rupiah(line.unit_price))),
            el("td", { class: "num" }, A.rupiah(line.total)));
        }))),
      el("div", { class: "receipt-sums" },
        row("Total", A.rupiah(redemption.total), "strong"),
        payments.map(function (payment) {
          return row("Voucher …" + payment.code_hint + " (sisa " + A.rupiah(payment.balance_after) + ")", A.rupiah(payment.amount));
        }),
        row("Tunai", A.rupiah(redemption.cash_due))),
      el("p", { class: "receipt-foot" }, "Terima kasih telah berbelanja produk UKM/IKM Kabupaten Malang."),
    ];
    $("struk").replaceChildren.apply($("struk"), slip);
    $("bagian-struk").hidden = false;
    $("bagian-struk").focus();
  }

  $("cetak").addEventListener("click", function () { window.print(); });
  $("tutup-struk").addEventListener("click", function () { $("bagian-struk").hidden = true; });

  // ---- Start -------------------------------------------------------------------------------

  if (token()) enterDesk();
  else showDesk(false);
})();
