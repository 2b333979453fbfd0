//! The fields of every content type, declared once: name, type, whether required, the rule its
//! value must meet, a default, an example and Indonesian help text. Parsing (`Fields`), the
//! "did you mean" hints, `galeri new`, the CSV columns of `galeri import`/`export` and the web
//! editor's configuration (`render::admin`) are all derived from these tables.
//!
//! The table carries what a Decap CMS collection needs, so its configuration can be generated:
//! `Schema::place` gives the folder, `Type` the widget (`string`, `number`, `boolean`,
//! `datetime`, `list`, `object` with `nested` fields), `required`, `default` and `help` map to
//! the field options, `Rule::Image` to `image`, `Rule::Producer`/`Rule::Category` to
//! `relation`, and `Field::options` to `select`.

use super::kecamatan::KECAMATAN;

/// How a value is written in YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    Text,
    Integer,
    /// Whole rupiah, more than zero (a YAML integer).
    Money,
    Boolean,
    /// `YYYY-MM-DD`.
    Date,
    /// A list of text; one text is read as a one-item list.
    TextList,
    /// A nested mapping with its own fields (`Field::nested`).
    Mapping,
}

/// What a value must satisfy beyond its type. Each rule is implemented once (`permits.rs`,
/// `kecamatan.rs`, …) and applied by the reader of its type in `frontmatter::Fields`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    None,
    /// `[A-Z0-9-]{3,32}`, unique across the catalog.
    Sku,
    /// Lowercase words joined by `-`.
    Slug,
    /// One of the 33 kecamatan of Kabupaten Malang.
    Kecamatan,
    /// 13 digits.
    Nib,
    /// An Indonesian mobile number, normalized to `628…`.
    WhatsApp,
    Email,
    /// `1234567890123-45`, not expired.
    Pirt,
    /// `MD`/`ML` + 12 or 15 digits.
    Bpom,
    /// `ID` + digits; not a `KH` decree.
    Halal,
    /// A year from 1900 to this year.
    Year,
    /// 1 to 500.
    PerPage,
    /// 1 to 30 days.
    HoldDays,
    /// An absolute `http(s)://` URL.
    BaseUrl,
    /// Only `id`.
    Language,
    /// An image file beside the page, inside `content/`.
    Image,
    /// The slug of a producer in `producers/`.
    Producer,
    /// The slug of a category in `categories.yaml`.
    Category,
}

/// One key of a content type.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    /// What staff see beside the value in an editor (Decap CMS), in Indonesian.
    pub label: &'static str,
    pub kind: Type,
    pub required: bool,
    pub rule: Rule,
    /// The value taken when the key is absent, as written in YAML; empty when there is none.
    pub default: &'static str,
    /// A realistic value as written in YAML, for templates and documentation.
    pub example: &'static str,
    /// One line for staff, in Indonesian.
    pub help: &'static str,
    /// The fields of a `Type::Mapping`; empty otherwise.
    pub nested: &'static [Field],
}

impl Field {
    const fn new(name: &'static str, kind: Type, required: bool, help: &'static str) -> Field {
        Field {
            name,
            label: "",
            kind,
            required,
            rule: Rule::None,
            default: "",
            example: "",
            help,
            nested: &[],
        }
    }

    const fn label(mut self, label: &'static str) -> Field {
        self.label = label;
        self
    }

    const fn rule(mut self, rule: Rule) -> Field {
        self.rule = rule;
        self
    }

    const fn default(mut self, default: &'static str) -> Field {
        self.default = default;
        self
    }

    const fn example(mut self, example: &'static str) -> Field {
        self.example = example;
        self
    }

    const fn nested(mut self, nested: &'static [Field]) -> Field {
        self.nested = nested;
        self
    }

    /// The allowed values, when the rule fixes a short list (for selects in editors).
    pub fn options(&self) -> Option<&'static [&'static str]> {
        match self.rule {
            Rule::Kecamatan => Some(&KECAMATAN),
            Rule::Language => Some(&["id"]),
            _ => None,
        }
    }
}

/// A content type: where its files live and its fields.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    /// What staff call it, in Indonesian.
    pub label: &'static str,
    /// Where its files are, e.g. `products/<producer>/<slug>.md`.
    pub place: &'static str,
    /// What the Markdown body after the front matter is, for staff (`""`: the file has none).
    pub body: &'static str,
    pub fields: &'static [Field],
}

impl Schema {
    pub fn field(&self, name: &str) -> Option<&'static Field> {
        find(self.fields, name)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.fields.iter().map(|field| field.name).collect()
    }
}

