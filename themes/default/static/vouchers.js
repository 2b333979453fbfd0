/* Several voucher codes for one payment (Kasir and the online checkout): one field per code (up
 * to five), each formatted and checked as typed, its balance asked of the API, and the split the
 * API will make shown beforehand: the vouchers pay in the order given, each up to what it has
 * available, and the rest is cash. The API decides at payment; this is the preview.
 * Needs voucher-code.js (GaleriVoucher) and api.js (GaleriApi). */
(function (root) {
  "use strict";
  var V = root.GaleriVoucher;
  var A = root.GaleriApi;
  var el = A.el;
  var MAX_CODES = 5;

  /** What a voucher can pay now: its balance less what online orders hold. */
  function spendable(balance) {
    return balance.available !== undefined ? balance.available : balance.balance;
  }

  /**
   * The split of `total` over `vouchers` ([{hint, balance}] with a balance answer each), in
   * order: [{hint, pays, balanceAfter}] and the cash rest.
   */
  function split(total, vouchers) {
    var rest = total;
    var lines = vouchers.map(function (voucher) {
      var pays = Math.max(0, Math.min(spendable(voucher.balance), rest));
      rest -= pays;
      return { hint: voucher.hint, pays: pays, balanceAfter: voucher.balance.balance - pays };
    });
    return { lines: lines, cash: rest };
  }

  /**
   * Makes the code fields of a form. options: {first: the first <input> (labelled "Kode
   * voucher" in the template, its status paragraph named by aria-describedby), list: where added
   * fields go, add: the "Tambah kode voucher" button, api: the API base, onChange()}.
   */
  function CodeList(options) {
    this.api = options.api;
    this.onChange = options.onChange || function () {};
    this.list = options.list;
    this.addButton = options.add;
    this.fields = [];
    this.disabled = false;
    this.field(options.first, root.document.getElementById(options.first.getAttribute("aria-describedby")));
    var self = this;
    if (this.addButton) {
      this.addButton.hidden = false;
      this.addButton.addEventListener("click", function () {
        var added = self.more();
        if (added) added.input.focus();
      });
    }
  }

  /** Wires one field: formats as typed, asks its balance once the code is whole. */
  CodeList.prototype.field = function (input, status, remove, row) {
    var self = this;
    var field = { input: input, status: status, remove: remove, row: row, voucher: null, balance: null, timer: null };
    field.refresh = V.attach(input, function (typed) {
      var parsed = typed.result;
      clearTimeout(field.timer);
      if (parsed.ok) {
        if (!field.voucher || field.voucher.code !== parsed.code) {
          field.voucher = { code: parsed.code, hint: parsed.hint };
          field.balance = null;
          if (self.duplicate(field)) {
            self.setStatus(field, "Kode ini sudah dimasukkan di atas.", "error");
          } else {
            self.setStatus(field, "Kode lengkap. Memeriksa saldo …", "ok");
            field.timer = setTimeout(function () { self.checkBalance(field); }, 250);
          }
        }
      } else {
        field.voucher = null;
        field.balance = null;
        if (typed.text === "") self.setStatus(field, "", null);
        else if (parsed.error === "character" || typed.body > V.CODE_CHARS ||
            (typed.body === V.CODE_CHARS && parsed.error === "check")) {
          self.setStatus(field, V.problem(parsed, typed.body), "error");
        } else {
          self.setStatus(field, typed.body + " dari " + V.CODE_CHARS + " karakter setelah MLG.", null);
        }
      }
      self.onChange();
    });
    this.fields.push(field);
    return field;
  };

  /** Adds the next code field (up to five); returns it, or null when there are five. */
  CodeList.prototype.more = function () {
    if (this.fields.length >= MAX_CODES || this.disabled) return null;
    var self = this;
    var n = this.fields.length + 1;
    var id = this.fields[0].input.id + "-" + n;
    var input = el("input", { id: id, type: "text", autocomplete: "off", autocapitalize: "characters",
      autocorrect: "off", spellcheck: "false", class: "code-input", "aria-describedby": id + "-status",
      placeholder: "MLG-XXXX-XXXX-XXXX-XXXX" });
    var status = el("p", { id: id + "-status", class: "field-status", "aria-live": "polite" });
    var remove = el("button", { type: "button", class: "button small secondary" }, "Hapus kode ke-" + n);
    var row = el("div", { class: "code-row" }, el("label", { for: id }, "Kode voucher ke-" + n), input, status, remove);
    this.list.appendChild(row);
    var field = this.field(input, status, remove, row);
    remove.addEventListener("click", function () { self.drop(field); });
    this.renumber();
    return field;
  };

  CodeList.prototype.drop = function (field) {
    if (this.disabled) return;
    clearTimeout(field.timer);
    this.fields = this.fields.filter(function (f) { return f !== field; });
    field.row.remove();
    this.renumber();
    this.fields[0].input.focus();
    this.onChange();
  };

  /** Labels follow the order the vouchers pay in. */
  CodeList.prototype.renumber = function () {
    this.fields.forEach(function (field, index) {
      if (!field.row) return;
      field.row.querySelector("label").textContent = "Kode voucher ke-" + (index + 1);
      field.remove.textContent = "Hapus kode ke-" + (index + 1);
    });
    if (this.addButton) this.addButton.hidden = this.fields.length >= MAX_CODES;
  };

  CodeList.prototype.duplicate = function (field) {
    var code = field.voucher && field.voucher.code;
    return Boolean(code) && this.fields.some(function (other) {
      return other !== field && other.voucher && other.voucher.code === code && this.fields.indexOf(other) < this.fields.indexOf(field);
    }, this);
  };

  CodeList.prototype.setStatus = function (field, text, kind) {
    field.status.textContent = text;
    field.status.className = "field-status" + (kind ? " " + kind : "");
    if (kind === "error") field.input.setAttribute("aria-invalid", "true");
    else field.input.removeAttribute("aria-invalid");
  };

  CodeList.prototype.checkBalance = function (field) {
    var self = this;
    var voucher = field.voucher;
    if (!voucher) return;
    A.request("POST", this.api + "/balance", { body: { code: voucher.code } }).then(function (answer) {
      if (field.voucher !== voucher) return; // the field changed meanwhile
      if (answer.ok && answer.data) {
        field.balance = answer.data;
        var b = answer.data;
        if (b.status === "void") {
          self.setStatus(field, "Voucher …" + voucher.hint + " sudah dibatalkan dan tidak dapat dipakai; sisa saldonya kembali ke program voucher.", "error");
        } else if (b.status === "expired") {
          self.setStatus(field, "Voucher …" + voucher.hint + " sudah kedaluwarsa (berlaku sampai " + A.tanggal(b.expires_on) + ").", "error");
        } else {
          var held = b.held > 0 ? " (" + A.rupiah(b.held) + " sedang ditahan untuk pesanan online)" : "";
          self.setStatus(field, "Voucher …" + voucher.hint + ": saldo " + A.rupiah(spendable(b)) + held + ".", "ok");
        }
      } else {
        field.balance = { problem: A.message(answer) };
        self.setStatus(field, A.message(answer), "error");
      }
      self.onChange();
    }, function () {
      if (field.voucher !== voucher) return;
      field.balance = { problem: A.NETWORK_MESSAGE };
      self.setStatus(field, A.NETWORK_MESSAGE, "error");
      self.onChange();
    });
  };

  /** Re-reads every field (e.g. before paying) and asks balances again after a refusal. */
  CodeList.prototype.refresh = function () {
    this.fields.forEach(function (field) { field.refresh(); });
  };

  CodeList.prototype.recheck = function () {
    var self = this;
    this.fields.forEach(function (field) {
      if (field.voucher) self.checkBalance(field);
    });
  };

  /** The fields with something typed, in order. */
  CodeList.prototype.typed = function () {
    return this.fields.filter(function (field) { return field.input.value.trim() !== ""; });
  };

  /** The codes to send, in order. */
  CodeList.prototype.codes = function () {
    return this.typed().map(function (field) { return field.voucher && field.voucher.code; }).filter(Boolean);
  };

  /** Why these codes cannot pay yet, or null. */
  CodeList.prototype.problem = function () {
    var typed = this.typed();
    if (!typed.length) return "Isi kode voucher dulu.";
    for (var i = 0; i < typed.length; i++) {
      var field = typed[i];
      var name = typed.length > 1 ? "Kode voucher ke-" + (this.fields.indexOf(field) + 1) + ": " : "";
      if (!field.voucher) {
        var shown = V.format(field.input.value);
        return name + V.problem(V.parse(field.input.value), shown.body);
      }
      if (this.duplicate(field)) return name + "kode yang sama dimasukkan dua kali.";
      var b = field.balance;
      if (b && b.problem) return name + b.problem;
      if (b && b.status === "void") return name + "voucher ini sudah dibatalkan dan tidak dapat dipakai; sisa saldonya kembali ke program voucher.";
      if (b && b.status === "expired") return name + "voucher ini sudah kedaluwarsa dan tidak dapat dipakai.";
    }
    return null;
  };

  /** Every typed code is whole, distinct and active, with its balance known. */
  CodeList.prototype.ready = function () {
    var typed = this.typed();
    return typed.length > 0 && this.problem() === null && typed.every(function (field) {
      return field.balance && !field.balance.problem && field.balance.status === "active";
    });
  };

  /** The preview's split of `total`, or null until every code's balance is known. */
  CodeList.prototype.split = function (total) {
    if (!this.ready()) return null;
    return split(total, this.typed().map(function (field) {
      return { hint: field.voucher.hint, balance: field.balance };
    }));
  };

  /** The page's preview: total, each voucher's part, the cash rest, balances after. */
  CodeList.prototype.preview = function (total, cashLabel) {
    var parts = this.split(total);
    if (!parts || total === 0) return null;
    var rows = [el("dt", null, "Total belanja"), el("dd", null, A.rupiah(total))];
    parts.lines.forEach(function (line) {
      rows.push(el("dt", null, "Dibayar voucher …" + line.hint), el("dd", null, A.rupiah(line.pays)));
    });
    rows.push(el("dt", null, cashLabel || "Sisa dibayar tunai"), el("dd", { class: "cash" }, A.rupiah(parts.cash)));
    if (parts.lines.length === 1) {
      rows.push(el("dt", null, "Saldo voucher setelahnya"), el("dd", null, A.rupiah(parts.lines[0].balanceAfter)));
    } else {
      parts.lines.forEach(function (line) {
        rows.push(el("dt", null, "Saldo …" + line.hint + " setelahnya"), el("dd", null, A.rupiah(line.balanceAfter)));
      });
    }
    return el("dl", { class: "sums" }, rows);
  };

  CodeList.prototype.disable = function (locked) {
    this.disabled = locked;
    this.fields.forEach(function (field) {
      field.input.disabled = locked;
      if (field.remove) field.remove.disabled = locked;
    });
    if (this.addButton) this.addButton.disabled = locked;
  };

  /** Back to one empty field. */
  CodeList.prototype.clear = function () {
    var self = this;
    this.fields.slice(1).forEach(function (field) {
      clearTimeout(field.timer);
      field.row.remove();
    });
    this.fields = this.fields.slice(0, 1);
    var first = this.fields[0];
    clearTimeout(first.timer);
    first.input.value = "";
    first.voucher = null;
    first.balance = null;
    self.setStatus(first, "", null);
    this.renumber();
  };

  /** Puts a scanned code into the first empty field (adding one when all are full). */
  CodeList.prototype.fill = function (code) {
    var empty = this.fields.find(function (field) { return field.input.value.trim() === ""; }) || this.more();
    if (!empty) return null;
    empty.input.value = code;
    empty.refresh();
    return empty;
  };

  /** The first field, for focus and Enter handling. */
  CodeList.prototype.inputs = function () {
    return this.fields.map(function (field) { return field.input; });
  };

  root.GaleriCodes = { CodeList: CodeList, split: split, spendable: spendable, MAX_CODES: MAX_CODES };
})(typeof self !== "undefined" ? self : this);
