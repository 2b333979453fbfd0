//! A content type as a flat row of cells, derived from its `schema` table: the columns of the
//! products spreadsheet and the flags of `galeri new` (a nested mapping such as `permits`
//! becomes one column per key), front matter as cells, and cells written back as front matter.
//! Cells are what staff type: `45000`, `true`, `2026-11-27`, a list as `robusta, bubuk`.

use super::schema::{Field, Type};
use serde_yaml::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Cell values keyed by field path (`price`, `permits.pirt`).
pub type Cells = BTreeMap<String, String>;

/// One column: a top-level field, or a field of a nested mapping.
#[derive(Debug, Clone)]
pub struct Column {
    /// The heading: the field's own name (nested names are unique within a schema).
    pub name: &'static str,
    /// `price` or `permits.pirt`.
    pub path: String,
    pub field: &'static Field,
    /// The mapping it sits in, for nested fields.
    pub parent: Option<&'static Field>,
}

/// The columns of a schema, in declaration order, nested mappings flattened in place.
pub fn columns(fields: &'static [Field]) -> Vec<Column> {
    let mut columns = Vec::new();
    for field in fields {
        if field.kind == Type::Mapping {
            for nested in field.nested {
                columns.push(Column {
                    name: nested.name,
                    path: format!("{}.{}", field.name, nested.name),
                    field: nested,
                    parent: Some(field),
                });
            }
        } else {
            columns.push(Column {
                name: field.name,
                path: field.name.to_owned(),
                field,
                parent: None,
            });
        }
    }
    columns
}

/// Lists are one cell, items separated by commas.
const LIST_SEPARATOR: char = ',';

/// The cells of a front matter mapping, as `export` writes them: values as written, lists
/// joined with `, `, absent keys empty.
pub fn cells_from_yaml(fields: &'static [Field], mapping: &Value) -> Cells {
    let mut cells = Cells::new();
    for column in columns(fields) {
        let value = match column.parent {
            Some(parent) => mapping
                .get(parent.name)
                .and_then(|nested| nested.get(column.name)),
            None => mapping.get(column.name),
        };
        cells.insert(
            column.path.clone(),
            value.map(cell_text).unwrap_or_default(),
        );
    }
    cells
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::Bool(flag) => flag.to_string(),
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.trim().to_owned(),
        Value::Sequence(items) => items
            .iter()
            .map(cell_text)
            .collect::<Vec<_>>()
            .join(&format!("{LIST_SEPARATOR} ")),
        // Not a cell value: kept as YAML so the check reports it where it is written.
        other => serde_yaml::to_string(other)
            .unwrap_or_default()
            .trim()
            .to_owned(),
    }
}

/// A cell as it compares: trimmed, list items trimmed and rejoined, `TRUE` (as spreadsheets
/// write it) as `true`.
pub fn normalize(column: &Column, cell: &str) -> String {
    match column.field.kind {
        Type::TextList => split_list(cell).join(&format!("{LIST_SEPARATOR} ")),
        Type::Boolean => cell.trim().to_lowercase(),
        _ => cell.trim().to_owned(),
    }
}

fn split_list(cell: &str) -> Vec<&str> {
    cell.split(LIST_SEPARATOR)
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .collect()
}

/// Front matter written from cells. `lines[i]` is the field path written on YAML line `i`
/// (0-based), so a problem found in the YAML can be traced back to its cell or flag.
#[derive(Debug, Default)]
pub struct Written {
    pub yaml: String,
    pub lines: Vec<Option<String>>,
}

impl Written {
    fn line(&mut self, text: &str, path: Option<&str>) {
        self.yaml.push_str(text);
        self.yaml.push('\n');
        self.lines.push(path.map(str::to_owned));
    }

    /// The field path written on file line `line` of a page whose YAML starts on line 2.
    pub fn path_at(&self, line: usize) -> Option<&str> {
        line.checked_sub(2)
            .and_then(|index| self.lines.get(index))
            .and_then(Option::as_deref)
    }

    /// The whole page: front matter and body.
    pub fn page(&self, body: &str) -> String {
        format!("---\n{}---\n{body}", self.yaml)
    }
}

/// Writes front matter for `fields` from `cells`; empty cells are left out. With `comments`,
/// each key gets its help line above it, and each optional key left out is written as a
/// commented-out example, so a new page shows every key it may have.
pub fn write_front_matter(fields: &'static [Field], cells: &Cells, comments: bool) -> Written {
    let mut written = Written::default();
    for field in fields {
        write_field(&mut written, field, "", cells, comments);
    }
    written
}

