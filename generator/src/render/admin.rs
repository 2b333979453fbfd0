//! The web editor at `/admin/`: Decap CMS with its configuration (`config.yml`) generated from
//! the schema table (`content::schema`), and the Decap bundle copied from the theme's pinned
//! npm packages (`<theme>/admin/node_modules/decap-cms/dist`).
//!
//! The bundle is not vendored in git (6 MB of minified JavaScript in 97 files, replaced on every
//! Decap update) and never loaded from a CDN (the editor must work in the office without
//! depending on a third-party host, and a CDN script could change under us): `package.json`
//! pins `decap-cms` and `package-lock.json` pins every byte, so `npm ci` gives the same bundle
//! everywhere. When `node_modules` is absent the build still succeeds and `/admin/` says, in
//! Indonesian, how to install it (`<theme>/admin/missing.html`).

use crate::content::schema::{Field, Rule, Schema, Type, PAGE, PRODUCER, PRODUCT, SITE};
use crate::content::Library;
use crate::output::atomic::{Contents, Tree};
use serde_yaml::{Mapping, Value};
use std::path::Path;

/// Where Decap's local backend (`decap-server`) listens by default. The editor writes through
/// it into the content folder on the office computer (content/README.md, "Editor web").
pub const LOCAL_BACKEND: &str = "http://localhost:8081/api/v1";

