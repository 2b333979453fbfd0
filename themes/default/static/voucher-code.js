/* Voucher codes in the browser: the same reading and check character as
 * functions/vouchers/src/code.rs (VoucherCode::parse), so a typo is caught before anything
 * is sent, plus the live formatting of the "Kode voucher" fields.
 *
 * Keep parse() an exact port of the Rust: tests/browser/voucher-code.test.js runs it over codes
 * issued by `galeri vouchers issue` and over mistyped ones judged by the API. */
(function (root) {
  "use strict";

  /** Crockford base32: no I, L, O or U. */
  var ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  var PREFIX = "MLG";
  var RANDOM_CHARS = 15;
  var CODE_CHARS = RANDOM_CHARS + 1;

  /** Multiplication in GF(32) modulo x^5 + x^2 + 1. */
  function gf32Mul(a, b) {
    var product = 0;
    while (b !== 0) {
      if (b & 1) product ^= a;
      b >>= 1;
      a <<= 1;
      if (a & 0x20) a ^= 0x25;
    }
    return product;
  }

  /** The check value over the random characters' values (weights alpha^1, alpha^2, ...). */
  function checkValue(values) {
    var weight = 1;
    var sum = 0;
    for (var i = 0; i < values.length; i++) {
      weight = gf32Mul(weight, 2);
      sum ^= gf32Mul(values[i], weight);
    }
    return sum;
  }

  // Rust's `char::is_whitespace` (Unicode White_Space), not JS's \s, which adds U+FEFF.
  var WHITESPACE = /[\t\n\v\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]/;

  /** Removes what parse() forgives (whitespace, dashes, underscores) and upper-cases. */
  function compact(input) {
    var out = "";
    for (var c of String(input)) {
      if (c === "-" || c === "_" || WHITESPACE.test(c)) continue;
      out += c.toUpperCase();
    }
    return out;
  }

  function utf8Length(text) {
    return new TextEncoder().encode(text).length;
  }

  function mapAmbiguous(c) {
    if (c === "O") return "0";
    if (c === "I" || c === "L") return "1";
    return c;
  }

  /** Groups 16 canonical characters as printed: MLG-XXXX-XXXX-XXXX-XXXX. */
  function expose(chars) {
    var out = PREFIX;
    for (var i = 0; i < chars.length; i += 4) out += "-" + chars.slice(i, i + 4);
    return out;
  }

  /**
   * Reads a code as a person typed it, exactly as VoucherCode::parse does.
   * Returns {ok: true, code, hint} or {ok: false, error: "length" | "character" | "check",
   * count?, character?}.
   */
  function parse(input) {
    var text = compact(input);
    var chars = Array.from(text);
    // A bare 16-character code may begin "M1G" typed "MLG": the prefix comes off only when
    // the length says it is there. Rust measures that length in UTF-8 bytes.
    if (text.indexOf(PREFIX) === 0 && utf8Length(text) !== CODE_CHARS) {
      chars = chars.slice(PREFIX.length);
    }
    var values = [];
    for (var i = 0; i < chars.length; i++) {
      var c = mapAmbiguous(chars[i]);
      var value = c.length === 1 ? ALPHABET.indexOf(c) : -1;
      if (value < 0) return { ok: false, error: "character", character: c };
      values.push(value);
    }
    if (values.length !== CODE_CHARS) {
      return { ok: false, error: "length", count: values.length };
    }
    var data = values.slice(0, RANDOM_CHARS);
    if (checkValue(data) !== values[RANDOM_CHARS]) return { ok: false, error: "check" };
    var canonical = values.map(function (v) { return ALPHABET[v]; }).join("");
    return { ok: true, code: expose(canonical), hint: canonical.slice(-4) };
  }

  /**
   * The live form of what is being typed: upper case, O/I/L read as 0/1, grouped by four
   * after "MLG-". Returns {text, body} where body counts the code characters after the
   * prefix. Cosmetic only: parse() judges the field's text, whatever this shows.
   */
  function format(input) {
    var chars = Array.from(compact(input));
    var text = chars.join("");
    // "M" and "ML" may be the start of the prefix: leave them alone, or "ML" would become
    // "M1" and the prefix could never be typed.
    if (PREFIX.indexOf(text) === 0) return { text: text, body: 0 };
    if (text.indexOf(PREFIX) === 0) chars = chars.slice(PREFIX.length);
    var body = chars.map(mapAmbiguous);
    var out = PREFIX;
    for (var i = 0; i < body.length; i++) {
      if (i % 4 === 0) out += "-";
      out += body[i];
    }
    return { text: out, body: body.length };
  }

  /** How many characters of `text` before `end` are code characters (not dashes or spaces). */
  function significantBefore(text, end) {
    return compact(text.slice(0, end)).length;
  }

  /** The caret position in `text` after `count` code characters. */
  function positionAfter(text, count) {
    if (count <= 0) return 0;
    var seen = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      if (c !== "-" && c !== "_" && !WHITESPACE.test(c)) {
        seen++;
        if (seen === count) return i + 1;
      }
    }
    return text.length;
  }

  /** A message in Indonesian for a failed parse, for the person at the field. */
  function problem(result, body) {
    if (result.error === "check") {
      // Fewer than 16 characters shown means the code is unfinished, whatever the check says.
      if (body !== undefined && body < CODE_CHARS) return incomplete(body);
      return "Kode salah ketik: karakter terakhir tidak cocok dengan yang lain. Periksa lagi setiap karakter.";
    }
    if (result.error === "character") {
      return "Kode memuat huruf “" + result.character + "” yang tidak ada di voucher. Periksa lagi kodenya.";
    }
    if (result.count === 0) return "Isi kode voucher dulu.";
    if (result.count < CODE_CHARS) return incomplete(result.count);
    return "Kode terlalu panjang: " + result.count + " karakter setelah MLG, seharusnya " + CODE_CHARS + ".";
  }

  function incomplete(count) {
    return "Kode belum lengkap: baru " + count + " dari " + CODE_CHARS + " karakter setelah MLG.";
  }

  /**
   * Makes an <input> format itself as the person types and report its state.
   * onChange(state) gets {text, body, result} after every edit.
   */
  function attach(input, onChange) {
    function update() {
      var raw = input.value;
      var focused = root.document && root.document.activeElement === input;
      var caret = focused && input.selectionStart !== null ? input.selectionStart : raw.length;
      var before = significantBefore(raw, caret);
      var shown = format(raw);
      if (shown.text !== raw) {
        input.value = shown.text;
        if (focused) {
          var at = positionAfter(shown.text, before);
          input.setSelectionRange(at, at);
        }
      }
      if (onChange) onChange({ text: shown.text, body: shown.body, result: parse(shown.text) });
    }
    input.addEventListener("input", update);
    return update;
  }

  var api = {
    ALPHABET: ALPHABET,
    CODE_CHARS: CODE_CHARS,
    parse: parse,
    format: format,
    problem: problem,
    attach: attach,
    checkValue: checkValue,
  };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.GaleriVoucher = api;
})(typeof self !== "undefined" ? self : this);
