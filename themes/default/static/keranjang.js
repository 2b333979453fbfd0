/* The shopping cart of the online order, kept in this browser's localStorage as SKUs and
 * quantities only (names and prices come from catalog.json, the price list the API trusts).
 * Loaded on every page: it shows the cart's count in the header and turns on the
 * "Masukkan keranjang" buttons of product pages, which stay hidden without JavaScript. */
(function (root) {
  "use strict";

  var KEY = "galeri.keranjang";
  var MAX_QTY = 99;
  var MAX_LINES = 50;

  /** [{sku, qty}] in the order added; anything unreadable is an empty cart. */
  function read() {
    try {
      var lines = JSON.parse(root.localStorage.getItem(KEY) || "[]");
      if (!Array.isArray(lines)) return [];
      return lines.filter(function (line) {
        return line && typeof line.sku === "string" && Number.isInteger(line.qty) && line.qty > 0;
      }).slice(0, MAX_LINES);
    } catch (error) {
      return [];
    }
  }

  function write(lines) {
    try {
      if (lines.length) root.localStorage.setItem(KEY, JSON.stringify(lines));
      else root.localStorage.removeItem(KEY);
    } catch (error) {
      // Storage full or refused (private mode): the cart lives as long as the page.
    }
    showCount();
  }

  function qtyOf(sku) {
    var line = read().find(function (l) { return l.sku === sku; });
    return line ? line.qty : 0;
  }

  /** Sets a line's quantity; 0 removes it. */
  function set(sku, qty) {
    var lines = read();
    var at = lines.findIndex(function (l) { return l.sku === sku; });
    var n = Math.max(0, Math.min(MAX_QTY, Math.floor(Number(qty) || 0)));
    if (n === 0) {
      if (at >= 0) lines.splice(at, 1);
    } else if (at >= 0) {
      lines[at].qty = n;
    } else if (lines.length < MAX_LINES) {
      lines.push({ sku: sku, qty: n });
    }
    write(lines);
  }

  function add(sku, qty) {
    set(sku, qtyOf(sku) + (qty || 1));
  }

  function clear() {
    write([]);
  }

  function count() {
    return read().reduce(function (sum, line) { return sum + line.qty; }, 0);
  }

  /** The header's cart link: "Keranjang (3)". */
  function showCount() {
    if (!root.document) return;
    var n = count();
    Array.prototype.forEach.call(root.document.querySelectorAll("[data-cart-count]"), function (node) {
      node.textContent = n > 0 ? " (" + n + ")" : "";
    });
  }

  function wireButtons() {
    Array.prototype.forEach.call(root.document.querySelectorAll("[data-add-to-cart]"), function (button) {
      var sku = button.getAttribute("data-add-to-cart");
      var out = root.document.getElementById(button.getAttribute("aria-describedby") || "");
      button.hidden = false;
      button.addEventListener("click", function () {
        add(sku, 1);
        if (out) {
          out.replaceChildren(
            root.document.createTextNode("Sudah di keranjang: " + qtyOf(sku) + ". "),
            link(button.getAttribute("data-checkout") || "/pesan/"));
        }
      });
    });
  }

  function link(href) {
    var a = root.document.createElement("a");
    a.href = href;
    a.textContent = "Lihat keranjang dan pesan";
    return a;
  }

  var api = { read: read, set: set, add: add, clear: clear, count: count, qtyOf: qtyOf, MAX_QTY: MAX_QTY };
  root.GaleriCart = api;
  if (root.document) {
    if (root.document.readyState === "loading") {
      root.document.addEventListener("DOMContentLoaded", function () { wireButtons(); showCount(); });
    } else {
      wireButtons();
      showCount();
    }
    // Another tab changed the cart.
    root.addEventListener("storage", function (event) {
      if (event.key === KEY) showCount();
    });
  }
})(typeof self !== "undefined" ? self : this);
