//! `galeri schema`: prints the schema table (every key of every content type, with its type,
//! rule, label and Indonesian help) as a reference for staff, or as JSON (`--json`) for tools
//! and tests, e.g. the browser test that checks the web editor against it.

use crate::cli::SchemaArgs;
use crate::content::schema::{Field, Schema, ALL};
use crate::render::admin::COLLECTIONS;
use serde_json::{json, Value};
use std::io::Write;
use std::process::ExitCode;

pub fn run(args: SchemaArgs) -> anyhow::Result<ExitCode> {
    let text = if args.json {
        format!("{}\n", serde_json::to_string_pretty(&to_json())?)
    } else {
        to_text()
    };
    // Piped into `head` or `less` and closed early: not an error.
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        result => result?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Every schema as JSON; `editor` is the web editor's collection for it (null: not editable
/// there).
pub fn to_json() -> Value {
    let schemas: Vec<Value> = ALL
        .iter()
        .map(|schema| {
            let editor = COLLECTIONS
                .iter()
                .find(|collection| collection.schema.place == schema.place)
                .map(|collection| collection.name);
            json!({
                "label": schema.label,
                "place": schema.place,
                "body": schema.body,
                "editor": editor,
                "fields": fields(schema.fields),
            })
        })
        .collect();
    Value::Array(schemas)
}

fn fields(fields: &[Field]) -> Vec<Value> {
    fields
        .iter()
        .map(|field| {
            json!({
                "name": field.name,
                "label": field.label,
                "type": format!("{:?}", field.kind),
                "rule": format!("{:?}", field.rule),
                "required": field.required,
                "default": field.default,
                "example": field.example,
                "help": field.help,
                "options": field.options(),
                "fields": self::fields(field.nested),
            })
        })
        .collect()
}

/// The schema as staff read it: one block per content type, one line per key.
pub fn to_text() -> String {
    let mut text = String::new();
    for schema in ALL {
        text.push_str(&heading(schema));
        for field in schema.fields {
            line(&mut text, field, "  ");
            for nested in field.nested {
                line(&mut text, nested, "    ");
            }
        }
        text.push('\n');
    }
    text
}

fn heading(schema: &Schema) -> String {
    format!("{} ({})\n", schema.label, schema.place)
}

fn line(text: &mut String, field: &Field, indent: &str) {
    let required = if field.required {
        "wajib"
    } else {
        "boleh kosong"
    };
    text.push_str(&format!(
        "{indent}{} — {} ({required}): {}\n",
        field.name, field.label, field.help
    ));
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_json_lists_every_schema_and_key_and_where_the_editor_shows_it() {
        let json = to_json();
        let schemas = json.as_array().unwrap();
        assert_eq!(schemas.len(), ALL.len());
        for (schema, printed) in ALL.iter().zip(schemas) {
            let names: Vec<&str> = printed["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|field| field["name"].as_str().unwrap())
                .collect();
            assert_eq!(names, schema.names(), "{}", schema.label);
        }
        let editors: Vec<Option<&str>> = schemas
            .iter()
            .map(|schema| schema["editor"].as_str())
            .collect();
        assert_eq!(
            editors,
            [
                Some("produk"),
                Some("produsen"),
                Some("halaman"),
                Some("situs"),
                None
            ]
        );
        // Nested keys carry their own fields; the kecamatan its 33 options.
        let product = &schemas[0]["fields"];
        let permits = product
            .as_array()
            .unwrap()
            .iter()
            .find(|field| field["name"] == "permits")
            .unwrap();
        assert_eq!(permits["fields"].as_array().unwrap().len(), 4);
        let kecamatan = &schemas[1]["fields"][1];
        assert_eq!(kecamatan["options"].as_array().unwrap().len(), 33);
        assert!(to_text().contains("  sku — Kode barang (SKU) (wajib): "));
    }
}