fn write_field(written: &mut Written, field: &Field, parent: &str, cells: &Cells, comments: bool) {
    let indent = if parent.is_empty() { "" } else { "  " };
    let path = if parent.is_empty() {
        field.name.to_owned()
    } else {
        format!("{parent}.{}", field.name)
    };
    let help = |written: &mut Written| {
        if comments {
            let required = if field.required { "wajib" } else { "opsional" };
            written.line(&format!("{indent}# {} ({required})", field.help), None);
        }
    };
    if field.kind == Type::Mapping {
        let present = field.nested.iter().any(|nested| {
            cells
                .get(&format!("{path}.{}", nested.name))
                .is_some_and(|cell| !cell.trim().is_empty())
        });
        if present {
            help(written);
            written.line(&format!("{}:", field.name), Some(&path));
            for nested in field.nested {
                write_field(written, nested, &path, cells, comments);
            }
        } else if comments {
            help(written);
            written.line(&format!("# {}:", field.name), None);
            for nested in field.nested {
                written.line(&format!("#   {}: {}", nested.name, example(nested)), None);
            }
        }
        return;
    }
    let cell = cells.get(&path).map(|cell| cell.trim()).unwrap_or("");
    if cell.is_empty() {
        if comments && !field.required {
            help(written);
            written.line(
                &format!("{indent}# {}: {}", field.name, example(field)),
                None,
            );
        }
        return;
    }
    help(written);
    match field.kind {
        Type::TextList => {
            let items: Vec<String> = split_list(cell).into_iter().map(yaml_text).collect();
            written.line(
                &format!("{indent}{}: [{}]", field.name, items.join(", ")),
                Some(&path),
            );
        }
        Type::Text => written.line(
            &format!("{indent}{}: {}", field.name, yaml_text(cell)),
            Some(&path),
        ),
        // Written as typed when it is one plain word, so the check sees what staff typed
        // (`45.000` is then refused with its hint); anything else is quoted and refused as text.
        Type::Integer | Type::Money | Type::Boolean | Type::Date | Type::Mapping => {
            let plain = cell
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
            let value = if plain { cell.to_owned() } else { quoted(cell) };
            written.line(&format!("{indent}{}: {value}", field.name), Some(&path));
        }
    }
}

fn example(field: &Field) -> &'static str {
    if field.example.is_empty() {
        "…"
    } else {
        field.example
    }
}

/// Text as a YAML scalar: bare when YAML would read it back as the same text, else quoted.
pub fn yaml_text(text: &str) -> String {
    let starts_with_letter = text.chars().next().is_some_and(char::is_alphabetic);
    let lower = text.to_lowercase();
    let keyword = matches!(
        lower.as_str(),
        "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
    );
    let risky = text.contains(": ")
        || text.contains(" #")
        || text.ends_with(':')
        || text.contains(['"', '\'', '\n', '\t', '{', '}', '[', ']', '`', '\\'])
        || text != text.trim();
    if starts_with_letter && !keyword && !risky {
        text.to_owned()
    } else {
        quoted(text)
    }
}

/// A double-quoted YAML scalar (JSON string syntax is valid YAML).
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::super::schema::{ALL, PRODUCT};
    use super::*;

    #[test]
    fn column_names_are_unique_in_every_schema() {
        for schema in ALL {
            let mut names: Vec<&str> = columns(schema.fields).iter().map(|c| c.name).collect();
            let count = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), count, "{}", schema.label);
        }
    }

    #[test]
    fn cells_survive_front_matter_and_back() {
        let mut cells = Cells::new();
        for (path, cell) in [
            ("name", "Kopi \"Lanang\": robusta #1"),
            ("sku", "KTA-KOP-004"),
            ("price", "60000"),
            ("unit", "200 g"),
            ("tags", "robusta,  peaberry , "),
            ("permits.pirt", "2103507040002-30"),
            ("permits.non_halal", "false"),
            ("available", "TRUE"),
            ("added", "2026-09-28"),
        ] {
            cells.insert(path.to_owned(), cell.to_owned());
        }
        let written = write_front_matter(PRODUCT.fields, &cells, false);
        let value: Value = serde_yaml::from_str(&written.yaml).unwrap();
        let back = cells_from_yaml(PRODUCT.fields, &value);
        assert_eq!(back["name"], "Kopi \"Lanang\": robusta #1");
        assert_eq!(back["tags"], "robusta, peaberry");
        assert_eq!(back["permits.pirt"], "2103507040002-30");
        assert_eq!(back["available"], "true");
        assert_eq!(back["images"], "");
        assert_eq!(written.path_at(2).unwrap(), "name");
    }
}
