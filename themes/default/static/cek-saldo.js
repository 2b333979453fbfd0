/* Cek Saldo: checks the code's form and check character as it is typed (no request for a
 * typo), then asks POST {api}/balance with the code in the body only, and shows balance,
 * status and expiry. Nothing is kept: no URL, no history entry, no storage. */
(function () {
  "use strict";
  var V = window.GaleriVoucher;
  var A = window.GaleriApi;
  var el = A.el;

  var form = document.getElementById("cek-saldo");
  if (!form || !V || !A) return;
  var api = form.getAttribute("data-api") || "/api/v1";
  var input = document.getElementById("kode-voucher");
  var status = document.getElementById("kode-status");
  var button = form.querySelector("button[type=submit]");
  var result = document.getElementById("hasil");
  var lockedUntil = 0;
  var lockTimer = null;

  function setStatus(text, kind) {
    status.textContent = text;
    status.className = "field-status" + (kind ? " " + kind : "");
    if (kind === "error") input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }

  // Live: a finished code is judged at once; an unfinished one only counts its characters.
  var refresh = V.attach(input, function (state) {
    if (state.text === "") return setStatus("", null);
    if (state.result.ok) return setStatus("Kode lengkap. Tekan Cek saldo.", "ok");
    if (state.result.error === "character" || state.body > V.CODE_CHARS ||
        (state.body === V.CODE_CHARS && state.result.error === "check")) {
      return setStatus(V.problem(state.result, state.body), "error");
    }
    setStatus(state.body + " dari " + V.CODE_CHARS + " karakter setelah MLG.", null);
  });

  function show(children, kind) {
    result.replaceChildren(el("div", { class: "panel " + (kind || ""), role: kind === "problem" ? "alert" : null }, children));
  }

  var STATUS_TEXT = { active: "Aktif", expired: "Kedaluwarsa", void: "Dibatalkan" };

  function showBalance(data) {
    var facts = [
      el("dt", null, "Status"), el("dd", null, STATUS_TEXT[data.status] || data.status),
      el("dt", null, "Berlaku sampai"), el("dd", null, A.tanggal(data.expires_on)),
      el("dt", null, "Nilai voucher"), el("dd", null, A.rupiah(data.face_value)),
    ];
    // Balances with online-order holds carry `held` and `available`.
    if (Number(data.held) > 0) {
      facts.push(el("dt", null, "Sedang dipesan"), el("dd", null, A.rupiah(data.held)));
      facts.push(el("dt", null, "Dapat dipakai"), el("dd", null, A.rupiah(data.available)));
    }
    var note = null;
    if (data.status === "expired") note = el("p", { class: "warn" }, "Masa berlaku voucher ini sudah lewat; saldonya tidak dapat dipakai lagi.");
    if (data.status === "void") note = el("p", { class: "warn" }, "Voucher ini sudah dibatalkan dan tidak dapat dipakai lagi; sisa saldonya kembali ke program voucher.");
    show([
      el("h2", null, "Saldo voucher …" + data.hint),
      el("p", { class: "balance" }, data.balance_text || A.rupiah(data.balance)),
      el("dl", { class: "facts" }, facts),
      note,
    ], data.status === "active" ? "good" : "problem");
  }

  function lock(seconds) {
    lockedUntil = Date.now() + seconds * 1000;
    button.disabled = true;
    clearTimeout(lockTimer);
    lockTimer = setTimeout(function () {
      button.disabled = false;
      lockedUntil = 0;
    }, seconds * 1000);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (lockedUntil > Date.now()) return;
    refresh();
    var shown = V.format(input.value);
    var parsed = V.parse(input.value);
    if (!parsed.ok) {
      // A typo never leaves the browser.
      show(el("p", null, V.problem(parsed, shown.body)), "problem");
      setStatus(V.problem(parsed, shown.body), "error");
      input.focus();
      return;
    }
    button.disabled = true;
    show(el("p", null, "Memeriksa saldo voucher …" + parsed.hint + " …"), "busy");
    A.request("POST", api + "/balance", { body: { code: parsed.code } }).then(function (answer) {
      button.disabled = false;
      if (answer.ok && answer.data) return showBalance(answer.data);
      if (answer.slug === "too-many-failed-lookups") lock(A.retryAfter(answer));
      show(el("p", null, A.message(answer)), "problem");
    }, function () {
      button.disabled = false;
      show(el("p", null, A.NETWORK_MESSAGE), "problem");
    }).then(function () {
      result.focus();
    });
  });
})();