/// Where a collection's entries are.
#[derive(Debug, Clone, Copy)]
pub enum Place {
    /// One file per entry in `folder`; `path` (a Decap template) when entries sit deeper.
    Folder {
        folder: &'static str,
        path: Option<&'static str>,
    },
    /// One settings file.
    File { file: &'static str },
}

/// One collection of the editor: a schema and where its files are.
#[derive(Debug, Clone, Copy)]
pub struct Collection {
    /// Decap's name for it (appears in the editor's URLs).
    pub name: &'static str,
    pub schema: &'static Schema,
    pub place: Place,
}

/// What staff edit in the browser. `categories.yaml` is not here: its top level is a list, and
/// Decap only edits files whose top level is a mapping; a product's category is a select over
/// the categories of the build instead (`categories.yaml` stays edited by hand, rarely).
pub const COLLECTIONS: [Collection; 4] = [
    Collection {
        name: "produk",
        schema: &PRODUCT,
        // The producer is the folder: a new product goes to `products/<producer>/<slug>.md`.
        place: Place::Folder {
            folder: "products",
            path: Some("{{producer}}/{{slug}}"),
        },
    },
    Collection {
        name: "produsen",
        schema: &PRODUCER,
        place: Place::Folder {
            folder: "producers",
            path: None,
        },
    },
    Collection {
        name: "halaman",
        schema: &PAGE,
        place: Place::Folder {
            folder: "pages",
            path: None,
        },
    },
    Collection {
        name: "situs",
        schema: &SITE,
        place: Place::File { file: "site.yaml" },
    },
];

/// The label of a collection as staff see it: the schema's label, capitalised.
pub fn collection_label(schema: &Schema) -> String {
    let mut characters = schema.label.chars();
    match characters.next() {
        Some(first) => first.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

fn text(value: &str) -> Value {
    Value::String(value.to_owned())
}

fn mapping<const N: usize>(pairs: [(&str, Value); N]) -> Mapping {
    let mut map = Mapping::new();
    for (key, value) in pairs {
        map.insert(text(key), value);
    }
    map
}

/// Decap's whole configuration for this content.
pub fn config(library: &Library) -> Value {
    let collections = COLLECTIONS
        .iter()
        .map(|collection| Value::Mapping(self::collection(collection, library)))
        .collect();
    Value::Mapping(mapping([
        (
            "backend",
            Value::Mapping(mapping([
                ("name", text("proxy")),
                ("proxy_url", text(LOCAL_BACKEND)),
            ])),
        ),
        ("locale", text("id")),
        // No `site_url`: Decap would link every entry to the published site, where a page just
        // saved in the office is not yet (the preview is `galeri serve`'s own address).
        // Photos belong beside their page (each collection sets `media_folder: ""`); this folder
        // only serves Decap's general media library.
        ("media_folder", text("uploads")),
        (
            "slug",
            Value::Mapping(mapping([
                ("encoding", text("ascii")),
                ("clean_accents", Value::Bool(true)),
            ])),
        ),
        ("collections", Value::Sequence(collections)),
    ]))
}

fn collection(collection: &Collection, library: &Library) -> Mapping {
    let schema = collection.schema;
    let label = collection_label(schema);
    let path = match collection.place {
        Place::Folder { path, .. } => path.unwrap_or(""),
        Place::File { .. } => "",
    };
    let mut fields: Vec<Value> = schema
        .fields
        .iter()
        .map(|field| Value::Mapping(self::field(field, path, library)))
        .collect();
    if !schema.body.is_empty() {
        fields.push(Value::Mapping(mapping([
            ("label", text(schema.body)),
            ("name", text("body")),
            ("widget", text("markdown")),
            ("required", Value::Bool(false)),
            ("hint", text("Teks di bawah data di atas (Markdown).")),
        ])));
    }
    let mut map = mapping([("name", text(collection.name)), ("label", text(&label))]);
    // The editor's preview pane does not use the site's templates: it would mislead.
    let editor = Value::Mapping(mapping([("preview", Value::Bool(false))]));
    match collection.place {
        Place::Folder { folder, path } => {
            let identifier = schema
                .fields
                .iter()
                .find(|field| field.required && field.kind == Type::Text)
                .map_or("title", |field| field.name);
            map.insert(text("label_singular"), text(&label));
            map.insert(text("folder"), text(folder));
            if let Some(path) = path {
                map.insert(text("path"), text(path));
            }
            map.insert(text("create"), Value::Bool(true));
            map.insert(text("extension"), text("md"));
            map.insert(text("format"), text("frontmatter"));
            map.insert(text("identifier_field"), text(identifier));
            map.insert(text("slug"), text("{{slug}}"));
            // Photos are files beside the page (content/README.md).
            map.insert(text("media_folder"), text(""));
            map.insert(text("public_folder"), text(""));
            map.insert(text("editor"), editor);
            map.insert(text("fields"), Value::Sequence(fields));
        }
        Place::File { file } => {
            let entry = mapping([
                ("name", text(collection.name)),
                ("label", text(&label)),
                ("file", text(file)),
                ("editor", editor),
                ("fields", Value::Sequence(fields)),
            ]);
            map.insert(text("files"), Value::Sequence(vec![Value::Mapping(entry)]));
        }
    }
    map
}

/// One field as a Decap widget. `path` is the collection's path template: a field it names
/// must be filled in, or a new entry would have no folder.
fn field(field: &Field, path: &str, library: &Library) -> Mapping {
    let mut map = mapping([("label", text(field.label)), ("name", text(field.name))]);
    let mut set = |key: &str, value: Value| {
        map.insert(text(key), value);
    };
    match (field.kind, field.rule) {
        (_, Rule::Producer) => {
            set("widget", text("relation"));
            set("collection", text("produsen"));
            set("value_field", text("{{slug}}"));
            set("search_fields", Value::Sequence(vec![text("name")]));
            set("display_fields", Value::Sequence(vec![text("name")]));
            // Decap lists 20 by default: staff scrolling for their producer would miss the rest.
            set("options_length", Value::from(500));
        }
        (_, Rule::Category) => {
            let options = library
                .categories
                .iter()
                .map(|category| {
                    Value::Mapping(mapping([
                        ("label", text(&category.name)),
                        ("value", text(&category.slug)),
                    ]))
                })
                .collect();
            set("widget", text("select"));
            set("options", Value::Sequence(options));
        }
        (Type::TextList, Rule::Image) => {
            set("widget", text("list"));
            set(
                "field",
                Value::Mapping(mapping([
                    ("label", text(field.label)),
                    ("name", text("image")),
                    ("widget", text("image")),
                ])),
            );
        }
        (_, Rule::Image) => set("widget", text("image")),
        _ if field.options().is_some() => {
            let options = field
                .options()
                .unwrap_or_default()
                .iter()
                .map(|option| text(option))
                .collect();
            set("widget", text("select"));
            set("options", Value::Sequence(options));
        }
        (Type::Money, _) => {
            set("widget", text("number"));
            set("value_type", text("int"));
            set("min", Value::from(1));
            set("step", Value::from(1));
        }
        (Type::Integer, rule) => {
            set("widget", text("number"));
            set("value_type", text("int"));
            match rule {
                Rule::Year => set("min", Value::from(1900)),
                Rule::PerPage => {
                    set("min", Value::from(1));
                    set("max", Value::from(500));
                }
                _ => {}
            }
        }
        (Type::Boolean, _) => set("widget", text("boolean")),
        (Type::Date, _) => {
            set("widget", text("datetime"));
            // Stored as the parser reads it; shown the Indonesian way (day/month/year).
            set("format", text("YYYY-MM-DD"));
            set("date_format", text("DD/MM/YYYY"));
            set("time_format", Value::Bool(false));
        }
        (Type::TextList, _) => set("widget", text("list")),
        (Type::Mapping, _) => {
            let nested = field
                .nested
                .iter()
                .map(|nested| Value::Mapping(self::field(nested, "", library)))
                .collect();
            set("widget", text("object"));
            set("collapsed", Value::Bool(false));
            set("fields", Value::Sequence(nested));
        }
        (Type::Text, _) => set("widget", text("string")),
    }
    let named_by_path = path.contains(&format!("{{{{{}}}}}", field.name));
    if !field.required && !named_by_path {
        set("required", Value::Bool(false));
    }
    if !field.default.is_empty() {
        if let Ok(default) = serde_yaml::from_str::<Value>(field.default) {
            set("default", default);
        }
    }
    set("hint", text(field.help));
    map
}

/// What `write` wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Written {
    pub files: usize,
    /// The Decap bundle was installed and copied; otherwise `/admin/` says how to install it.
    pub bundled: bool,
}

/// Writes `/admin/` into the build folder `root`: the page, its configuration and, when the
/// theme's npm packages are installed, the Decap bundle. A theme without `admin/` gets none.
pub fn write(tree: &Tree, theme: &Path, library: &Library) -> std::io::Result<Written> {
    let source = theme.join("admin");
    if !source.is_dir() {
        return Ok(Written::default());
    }
    let out = Path::new("admin");
    let header =
        "# Dibuat oleh `galeri build` dari generator/src/content/schema.rs: jangan diubah \
                  di sini.\n# Generated from the schema table; edit the schema, not this file.\n";
    let yaml = serde_yaml::to_string(&config(library)).map_err(std::io::Error::other)?;
    tree.add(
        out.join("config.yml"),
        Contents::Bytes(format!("{header}{yaml}").into_bytes()),
    );
    let bundle = source.join("node_modules/decap-cms/dist");
    let mut files = 1;
    let bundled = bundle.join("decap-cms.js").is_file();
    if bundled {
        for name in ["index.html", "galeri-admin.js"] {
            tree.add(out.join(name), Contents::Copy(source.join(name)));
        }
        files += 2;
        let target = out.join("decap");
        for entry in std::fs::read_dir(&bundle)? {
            let entry = entry?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // The main script, the chunks it loads on demand, its WebAssembly and its licence;
            // not the source maps (25 MB) nor the second build (`cms.js`).
            let wanted = name == "decap-cms.js"
                || name.ends_with(".decap-cms.js")
                || name.ends_with(".wasm")
                || name == "decap-cms.js.LICENSE.txt";
            if wanted {
                tree.add(target.join(&*name), Contents::Copy(entry.path()));
                files += 1;
            }
        }
    } else {
        tree.add(
            out.join("index.html"),
            Contents::Copy(source.join("missing.html")),
        );
        files += 1;
    }
    Ok(Written { files, bundled })
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::content::schema::{Field, ALL, CATEGORY};
    use std::path::PathBuf;

    fn library() -> Library {
        let content = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../content");
        crate::content::load(
            &content,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        )
        .unwrap()
    }

    fn names(fields: &Value) -> Vec<String> {
        fields
            .as_sequence()
            .unwrap()
            .iter()
            .map(|field| field["name"].as_str().unwrap().to_owned())
            .collect()
    }

    /// Every declared key (nested ones too) is a field of its collection, in the schema's order
    /// (Decap writes front matter in field order), with its label, hint and requiredness.
    fn assert_covers(fields: &Value, declared: &[Field], body: &str, context: &str) {
        let mut expected: Vec<String> = declared.iter().map(|f| f.name.to_owned()).collect();
        if !body.is_empty() {
            expected.push("body".to_owned());
        }
        assert_eq!(names(fields), expected, "{context}");
        for (field, config) in declared.iter().zip(fields.as_sequence().unwrap()) {
            let context = format!("{context}.{}", field.name);
            assert_eq!(config["label"].as_str(), Some(field.label), "{context}");
            assert_eq!(config["hint"].as_str(), Some(field.help), "{context}");
            let optional = config["required"].as_bool() == Some(false);
            // Only a field the path names may be stricter than the schema.
            assert!(
                optional != field.required || field.rule == Rule::Producer,
                "{context}"
            );
            let widget = config["widget"].as_str().unwrap();
            let expected_widget = match (field.kind, field.rule) {
                (_, Rule::Producer) => "relation",
                (_, Rule::Category | Rule::Kecamatan | Rule::Language) => "select",
                (Type::TextList, _) => "list",
                (_, Rule::Image) => "image",
                (Type::Money | Type::Integer, _) => "number",
                (Type::Boolean, _) => "boolean",
                (Type::Date, _) => "datetime",
                (Type::Mapping, _) => "object",
                (Type::Text, _) => "string",
            };
            assert_eq!(widget, expected_widget, "{context}");
            if field.kind == Type::Mapping {
                assert_covers(&config["fields"], field.nested, "", &context);
            }
        }
    }

    #[test]
    fn the_editor_config_covers_every_schema_field() {
        let library = library();
        let config = config(&library);
        let collections = config["collections"].as_sequence().unwrap();
        // Every schema but the categories (a top-level list, which Decap cannot edit).
        let editable: Vec<&Schema> = ALL
            .into_iter()
            .filter(|schema| schema.place != CATEGORY.place)
            .collect();
        assert_eq!(collections.len(), editable.len());
        for schema in editable {
            let label = collection_label(schema);
            let collection = collections
                .iter()
                .find(|collection| collection["label"].as_str() == Some(label.as_str()))
                .unwrap_or_else(|| panic!("no collection for {}", schema.label));
            let fields = match collection.get("files") {
                Some(files) => &files[0]["fields"],
                None => &collection["fields"],
            };
            assert_covers(fields, schema.fields, schema.body, schema.label);
        }
    }

    #[test]
    fn relations_and_selects_point_at_real_values() {
        let library = library();
        let config = config(&library);
        let products = &config["collections"][0];
        assert_eq!(products["folder"].as_str(), Some("products"));
        let fields = products["fields"].as_sequence().unwrap();
        let by_name = |name: &str| {
            fields
                .iter()
                .find(|field| field["name"].as_str() == Some(name))
                .unwrap()
        };
        // The producer picks a producer's slug (the file name), which is also the folder.
        let producer = by_name("producer");
        assert_eq!(producer["collection"].as_str(), Some("produsen"));
        assert_eq!(producer["value_field"].as_str(), Some("{{slug}}"));
        assert!(products["path"].as_str().unwrap().contains("{{producer}}"));
        // A category is one of categories.yaml's slugs.
        let categories: Vec<&str> = by_name("category")["options"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|option| option["value"].as_str().unwrap())
            .collect();
        let slugs: Vec<&str> = library.categories.iter().map(|c| c.slug.as_str()).collect();
        assert_eq!(categories, slugs);
        // A kecamatan is one of the 33.
        let producers = &config["collections"][1];
        let kecamatan = producers["fields"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|field| field["name"].as_str() == Some("kecamatan"))
            .unwrap();
        assert_eq!(kecamatan["options"].as_sequence().unwrap().len(), 33);
        // The price is stored as a whole number, which the parser demands.
        assert_eq!(by_name("price")["value_type"].as_str(), Some("int"));
    }

    #[test]
    fn without_the_npm_packages_the_page_says_how_to_get_them() {
        let library = library();
        let out = tempfile::tempdir().unwrap();
        let theme = tempfile::tempdir().unwrap();
        let real = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../themes/default/admin");
        std::fs::create_dir_all(theme.path().join("admin")).unwrap();
        for file in [
            "index.html",
            "galeri-admin.js",
            "missing.html",
            "package.json",
        ] {
            std::fs::copy(real.join(file), theme.path().join("admin").join(file)).unwrap();
        }
        let tree = Tree::new();
        let written = write(&tree, theme.path(), &library).unwrap();
        crate::output::atomic::sync(tree, out.path()).unwrap();
        assert_eq!(
            written,
            Written {
                files: 2,
                bundled: false
            }
        );
        let page = std::fs::read_to_string(out.path().join("admin/index.html")).unwrap();
        assert!(
            page.contains("npm ci --prefix themes/default/admin"),
            "{page}"
        );
        let config = std::fs::read_to_string(out.path().join("admin/config.yml")).unwrap();
        let parsed: Value = serde_yaml::from_str(&config).unwrap();
        assert_eq!(parsed, self::config(&library));
    }
}
