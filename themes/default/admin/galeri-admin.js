// What Galeri adds to Decap CMS before it starts: Indonesian wording for the parts of the editor
// staff use every day (Decap ships no Indonesian locale; the rest falls back to English), and a
// clean-up before saving so that a page Decap writes passes `galeri check`.
"use strict";

(function () {
  const CMS = window.CMS;

  // Decap merges these over its English phrases (lib/phrases.js), so a missing one stays English.
  CMS.registerLocale("id", {
    auth: {
      login: "Masuk",
      loggingIn: "Sedang masuk…",
    },
    app: {
      header: { content: "Isi", workflow: "Alur kerja", media: "Media", quickAdd: "Tambah cepat" },
      app: {
        errorHeader: "Konfigurasi editor tidak bisa dimuat",
        configErrors: "Kesalahan konfigurasi",
        checkConfigYml: "Periksa admin/config.yml (dibuat oleh galeri build).",
        loadingConfig: "Memuat konfigurasi…",
        waitingBackend: "Menunggu decap-server…",
      },
      notFoundPage: { header: "Tidak ditemukan" },
    },
    collection: {
      sidebar: {
        collections: "Koleksi",
        allCollections: "Semua koleksi",
        searchAll: "Cari di semua",
        searchIn: "Cari di",
      },
      collectionTop: {
        sortBy: "Urutkan",
        viewAs: "Tampilan",
        viewAsList: "Tampilan daftar",
        viewAsGrid: "Tampilan kisi",
        newButton: "＋ %{collectionLabel} baru",
        newButtonAriaLabel: "Buat %{collectionLabel} baru",
        ascending: "Naik",
        descending: "Turun",
        searchResults: "Hasil pencarian \"%{searchTerm}\"",
        searchResultsInCollection: "Hasil pencarian \"%{searchTerm}\" di %{collection}",
        filterBy: "Saring",
        groupBy: "Kelompokkan",
      },
      entries: {
        loadingEntries: "Memuat isi…",
        cachingEntries: "Menyiapkan isi…",
        longerLoading: "Ini bisa makan waktu beberapa menit",
        noEntries: "Belum ada isi",
      },
    },
    editor: {
      editorControl: { field: { optional: "boleh kosong" } },
      editorControlPane: {
        widget: {
          required: "%{fieldLabel} wajib diisi.",
          range: "%{fieldLabel} harus antara %{minValue} dan %{maxValue}.",
          min: "%{fieldLabel} paling sedikit %{minValue}.",
          max: "%{fieldLabel} paling banyak %{maxValue}.",
          invalidPath: "'%{path}' bukan alamat berkas yang sah",
          pathExists: "Berkas '%{path}' sudah ada",
        },
      },
      editor: {
        onLeavePage: "Yakin meninggalkan halaman ini? Perubahan yang belum disimpan hilang.",
        onPublishing: "Simpan halaman ini ke katalog?",
        onDeletePublishedEntry: "Yakin menghapus halaman ini dari katalog?",
        onDeleteWithUnsavedChanges: "Yakin menghapus halaman ini beserta perubahan yang belum disimpan?",
        loadingEntry: "Memuat…",
        confirmLoadBackup: "Ada salinan yang belum disimpan untuk halaman ini. Pakai salinan itu?",
      },
      editorInterface: { togglePreview: "Tampilkan pratinjau" },
      editorToolbar: {
        publishing: "Menyimpan…",
        publish: "Simpan",
        published: "Tersimpan",
        duplicate: "Gandakan",
        publishAndCreateNew: "Simpan lalu buat baru",
        publishAndDuplicate: "Simpan lalu gandakan",
        deletePublishedEntry: "Hapus halaman ini",
        deleteEntry: "Hapus",
        saving: "Menyimpan…",
        save: "Simpan",
        deleting: "Menghapus…",
        // Short, so that Simpan and Hapus fit beside it on a phone.
        backCollection: " %{collectionLabel}",
        unsavedChanges: "Belum disimpan",
        changesSaved: "Tersimpan",
        publishNow: "Simpan sekarang",
        deployButtonLabel: "Lihat di situs",
      },
      editorWidgets: {
        markdown: {
          bold: "Tebal",
          italic: "Miring",
          link: "Tautan",
          linkPrompt: "Tulis alamat tautan",
          headings: "Judul",
          quote: "Kutipan",
          bulletedList: "Daftar berbutir",
          numberedList: "Daftar bernomor",
          richText: "Teks",
          markdown: "Markdown",
        },
        image: {
          choose: "Pilih foto",
          chooseMultiple: "Pilih foto",
          chooseDifferent: "Ganti foto",
          addMore: "Tambah foto",
          remove: "Hapus foto",
          removeAll: "Hapus semua foto",
        },
        datetime: { now: "Hari ini", clear: "Kosongkan", setToNow: "Isi %{fieldLabel} dengan hari ini" },
        list: { add: "Tambah %{item}", addType: "Tambah %{item}" },
        object: { expand: "Buka", collapse: "Tutup" },
      },
    },
    mediaLibrary: {
      mediaLibraryModal: {
        loading: "Memuat…",
        close: "Tutup",
        noResults: "Tidak ada hasil.",
        noAssetsFound: "Belum ada berkas.",
        noImagesFound: "Belum ada foto.",
        images: "Foto",
        mediaAssets: "Berkas",
        search: "Cari…",
        uploading: "Mengunggah…",
        upload: "Unggah",
        deleting: "Menghapus…",
        deleteSelected: "Hapus yang dipilih",
        chooseSelected: "Pakai yang dipilih",
      },
    },
    ui: {
      default: { goBackToSite: "Kembali ke situs" },
      settingsDropdown: { logOut: "Keluar" },
      toast: {
        onFailToLoadEntries: "Gagal memuat: %{details}",
        onFailToPersist: "Gagal menyimpan: %{details}",
        onFailToDelete: "Gagal menghapus: %{details}",
        missingRequiredField: "Ada isian wajib yang masih kosong. Lengkapi dulu sebelum menyimpan.",
        entrySaved: "Tersimpan",
        entryPublished: "Tersimpan ke katalog",
        onLoggedOut: "Anda keluar; salin isian yang belum disimpan lalu masuk lagi",
      },
    },
  });

  /** Is this value empty (nothing typed, or typed and cleared)? */
  function empty(value) {
    if (value === null || value === undefined) return true;
    if (typeof value === "string") return value.trim() === "";
    if (typeof value.size === "number") return value.size === 0;
    return false;
  }

  /**
   * Drops empty optional values, nested ones too: Decap writes a cleared field as `""`, an
   * untouched list as `[]`, and `galeri check` rightly refuses an empty value (it would not
   * know what was meant). The Markdown body is kept, even when empty.
   */
  function prune(map) {
    return map
      .map((value) => (value && typeof value.filter === "function" && typeof value.keySeq === "function"
        ? prune(value) : value))
      .filter((value, key) => key === "body" || !empty(value));
  }

  CMS.registerEventListener({
    name: "preSave",
    handler: ({ entry }) => prune(entry.get("data")),
  });

  CMS.init();
})();
