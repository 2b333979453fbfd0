/* Pesanan saya: the buyer's orders placed from this browser. Each is read from the API with its
 * order token (kept in localStorage by pesan.js; sent as `Authorization: Order …`, never in the
 * URL). The buyer may cancel an order while it is `baru`; closed orders can be removed from
 * the list. */
(function () {
  "use strict";
  var A = window.GaleriApi;
  var el = A && A.el;
  var root = document.querySelector(".orders");
  if (!root || !A) return;

  var api = root.getAttribute("data-api") || "/api/v1";
  var galleryWhatsapp = root.getAttribute("data-whatsapp") || "";
  var galleryAddress = root.getAttribute("data-address") || "";
  var messageTemplate = root.getAttribute("data-message") || "";
  var ORDERS_KEY = "galeri.pesanan";
  var OPEN = ["baru", "diproses", "siap"];

  function $(id) {
    return document.getElementById(id);
  }

  var list = $("daftar-pesanan");
  var out = $("pesanan-status");

  function kept() {
    try {
      var orders = JSON.parse(localStorage.getItem(ORDERS_KEY) || "[]");
      return Array.isArray(orders) ? orders.filter(function (o) { return o && o.id && o.token; }) : [];
    } catch (error) {
      return [];
    }
  }

  function forget(id) {
    var orders = kept().filter(function (o) { return o.id !== id; });
    if (orders.length) localStorage.setItem(ORDERS_KEY, JSON.stringify(orders));
    else localStorage.removeItem(ORDERS_KEY);
    load();
  }

  /** What each status means for the buyer. */
  function explain(order) {
    switch (order.status) {
      case "baru":
        return "Pesanan diterima dan menunggu diproses galeri.";
      case "diproses":
        return "Galeri sedang menyiapkan pesanan Anda.";
      case "siap":
        return order.fulfilment === "delivery"
          ? "Pesanan siap dan segera diantar ke " + (order.office || "kantor Anda") + "."
          : "Pesanan siap diambil di galeri" + (galleryAddress ? " (" + galleryAddress + ")" : "") + ".";
      case "selesai":
        return "Pesanan sudah diserahkan. Terima kasih telah berbelanja produk UKM/IKM Kabupaten Malang.";
      case "batal":
        return "Pesanan dibatalkan. Saldo voucher yang ditahan sudah kembali.";
      case "kedaluwarsa":
        return "Pesanan tidak diserahkan sampai batas waktunya. Saldo voucher yang ditahan sudah kembali.";
      default:
        return "";
    }
  }

  function card(stored, order, problem) {
    var headingId = "pesanan-" + stored.id.replace(/[^A-Za-z0-9_-]/g, "_");
    var parts = [el("h2", { id: headingId }, "Pesanan ", el("span", { class: "order-id" }, stored.id))];
    if (problem) {
      parts.push(el("p", { class: "problem" }, problem));
    } else {
      var open = OPEN.indexOf(order.status) >= 0;
      parts.push(
        el("p", { class: "status-word" }, "Status: ", el("strong", null, order.status)),
        el("p", null, explain(order)),
        el("p", { class: "result-meta" }, "Dipesan " + A.waktu(order.created_at) + " · " +
          (order.fulfilment === "delivery" ? "antar ke " + (order.office || "kantor") : "ambil di galeri")),
        el("table", { class: "pick" },
          el("caption", { class: "visually-hidden" }, "Isi pesanan " + stored.id),
          el("thead", null, el("tr", null, el("th", { scope: "col" }, "Produk"), el("th", { scope: "col", class: "num" }, "Jumlah"), el("th", { scope: "col", class: "num" }, "Subtotal"))),
          el("tbody", null, (order.items || []).map(function (line) {
            return el("tr", null, el("td", null, line.name), el("td", { class: "num" }, String(line.qty)), el("td", { class: "num" }, A.rupiah(line.total)));
          }))),
        el("dl", { class: "sums" },
          el("dt", null, "Total"), el("dd", null, A.rupiah(order.total)),
          (order.holds || []).map(function (hold) {
            return [el("dt", null, "Voucher …" + hold.code_hint), el("dd", null, A.rupiah(hold.amount))];
          }),
          el("dt", null, order.status === "selesai" ? "Dibayar tunai" : "Dibayar tunai saat serah terima"),
          el("dd", { class: "cash" }, A.rupiah(order.cash_due))),
        open && order.expires_at ? el("p", { class: "hint" }, "Saldo voucher ditahan sampai " + A.batas(order.expires_at) + ".") : null);
      var actions = [];
      if (order.status === "baru") {
        actions.push(el("button", { type: "button", class: "button danger", onclick: function (event) { cancel(stored, event.currentTarget); } }, "Batalkan pesanan"));
      }
      if (galleryWhatsapp) {
        actions.push(el("a", { class: "button button-wa", href: A.whatsappLink(galleryWhatsapp, messageTemplate.replace("{nomor}", stored.id)), rel: "noopener" }, "Tanya galeri lewat WhatsApp"));
      }
      if (!open) {
        actions.push(el("button", { type: "button", class: "button secondary", onclick: function () { forget(stored.id); } }, "Hapus dari daftar"));
      }
      parts.push(el("p", { class: "order-actions" }, actions));
    }
    if (problem) {
      parts.push(el("p", { class: "order-actions" }, el("button", { type: "button", class: "button secondary", onclick: function () { forget(stored.id); } }, "Hapus dari daftar")));
    }
    parts.push(el("p", { class: "field-status", role: "status", "data-for": stored.id }));
    return el("article", { class: "panel order-card", "aria-labelledby": headingId }, parts);
  }

  function cancel(stored, button) {
    var status = list.querySelector('[data-for="' + stored.id.replace(/"/g, "") + '"]');
    // A second tap confirms: cancelling gives the held balance back and cannot be undone.
    if (button.getAttribute("data-confirm") !== "yes") {
      button.setAttribute("data-confirm", "yes");
      button.textContent = "Ya, batalkan pesanan";
      if (status) status.textContent = "Tekan sekali lagi untuk membatalkan. Saldo voucher yang ditahan akan kembali.";
      return;
    }
    button.disabled = true;
    A.request("POST", api + "/orders/" + encodeURIComponent(stored.id) + "/cancel", { orderToken: stored.token }).then(function (answer) {
      if (answer.ok) return load("Pesanan " + stored.id + " dibatalkan.");
      button.disabled = false;
      if (status) status.textContent = A.message(answer);
    }, function () {
      button.disabled = false;
      if (status) status.textContent = A.NETWORK_MESSAGE;
    });
  }

  function read(stored) {
    return A.request("GET", api + "/orders/" + encodeURIComponent(stored.id), { orderToken: stored.token }).then(function (answer) {
      if (answer.ok && answer.data) return card(stored, answer.data, null);
      return card(stored, null, A.message(answer));
    }, function () {
      return card(stored, null, A.NETWORK_MESSAGE);
    });
  }

  /** Reads every kept order, newest first. */
  function load(said) {
    var orders = kept().reverse();
    $("tanpa-pesanan").hidden = orders.length > 0;
    if (!orders.length) {
      list.replaceChildren();
      out.textContent = said || "";
      return Promise.resolve();
    }
    out.textContent = "Memuat status …";
    return Promise.all(orders.map(read)).then(function (cards) {
      list.replaceChildren.apply(list, cards);
      out.textContent = said || "Status per " + A.jam(new Date()) + " WIB.";
    });
  }

  $("muat-ulang").addEventListener("click", function () { load(); });
  // Another tab placed an order.
  window.addEventListener("storage", function (event) {
    if (event.key === ORDERS_KEY) load();
  });
  load();
})();
