// Search and filters at /cari/ over /search-index.json (written by the build; columns named by
// its `fields`). Tolerant of case, missing diacritics and word order: every query word must
// start a word of the product's name, producer, kecamatan, category, tags or SKU. The URL
// keeps the query and the filters (history.replaceState), so a search can be shared.
(function () {
  "use strict";
  var form = document.getElementById("cari");
  if (!form || !window.fetch) return;
  var input = form.elements.q;
  var results = document.getElementById("hasil");
  var count = document.getElementById("jumlah");
  var more = document.getElementById("lebih");
  var categoriesSection = document.getElementById("semua-kategori");
  // Twelve cards fill more than a phone screen; writing fewer per keystroke keeps typing quick
  // on slow phones (the DOM update was half of a keystroke's time at 24), and "Tampilkan
  // lebih banyak" adds the next twelve.
  var PAGE = 12;
  var shown = PAGE;
  var rows = [];
  var index = null;

  function fold(text) {
    return String(text).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function words(text) {
    return fold(text).split(/[^a-z0-9]+/).filter(Boolean);
  }
  function rupiah(amount) {
    return "Rp" + String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }
  function escape(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function load(data) {
    var at = {};
    data.fields.forEach(function (name, i) { at[name] = i; });
    index = data;
    rows = data.products.map(function (p) {
      var producer = data.producers[p[at.producer]] || ["", 0];
      var kecamatan = data.kecamatan[producer[1]] || ["", ""];
      var category = data.categories[p[at.category]] || ["", ""];
      var name = p[at.name];
      return {
        sku: p[at.sku], name: name, producer: producer[0], kecamatan: kecamatan[1],
        kecamatanSlug: kecamatan[0], categorySlug: category[0], price: p[at.price],
        halal: p[at.halal] === 1, url: p[at.url], image: p[at.image],
        title: " " + words(name).join(" "),
        text: " " + words([name, producer[0], kecamatan[1], category[1], p[at.tags], p[at.sku]].join(" ")).join(" ")
      };
    });
    // Sorted by name once, so a search only orders by score (a stable sort keeps names in order).
    rows.sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
    run();
  }

  function fromUrl() {
    var params = new URLSearchParams(location.search);
    input.value = params.get("q") || "";
    ["kategori", "kecamatan", "harga"].forEach(function (name) {
      form.elements[name].value = params.get(name) || "";
    });
    form.elements.halal.checked = params.get("halal") === "1";
  }

  function toUrl(query, filters) {
    var params = new URLSearchParams();
    if (query) params.set("q", query);
    Object.keys(filters).forEach(function (name) { if (filters[name]) params.set(name, filters[name]); });
    var search = params.toString();
    history.replaceState(null, "", location.pathname + (search ? "?" + search : ""));
  }

  // The last search's cost in ms (filter, render), read by tests/bench/search_bench.mjs.
  var timing = { filter: 0, render: 0 };
  var lastKey = "";
  var previous = { rows: null, filters: "", query: "", raw: "" };

  function run() {
    if (!index) return;
    var started = performance.now();
    var query = input.value.trim();
    var tokens = words(query);
    var filters = {
      kategori: form.elements.kategori.value,
      kecamatan: form.elements.kecamatan.value,
      harga: form.elements.harga.value,
      halal: form.elements.halal.checked ? "1" : ""
    };
    var band = filters.harga.split("-");
    var low = band[0] ? Number(band[0]) : 0;
    var high = band[1] ? Number(band[1]) : Infinity;
    var active = tokens.length > 0 || filters.kategori || filters.kecamatan || filters.harga || filters.halal;
    // Hits in name order (kept for narrowing) and, per score, for ranking without a sort.
    var hits = [];
    var byScore = [];
    var filterKey = JSON.stringify(filters);
    // Typing on at the end of the query only narrows the results: search the last hits only.
    var folded = tokens.join(" ");
    var narrowing = previous.rows && previous.filters === filterKey && previous.query &&
      folded.indexOf(previous.query) === 0 && query.length >= previous.raw.length;
    var pool = narrowing ? previous.rows : rows;
    if (active) {
      for (var i = 0; i < pool.length; i++) {
        var row = pool[i];
        if (filters.kategori && row.categorySlug !== filters.kategori) continue;
        if (filters.kecamatan && row.kecamatanSlug !== filters.kecamatan) continue;
        if (filters.halal && !row.halal) continue;
        if (row.price < low || row.price >= high) continue;
        var inTitle = 0;
        var all = true;
        for (var t = 0; t < tokens.length; t++) {
          var needle = " " + tokens[t];
          if (row.title.indexOf(needle) >= 0) inTitle++;
          else if (row.text.indexOf(needle) < 0) { all = false; break; }
        }
        if (all) {
          hits.push(row);
          (byScore[inTitle] || (byScore[inTitle] = [])).push(row);
        }
      }
    }
    // The hits in name order, for narrowing on the next keystroke.
    previous = { rows: active ? hits : null, filters: filterKey, query: folded, raw: query };
    // Products whose own name holds more of the words come first, then by name: only the cards
    // shown are taken, score by score, so a one-letter query with thousands of hits sorts nothing.
    var top = [];
    for (var score = byScore.length - 1; score >= 0 && top.length < shown; score--) {
      var bucket = byScore[score] || [];
      for (var b = 0; b < bucket.length && top.length < shown; b++) top.push(bucket[b]);
    }
    var filtered = performance.now();
    timing.filter = filtered - started;
    // The same results (a space typed, a filter re-chosen) need no new DOM.
    var key = folded + "|" + filterKey + "|" + shown;
    if (key !== lastKey) {
      lastKey = key;
      toUrl(query, filters);
      render(top, hits.length, active);
    }
    timing.render = performance.now() - filtered;
  }

  function card(row, eager) {
    var image = row.image
      ? '<img src="' + escape(row.url + row.image) + '" alt="' + escape(row.name) + '" width="320" height="240"' + (eager ? "" : ' loading="lazy"') + ' decoding="async">'
      : '<span class="noimage"></span>';
    return '<li class="card"><a href="' + escape(row.url) + '"><picture>' + image + '</picture><span class="name">' +
      escape(row.name) + '</span></a><span class="meta"><span><span class="price">' + rupiah(row.price) +
      '</span></span><span class="producer">' + escape(row.producer) + " · " + escape(row.kecamatan) +
      '</span><span class="badges">' + (row.halal ? '<span class="badge">Halal</span>' : "") + "</span></span></li>";
  }

  function render(top, total, active) {
    categoriesSection.hidden = active;
    if (!active) {
      count.textContent = "";
      results.innerHTML = "";
      more.hidden = true;
      return;
    }
    count.textContent = total === 0 ? "Tidak ada produk yang cocok." : total + " produk ditemukan";
    var html = "";
    for (var i = 0; i < top.length; i++) html += card(top[i], i < 4);
    results.innerHTML = html;
    more.hidden = total <= shown;
  }

  input.addEventListener("input", function () { shown = PAGE; run(); });
  form.addEventListener("change", function (event) { if (event.target !== input) { shown = PAGE; run(); } });
  form.addEventListener("submit", function (event) { event.preventDefault(); run(); input.blur(); });
  more.querySelector("button").addEventListener("click", function () { shown += PAGE; run(); });
  window.galeriSearch = { run: run, timing: timing };
  // A shared link shows its query and filters at once, before the index arrives; what is typed
  // meanwhile is kept, and searched when the index is there.
  fromUrl();
  fetch(form.getAttribute("data-index")).then(function (response) { return response.json(); }).then(load)
    .catch(function () { count.textContent = "Indeks pencarian tidak dapat dimuat. Coba muat ulang halaman."; });
})();