/// The field called `name` in `fields`.
pub fn find(fields: &'static [Field], name: &str) -> Option<&'static Field> {
    fields.iter().find(|field| field.name == name)
}

use Type::{Boolean, Date, Integer, Mapping, Money, Text, TextList};

pub const PERMIT_FIELDS: &[Field] = &[
    Field::new(
        "pirt",
        Text,
        false,
        "Nomor P-IRT (SPP-IRT), 15 angka ditulis 13-2; dua angka terakhir tahun berlakunya.",
    )
    .label("Nomor P-IRT")
    .rule(Rule::Pirt)
    .example("\"2073507010123-29\""),
    Field::new(
        "bpom",
        Text,
        false,
        "Nomor izin edar BPOM: MD atau ML diikuti 12 atau 15 angka.",
    )
    .label("Nomor BPOM")
    .rule(Rule::Bpom)
    .example("\"MD 224413001234\""),
    Field::new(
        "halal",
        Text,
        false,
        "Nomor sertifikat halal BPJPH: ID diikuti angka (bukan nomor ketetapan KH).",
    )
    .label("Nomor sertifikat halal")
    .rule(Rule::Halal)
    .example("\"ID35110000123450124\""),
    Field::new(
        "non_halal",
        Boolean,
        false,
        "Isi true bila produk dinyatakan tidak halal (tampil jelas di halaman produk).",
    )
    .label("Tidak halal")
    .default("false")
    .example("true"),
];

pub const PRODUCT: Schema = Schema {
    label: "produk",
    place: "products/<producer>/<slug>.md",
    body: "Deskripsi produk",
    fields: &[
        Field::new(
            "name",
            Text,
            true,
            "Nama produk seperti tampil di katalog.",
        )
.label("Nama produk")
        .example("Kopi Robusta Dampit Bubuk"),
        Field::new(
            "sku",
            Text,
            true,
            "Kode barang, unik di seluruh katalog: 3–32 huruf besar, angka atau tanda hubung.",
        )
.label("Kode barang (SKU)")
        .rule(Rule::Sku)
        .example("DMP-KOP-001"),
        Field::new(
            "category",
            Text,
            true,
            "Slug kategori dari categories.yaml.",
        )
.label("Kategori")
        .rule(Rule::Category)
        .example("kopi"),
        Field::new(
            "price",
            Money,
            true,
            "Harga dalam rupiah, bilangan bulat tanpa Rp dan titik (45000, bukan Rp45.000).",
        )
.label("Harga (rupiah)")
        .example("45000"),
        Field::new(
            "unit",
            Text,
            true,
            "Isi satu satuan jual, mis. 250 g, 1 botol, 1 lembar.",
        )
.label("Satuan")
        .example("\"250 g\""),
        Field::new(
            "images",
            TextList,
            false,
            "Berkas foto di samping berkas ini (JPEG, PNG, WebP atau GIF); yang pertama jadi foto utama.",
        )
.label("Foto")
        .rule(Rule::Image)
        .example("[robusta-bubuk.jpg]"),
        Field::new(
            "permits",
            Mapping,
            false,
            "Izin produk; wajib untuk pangan: pirt atau bpom, dan halal (atau non_halal: true).",
        )
.label("Izin")
        .nested(PERMIT_FIELDS),
        Field::new(
            "available",
            Boolean,
            false,
            "false bila stok habis: produk tampil \"habis\" dan tidak bisa dibeli dengan voucher.",
        )
.label("Tersedia")
        .default("true")
        .example("true"),
        Field::new(
            "tags",
            TextList,
            false,
            "Kata kunci untuk pencarian.",
        )
.label("Kata kunci")
        .example("[robusta, bubuk]"),
        Field::new(
            "added",
            Date,
            false,
            "Tanggal produk masuk katalog (YYYY-MM-DD), untuk daftar produk terbaru.",
        )
.label("Tanggal masuk katalog")
        .example("2026-11-27"),
        Field::new(
            "producer",
            Text,
            false,
            "Slug produsen, bila berbeda dari nama folder tempat berkas ini.",
        )
.label("Produsen")
        .rule(Rule::Producer)
        .example("kopi-tirta-alas"),
    ],
};

pub const PRODUCER: Schema = Schema {
    label: "produsen",
    place: "producers/<slug>.md",
    body: "Cerita produsen",
    fields: &[
        Field::new(
            "name",
            Text,
            true,
            "Nama usaha (UKM/IKM) seperti tampil di katalog.",
        )
        .label("Nama usaha")
        .example("Kopi Sumber Rejeki"),
        Field::new(
            "kecamatan",
            Text,
            true,
            "Salah satu dari 33 kecamatan Kabupaten Malang.",
        )
        .label("Kecamatan")
        .rule(Rule::Kecamatan)
        .example("Dampit"),
        Field::new("desa", Text, true, "Desa atau kelurahan.")
            .label("Desa/kelurahan")
            .example("Sukodono"),
        Field::new("address", Text, false, "Alamat jalan, dusun, RT/RW.")
            .label("Alamat")
            .example("Dusun Krajan RT 02 RW 03"),
        Field::new(
            "whatsapp",
            Text,
            false,
            "Nomor WhatsApp (08…, +628… atau 628…).",
        )
        .label("WhatsApp")
        .rule(Rule::WhatsApp)
        .example("\"0812-3456-7890\""),
        Field::new(
            "nib",
            Text,
            true,
            "Nomor Induk Berusaha dari OSS, 13 angka.",
        )
        .label("NIB")
        .rule(Rule::Nib)
        .example("\"9120001234567\""),
        Field::new(
            "photo",
            Text,
            false,
            "Berkas foto produsen di samping berkas ini.",
        )
        .label("Foto")
        .rule(Rule::Image)
        .example("kopi-sumber-rejeki.jpg"),
        Field::new("since", Integer, false, "Tahun usaha mulai.")
            .label("Tahun mulai usaha")
            .rule(Rule::Year)
            .example("2015"),
    ],
};

pub const PAGE: Schema = Schema {
    label: "halaman",
    place: "pages/<slug>.md",
    body: "Isi halaman",
    fields: &[
        Field::new("title", Text, true, "Judul halaman.")
            .label("Judul")
            .example("Cara Belanja"),
        Field::new(
            "description",
            Text,
            false,
            "Ringkasan satu kalimat untuk mesin pencari.",
        )
        .label("Ringkasan"),
        Field::new(
            "weight",
            Integer,
            false,
            "Urutan di menu: angka kecil tampil lebih dulu.",
        )
        .label("Urutan di menu")
        .default("0")
        .example("10"),
        Field::new("menu", Boolean, false, "Tampil di menu situs.")
            .label("Tampil di menu")
            .default("true")
            .example("true"),
    ],
};

pub const CONTACT_FIELDS: &[Field] = &[
    Field::new(
        "phone",
        Text,
        false,
        "Nomor telepon galeri, seperti dicetak.",
    )
    .label("Telepon")
    .example("\"0341 000000\""),
    Field::new("whatsapp", Text, false, "Nomor WhatsApp galeri.")
        .label("WhatsApp")
        .rule(Rule::WhatsApp)
        .example("\"081200000000\""),
    Field::new("email", Text, false, "Alamat email galeri.")
        .label("Email")
        .rule(Rule::Email)
        .example("galeri@example.id"),
];

pub const SITE: Schema = Schema {
    label: "pengaturan situs",
    place: "site.yaml",
    body: "",
    fields: &[
        Field::new("title", Text, true, "Nama situs, tampil di kepala halaman.")
            .label("Nama situs"),
        Field::new("tagline", Text, false, "Satu baris di bawah nama situs.").label("Slogan"),
        Field::new(
            "base_url",
            Text,
            true,
            "Alamat lengkap situs, mis. https://galeri.malangkab.go.id.",
        )
        .label("Alamat situs")
        .rule(Rule::BaseUrl),
        Field::new("language", Text, true, "Bahasa halaman; hanya id.")
            .label("Bahasa")
            .rule(Rule::Language),
        Field::new(
            "sample_data",
            Boolean,
            false,
            "true selama produsen dan produk masih data contoh.",
        )
        .label("Data contoh")
        .default("false"),
        Field::new("address", Text, true, "Alamat galeri.").label("Alamat galeri"),
        Field::new(
            "opening_hours",
            TextList,
            true,
            "Jam buka, satu baris per butir.",
        )
        .label("Jam buka"),
        Field::new("contact", Mapping, false, "Kontak galeri.")
            .label("Kontak")
            .nested(CONTACT_FIELDS),
        Field::new(
            "api_base_url",
            Text,
            true,
            "Alamat API voucher untuk halaman Cek Saldo dan Kasir.",
        )
        .label("Alamat API voucher"),
        Field::new(
            "products_per_page",
            Integer,
            false,
            "Jumlah produk per halaman daftar (1–500).",
        )
        .label("Produk per halaman")
        .rule(Rule::PerPage)
        .default("24"),
        Field::new(
            "offices",
            TextList,
            false,
            "Kantor tujuan antar pesanan online, satu nama per butir; kosong: hanya ambil di galeri.",
        )
        .example("Kantor Kecamatan Kepanjen")
        .label("Kantor tujuan antar"),
        Field::new(
            "order_hold_days",
            Integer,
            false,
            "Berapa hari (WIB) saldo voucher ditahan untuk pesanan online yang belum diserahkan (1–30).",
        )
        .rule(Rule::HoldDays)
        .default("3")
        .label("Lama penahanan pesanan (hari)"),
    ],
};

pub const CATEGORY: Schema = Schema {
    label: "kategori",
    place: "categories.yaml",
    body: "",
    fields: &[
        Field::new(
            "slug",
            Text,
            true,
            "Slug kategori, dipakai di alamat /kategori/<slug>/.",
        )
        .label("Slug")
        .rule(Rule::Slug),
        Field::new("name", Text, true, "Nama kategori.").label("Nama kategori"),
        Field::new("description", Text, true, "Satu kalimat tentang kategori.").label("Keterangan"),
        Field::new(
            "food",
            Boolean,
            true,
            "true untuk pangan: produknya wajib P-IRT atau BPOM, dan halal.",
        )
        .label("Pangan"),
    ],
};

/// Every schema, for checks over all of them.
pub const ALL: [&Schema; 5] = [&PRODUCT, &PRODUCER, &PAGE, &SITE, &CATEGORY];

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::frontmatter::{Coverage, Fields, Locator};
    use super::super::{page, producer, product, site, ImageRoot};
    use super::*;
    use std::path::{Path, PathBuf};

    /// Runs `read` over a mapping where every nested mapping is present (so its keys are read
    /// too) and returns which declared keys it read.
    fn coverage(schema: &Schema, read: impl FnOnce(&mut Fields<'_>)) -> Coverage {
        let yaml: String = schema
            .fields
            .iter()
            .filter(|field| field.kind == Type::Mapping)
            .map(|field| format!("{}: {{}}\n", field.name))
            .collect();
        let value = serde_yaml::from_str(&yaml).unwrap_or(serde_yaml::Value::Null);
        let locator = Locator::new(&yaml, 2);
        let mut fields = Fields::new(
            value,
            schema.fields,
            &locator,
            Vec::new(),
            Path::new("x.md"),
            2026,
        );
        read(&mut fields);
        fields.coverage()
    }

    #[test]
    fn every_declared_field_is_read_and_every_read_field_is_declared() {
        let root = ImageRoot {
            content: PathBuf::from("."),
            canonical: PathBuf::from("."),
        };
        let cases: [(&Schema, Coverage); 5] = [
            (
                &PRODUCT,
                coverage(&PRODUCT, |fields| {
                    product::read(fields, "p", "s", &root, "");
                }),
            ),
            (
                &PRODUCER,
                coverage(&PRODUCER, |fields| {
                    producer::read(fields, "s", &root, "");
                }),
            ),
            (
                &PAGE,
                coverage(&PAGE, |fields| {
                    page::read(fields, "s", "");
                }),
            ),
            (
                &SITE,
                coverage(&SITE, |fields| {
                    site::read_site(fields);
                }),
            ),
            (
                &CATEGORY,
                coverage(&CATEGORY, |fields| {
                    site::read_category(fields);
                }),
            ),
        ];
        for (schema, coverage) in cases {
            assert_eq!(coverage, Coverage::default(), "{}", schema.label);
        }
    }

    #[test]
    fn the_coverage_check_catches_both_mistakes() {
        // A reader that forgets `unit` and reads an undeclared `colour` must be caught.
        let coverage = coverage(&PAGE, |fields| {
            fields.text("title");
            fields.text("description");
            fields.integer("weight");
            fields.text("colour");
        });
        assert_eq!(coverage.unread, vec!["menu".to_owned()]);
        assert_eq!(coverage.undeclared, vec!["colour".to_owned()]);
        let mistyped = super::tests::coverage(&PAGE, |fields| {
            fields.text("title");
            fields.text("description");
            fields.text("weight");
            fields.boolean("menu");
        });
        assert_eq!(mistyped.undeclared.len(), 1, "{mistyped:?}");
    }

    #[test]
    fn every_field_has_help_and_defaults_parse_as_their_type() {
        for schema in ALL {
            for field in schema
                .fields
                .iter()
                .chain(schema.fields.iter().flat_map(|f| f.nested))
            {
                assert!(!field.help.is_empty(), "{}: {}", schema.label, field.name);
                assert!(!field.label.is_empty(), "{}: {}", schema.label, field.name);
                if !field.default.is_empty() {
                    let value: serde_yaml::Value = serde_yaml::from_str(field.default).unwrap();
                    let fits = match field.kind {
                        Type::Boolean => value.is_bool(),
                        Type::Integer => value.is_i64(),
                        _ => value.is_string(),
                    };
                    assert!(fits, "{}: {}", schema.label, field.name);
                }
                assert_eq!(field.kind == Type::Mapping, !field.nested.is_empty());
            }
        }
    }
}
