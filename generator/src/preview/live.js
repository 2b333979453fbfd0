// Live preview, added to pages by `galeri serve` only (never part of a built site): follows the
// server's build status over server-sent events, reloads the tab after each successful rebuild,
// and while the content has problems shows them over the page (the last good site stays below).
"use strict";
(() => {
  const ID = "galeri-pratinjau-masalah";
  let seen = null;

  function clear() {
    document.getElementById(ID)?.remove();
  }

  function show(problems) {
    clear();
    const box = document.createElement("section");
    box.id = ID;
    box.setAttribute("role", "alert");
    box.setAttribute("aria-labelledby", `${ID}-judul`);
    box.lang = "id";
    Object.assign(box.style, {
      position: "fixed", left: "0", right: "0", top: "0", zIndex: "2147483647",
      maxHeight: "80vh", overflow: "auto", boxSizing: "border-box", padding: "1rem",
      background: "#fff4f2", color: "#3b0d06", borderBottom: "4px solid #b3261e",
      font: "16px/1.5 system-ui, sans-serif", boxShadow: "0 4px 16px rgba(0,0,0,.25)",
    });
    const title = document.createElement("h2");
    title.id = `${ID}-judul`;
    title.textContent = problems.length === 1
      ? "Ada 1 masalah di konten"
      : `Ada ${problems.length} masalah di konten`;
    title.style.margin = "0 0 .5rem";
    title.style.fontSize = "1.25rem";
    const note = document.createElement("p");
    note.textContent = "Perbaiki lalu simpan berkasnya; halaman ini dimuat ulang sendiri. " +
      "Sementara itu, yang tampil di bawah adalah situs terakhir yang berhasil dibangun.";
    note.style.margin = "0 0 .5rem";
    const list = document.createElement("ul");
    list.style.margin = "0";
    list.style.paddingLeft = "1.25rem";
    for (const problem of problems) {
      const item = document.createElement("li");
      item.style.marginBottom = ".25rem";
      if (problem.location) {
        const place = document.createElement("code");
        place.textContent = problem.location;
        place.style.fontWeight = "bold";
        place.style.wordBreak = "break-all";
        item.append(place, ": ");
      }
      item.append(problem.message);
      list.append(item);
    }
    const close = document.createElement("button");
    close.type = "button";
    close.textContent = "Tutup";
    close.style.marginTop = ".5rem";
    close.style.font = "inherit";
    close.addEventListener("click", clear);
    box.append(title, note, list, close);
    document.body.append(box);
  }

  const events = new EventSource("/_galeri/events");
  events.addEventListener("status", (event) => {
    let status;
    try {
      status = JSON.parse(event.data);
    } catch {
      return;
    }
    // A new successful build (or a restarted server): show it.
    if (seen !== null && status.generation !== seen) {
      location.reload();
      return;
    }
    seen = status.generation;
    // Says the tab follows the builds (tests wait for it before saving).
    document.documentElement.dataset.pratinjau = String(seen);
    if (status.problems && status.problems.length) show(status.problems);
    else clear();
  });
})();
