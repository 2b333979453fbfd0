//! Front matter: splitting a `.md` file into its YAML head and Markdown body, parsing the YAML
//! with its real line/column on errors, finding where a key sits in the text (serde_yaml's
//! `Value` forgets positions), and reading the fields a `schema` table declares while collecting
//! every problem.

use super::diagnostics::{did_you_mean, Diagnostic, Expected, Hint, Position, Problem};
use super::kecamatan;
use super::permits::{
    check_bpom, check_email, check_halal, check_nib, check_pirt, normalize_whatsapp,
};
use super::schema::{self, Field, Rule, Type};
use super::{check_image, Image, ImageRoot};
use chrono::NaiveDate;
use galeri_vouchers::Money;
use serde_yaml::{Mapping, Value};
use std::path::{Path, PathBuf};

/// A `.md` file split in two. `yaml_first_line` is the file line where the YAML starts, so
/// positions inside the YAML can be reported as file positions.
#[derive(Debug)]
pub struct Split<'a> {
    pub yaml: &'a str,
    pub yaml_first_line: usize,
    pub body: &'a str,
}

/// Splits `---\n<yaml>\n---\n<body>`. A byte-order mark and Windows line ends are accepted.
pub fn split(text: &str) -> Result<Split<'_>, Problem> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split_inclusive('\n');
    let first = lines.next().unwrap_or("");
    if first.trim_end() != "---" {
        return Err(Problem::NoFrontMatter);
    }
    let yaml_start = first.len();
    let mut offset = yaml_start;
    for line in lines {
        let trimmed = line.trim_end();
        if trimmed == "---" || trimmed == "..." {
            return Ok(Split {
                yaml: &text[yaml_start..offset],
                yaml_first_line: 2,
                body: &text[offset + line.len()..],
            });
        }
        offset += line.len();
    }
    Err(Problem::UnclosedFrontMatter)
}

/// Splits a content file and parses its front matter. A problem with either stops the file
/// there: it is the file's only diagnostic.
pub fn read<'a>(text: &'a str, path: &Path) -> Result<(Split<'a>, Value), Box<Diagnostic>> {
    let parts =
        split(text).map_err(|problem| Box::new(Diagnostic::new(path, Position::START, problem)))?;
    let value = parse_yaml(parts.yaml, parts.yaml_first_line, path)?;
    Ok((parts, value))
}

/// Parses YAML text; a parse error becomes a diagnostic at the parser's own line and column.
pub fn parse_yaml(yaml: &str, first_line: usize, path: &Path) -> Result<Value, Box<Diagnostic>> {
    serde_yaml::from_str::<Value>(yaml).map_err(|error| {
        let position = error
            .location()
            .map(|location| Position {
                line: location.line() + first_line - 1,
                col: location.column(),
            })
            .unwrap_or(Position {
                line: first_line,
                col: 1,
            });
        // serde_yaml appends " at line X column Y"; the position is already in the prefix.
        let text = error.to_string();
        let detail = match text.find(" at line ") {
            Some(index) => text[..index].to_owned(),
            None => text,
        };
        let position =
            duplicate_key_position(yaml, first_line, position, &detail).unwrap_or(position);
        Box::new(Diagnostic::new(path, position, Problem::Yaml { detail }))
    })
}

/// serde_yaml reports a duplicate key at the start of its mapping; point at the second
/// occurrence of the key instead, which is the line to fix.
fn duplicate_key_position(
    yaml: &str,
    first_line: usize,
    mapping: Position,
    detail: &str,
) -> Option<Position> {
    let key = detail
        .strip_prefix("duplicate entry with key \"")?
        .strip_suffix('"')?;
    let indent = mapping.col.checked_sub(1)?;
    yaml.lines()
        .enumerate()
        .skip(mapping.line.checked_sub(first_line)?)
        .filter(|(_, line)| {
            line.len() > indent
                && line[..indent]
                    .bytes()
                    .all(|byte| byte == b' ' || byte == b'-')
                && key_text(&line[indent..], key).is_some()
        })
        .nth(1)
        .map(|(index, _)| Position {
            line: index + first_line,
            col: mapping.col,
        })
}

/// One step in a path to a value: a mapping key or a list index.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// A meaningful line of YAML: where its text starts (1-based column) and the text.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    number: usize,
    col: usize,
    text: &'a str,
}

/// Finds keys and values in block-style YAML text by indentation. Good enough for front
/// matter written by hand; anything it cannot follow (flow style) falls back to the nearest
/// enclosing position it did find.
#[derive(Debug)]
pub struct Locator<'a> {
    lines: Vec<Line<'a>>,
    first_line: usize,
}

/// Where a key is, and where its value starts.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub key: Position,
    pub value: Position,
}

impl<'a> Locator<'a> {
    pub fn new(yaml: &'a str, first_line: usize) -> Locator<'a> {
        let lines = yaml
            .lines()
            .enumerate()
            .filter_map(|(index, raw)| {
                let indent = raw.chars().take_while(|c| *c == ' ').count();
                let text = raw[indent..].trim_end();
                if text.is_empty() || text.starts_with('#') {
                    None
                } else {
                    Some(Line {
                        number: index + first_line,
                        col: indent + 1,
                        text,
                    })
                }
            })
            .collect();
        Locator { lines, first_line }
    }

    /// The rest of the line from `position`, without a trailing comment.
    pub fn text_at(&self, position: Position) -> Option<&'a str> {
        let line = self
            .lines
            .iter()
            .find(|line| line.number == position.line)?;
        let skip = position.col.checked_sub(line.col)?;
        let start = line.text.char_indices().nth(skip).map(|(index, _)| index)?;
        let rest = &line.text[start..];
        Some(rest.split(" #").next().unwrap_or(rest).trim())
    }

    /// The position of the first line of the YAML, for problems with the whole document.
    pub fn start(&self) -> Position {
        Position {
            line: self.first_line,
            col: 1,
        }
    }

    /// Follows `steps` as far as possible; returns the deepest key/value found.
    pub fn find(&self, steps: &[Step<'_>]) -> Found {
        let start = self
            .lines
            .first()
            .map(|line| Position {
                line: line.number,
                col: line.col,
            })
            .unwrap_or(self.start());
        let mut found = Found {
            key: start,
            value: start,
        };
        let mut block: Vec<Line<'a>> = self.lines.clone();
        for step in steps {
            let Some(block_col) = block.first().map(|line| line.col) else {
                break;
            };
            match step {
                Step::Key(key) => {
                    let Some(index) = block.iter().position(|line| {
                        line.col == block_col && key_text(line.text, key).is_some()
                    }) else {
                        break;
                    };
                    let line = block[index];
                    let after = key_text(line.text, key).unwrap_or("");
                    let skipped = after.len() - after.trim_start().len();
                    let key_len = line.text.len() - after.len();
                    found.key = Position {
                        line: line.number,
                        col: line.col,
                    };
                    let children: Vec<Line<'a>> = block[index + 1..]
                        .iter()
                        .take_while(|child| {
                            child.col > block_col
                                || (child.col == block_col && child.text.starts_with('-'))
                        })
                        .copied()
                        .collect();
                    found.value = if after.trim().is_empty() {
                        children
                            .first()
                            .map(|child| Position {
                                line: child.number,
                                col: child.col,
                            })
                            .unwrap_or(found.key)
                    } else {
                        Position {
                            line: line.number,
                            col: line.col + line.text[..key_len + skipped].chars().count(),
                        }
                    };
                    block = children;
                }
                Step::Index(wanted) => {
                    let items: Vec<usize> = block
                        .iter()
                        .enumerate()
                        .filter(|(_, line)| line.col == block_col && is_item(line.text))
                        .map(|(index, _)| index)
                        .collect();
                    let Some(&index) = items.get(*wanted) else {
                        break;
                    };
                    let line = block[index];
                    let rest = line.text[1..].trim_start();
                    let rest_col = line.col + line.text.chars().count() - rest.chars().count();
                    found.key = Position {
                        line: line.number,
                        col: line.col,
                    };
                    found.value = Position {
                        line: line.number,
                        col: rest_col,
                    };
                    let mut children = Vec::new();
                    if !rest.is_empty() {
                        children.push(Line {
                            number: line.number,
                            col: rest_col,
                            text: rest,
                        });
                    }
                    children.extend(
                        block[index + 1..]
                            .iter()
                            .take_while(|child| child.col > block_col)
                            .copied(),
                    );
                    block = children;
                }
            }
        }
        found
    }
}

fn is_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// If `text` starts with `key:` (bare or quoted), the text after the colon.
fn key_text<'t>(text: &'t str, key: &str) -> Option<&'t str> {
    for quote in ["", "\"", "'"] {
        let Some(rest) = text.strip_prefix(quote) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix(key) else {
            continue;
        };
        let Some(rest) = rest.strip_prefix(quote) else {
            continue;
        };
        if let Some(after) = rest.strip_prefix(':') {
            if after.is_empty() || after.starts_with(' ') || after.starts_with('\t') {
                return Some(after);
            }
        }
    }
    None
}

/// Reads typed fields from one mapping and records every problem instead of stopping. Which
/// keys exist, their types, whether they are required, their defaults and their rules all come
/// from the mapping's `schema::Field` table; the readers only say which key they read.
pub struct Fields<'a> {
    mapping: Mapping,
    schema: &'static [Field],
    locator: &'a Locator<'a>,
    /// Path from the document root to this mapping.
    prefix: Vec<Step<'a>>,
    path: PathBuf,
    /// Where a missing key is reported: the mapping's own position.
    anchor: Position,
    /// Decides which P-IRT are expired and which years are in the future.
    this_year: i32,
    /// Every key read and the type it was read as (see `Coverage`).
    reads: Vec<(String, Type)>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Which keys a reader read, against the schema it declared: a declared key that is never read
/// would be silently accepted, and a read key that is not declared could never be written.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Declared but never read.
    pub unread: Vec<String>,
    /// Read but not declared, or read as another type than declared (`key: read as`).
    pub undeclared: Vec<String>,
}

impl<'a> Fields<'a> {
    /// Checks that `value` is a mapping whose keys are all declared in `schema`; reports unknown
    /// keys with a "did you mean" hint. A non-mapping is reported and read as empty.
    pub fn new(
        value: Value,
        schema: &'static [Field],
        locator: &'a Locator<'a>,
        prefix: Vec<Step<'a>>,
        path: &Path,
        this_year: i32,
    ) -> Fields<'a> {
        let found = locator.find(&prefix);
        let anchor = if prefix.is_empty() {
            locator.start()
        } else {
            found.key
        };
        let mut fields = Fields {
            mapping: Mapping::new(),
            schema,
            locator,
            prefix,
            path: path.to_path_buf(),
            anchor,
            this_year,
            reads: Vec::new(),
            diagnostics: Vec::new(),
        };
        match value {
            Value::Mapping(mapping) => fields.mapping = mapping,
            // An empty front matter is an empty mapping: every required key is then missing.
            Value::Null => {}
            _ => {
                let position = if fields.prefix.is_empty() {
                    fields.anchor
                } else {
                    found.value
                };
                fields
                    .diagnostics
                    .push(Diagnostic::new(path, position, Problem::NotMapping));
            }
        }
        let known: Vec<&'static str> = schema.iter().map(|field| field.name).collect();
        let unknown: Vec<(String, Position)> = fields
            .mapping
            .keys()
            .filter_map(|key| {
                let name = match key {
                    Value::String(name) => name.clone(),
                    other => serde_yaml::to_string(other)
                        .unwrap_or_default()
                        .trim()
                        .to_owned(),
                };
                (!known.contains(&name.as_str())).then_some(name)
            })
            .map(|name| {
                let position = fields.key_position_of(&name);
                (name, position)
            })
            .collect();
        for (name, position) in unknown {
            let hint = did_you_mean(&name, known.iter().copied())
                .or_else(|| Some(Hint::KnownKeys(known.clone())));
            fields.diagnostics.push(
                Diagnostic::new(path, position, Problem::UnknownKey { key: name }).with_hint(hint),
            );
        }
        fields
    }

    /// The fields of the nested mapping under `key` (its schema from the table), or `None` when
    /// the key is absent or not a mapping (reported).
    pub fn nested(&mut self, key: &'a str) -> Option<Fields<'a>> {
        self.note(key, Type::Mapping);
        let nested = schema::find(self.schema, key)
            .map(|field| field.nested)
            .unwrap_or(&[]);
        let value = match self.raw(key) {
            None => return None,
            Some(value @ Value::Mapping(_)) => value.clone(),
            Some(_) => {
                self.wrong_type(key, Expected::Mapping);
                return None;
            }
        };
        Some(Fields::new(
            value,
            nested,
            self.locator,
            self.steps_to(key),
            &self.path,
            self.this_year,
        ))
    }

    /// Takes over a nested mapping's problems and reads.
    pub fn absorb(&mut self, nested: Fields<'a>) {
        let parent = nested
            .prefix
            .last()
            .map(|step| match step {
                Step::Key(key) => (*key).to_owned(),
                Step::Index(index) => index.to_string(),
            })
            .unwrap_or_default();
        self.reads.extend(
            nested
                .reads
                .into_iter()
                .map(|(key, kind)| (format!("{parent}.{key}"), kind)),
        );
        self.diagnostics.extend(nested.diagnostics);
    }

    /// Which declared keys were read and which read keys were declared, nested ones included
    /// when their mapping was present and absorbed.
    pub fn coverage(&self) -> Coverage {
        let mut coverage = Coverage::default();
        for (key, kind) in &self.reads {
            let (parent, child) = match key.split_once('.') {
                Some((parent, child)) => (Some(parent), child),
                None => (None, key.as_str()),
            };
            let fields = match parent {
                Some(parent) => schema::find(self.schema, parent)
                    .map(|field| field.nested)
                    .unwrap_or(&[]),
                None => self.schema,
            };
            match schema::find(fields, child) {
                Some(field) if field.kind == *kind => {}
                Some(field) => coverage.undeclared.push(format!(
                    "{key}: read as {kind:?}, declared {:?}",
                    field.kind
                )),
                None => coverage.undeclared.push(key.clone()),
            }
        }
        let read = |name: &str| self.reads.iter().any(|(key, _)| key == name);
        for field in self.schema {
            if !read(field.name) {
                coverage.unread.push(field.name.to_owned());
            }
            for nested in field.nested {
                let name = format!("{}.{}", field.name, nested.name);
                if !read(&name) {
                    coverage.unread.push(name);
                }
            }
        }
        coverage
    }

    fn note(&mut self, key: &str, kind: Type) {
        self.reads.push((key.to_owned(), kind));
    }

    fn declared(&self, key: &str) -> Option<&'static Field> {
        schema::find(self.schema, key)
    }

    fn steps_to(&self, key: &'a str) -> Vec<Step<'a>> {
        let mut steps = self.prefix.clone();
        steps.push(Step::Key(key));
        steps
    }

    fn key_position_of(&self, key: &str) -> Position {
        let mut steps: Vec<Step<'_>> = self.prefix.clone();
        steps.push(Step::Key(key));
        let found = self.locator.find(&steps);
        found.key
    }

    /// Where the value of `key` starts (or the key itself for block values).
    pub fn value_position(&self, key: &'a str) -> Position {
        self.locator.find(&self.steps_to(key)).value
    }

    pub fn key_position(&self, key: &'a str) -> Position {
        self.locator.find(&self.steps_to(key)).key
    }

    /// Where item `index` of the list under `key` starts (falls back to the key's value).
    pub fn item_position(&self, key: &'a str, index: usize) -> Position {
        let mut steps = self.steps_to(key);
        steps.push(Step::Index(index));
        self.locator.find(&steps).value
    }

    /// The source text of the value of `key` on its line, when it is written inline.
    pub fn source_text(&self, key: &'a str) -> Option<&'a str> {
        let found = self.locator.find(&self.steps_to(key));
        if found.value == found.key {
            return None;
        }
        self.locator.text_at(found.value)
    }

    /// Position for a problem of the whole mapping (e.g. a rule between two keys).
    pub fn anchor(&self) -> Position {
        self.anchor
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn report(&mut self, position: Position, problem: Problem, hint: Option<Hint>) {
        self.diagnostics
            .push(Diagnostic::new(&self.path, position, problem).with_hint(hint));
    }

    /// Checks the slug the file name gives: well formed, and not one of `reserved` (names the
    /// site itself uses at that place in its URLs).
    pub fn check_file_slug(&mut self, slug: &str, reserved: &[&str]) {
        if !super::is_slug(slug) {
            self.report(
                Position::START,
                Problem::BadSlug { slug: slug.into() },
                None,
            );
        } else if reserved.contains(&slug) {
            self.report(
                Position::START,
                Problem::ReservedSlug { slug: slug.into() },
                None,
            );
        }
    }

    /// The raw value, if present and not null.
    pub fn raw(&self, key: &str) -> Option<&Value> {
        self.mapping.get(key).filter(|value| !value.is_null())
    }

    /// The raw value of `key`, or `None` after reporting it missing when the table says it is
    /// required.
    fn present(&mut self, key: &'a str) -> Option<Value> {
        let value = self.raw(key).cloned();
        if value.is_none() && self.declared(key).is_some_and(|field| field.required) {
            let anchor = self.anchor;
            self.report(anchor, Problem::MissingKey { key: key.into() }, None);
        }
        value
    }

    /// The declared default of `key`, as YAML.
    fn default_of(&self, key: &str) -> Option<Value> {
        self.declared(key)
            .filter(|field| !field.default.is_empty())
            .and_then(|field| serde_yaml::from_str(field.default).ok())
    }

    fn wrong_type(&mut self, key: &'a str, expected: Expected) {
        let position = self.value_position(key);
        self.report(
            position,
            Problem::WrongType {
                key: key.into(),
                expected,
            },
            None,
        );
    }

    /// A text value, checked against its declared rule (a WhatsApp number comes back
    /// normalized). Numbers are accepted as their text (YAML reads `unit: 250` as a number).
    pub fn text(&mut self, key: &'a str) -> Option<String> {
        self.note(key, Type::Text);
        let text = self.plain_text(key)?;
        let rule = self.declared(key).map_or(Rule::None, |field| field.rule);
        match check_text(rule, text, self.this_year) {
            Ok(text) => Some(text),
            Err((problem, hint)) => {
                let position = self.value_position(key);
                self.report(position, problem, hint);
                None
            }
        }
    }

    fn plain_text(&mut self, key: &'a str) -> Option<String> {
        let text = match self.present(key)? {
            Value::String(text) => text.trim().to_owned(),
            Value::Number(number) => number.to_string(),
            _ => {
                self.wrong_type(key, Expected::Text);
                return None;
            }
        };
        if text.is_empty() {
            let position = self.value_position(key);
            self.report(position, Problem::EmptyValue { key: key.into() }, None);
            return None;
        }
        Some(text)
    }

    /// One of the 33 kecamatan, in its official spelling.
    pub fn kecamatan(&mut self, key: &'a str) -> Option<&'static str> {
        self.note(key, Type::Text);
        let given = self.plain_text(key)?;
        let found = kecamatan::find(&given);
        if found.is_none() {
            let hint = did_you_mean(&given, kecamatan::KECAMATAN).or(Some(Hint::SeeKecamatanList));
            let position = self.value_position(key);
            self.report(position, Problem::UnknownKecamatan { name: given }, hint);
        }
        found
    }

    /// A date written `YYYY-MM-DD`.
    pub fn date(&mut self, key: &'a str) -> Option<NaiveDate> {
        self.note(key, Type::Date);
        let text = self.plain_text(key)?;
        match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
            Ok(date) => Some(date),
            Err(_) => {
                let position = self.value_position(key);
                self.report(position, Problem::BadDate { value: text }, None);
                None
            }
        }
    }

    /// A whole number within its rule's range; the declared default when absent.
    pub fn integer(&mut self, key: &'a str) -> Option<i64> {
        self.note(key, Type::Integer);
        let value = match self.present(key) {
            Some(value) => value,
            None => return self.default_of(key).and_then(|value| value.as_i64()),
        };
        let Some(number) = value.as_i64() else {
            self.wrong_type(key, Expected::Integer);
            return None;
        };
        let rule = self.declared(key).map_or(Rule::None, |field| field.rule);
        let problem = match rule {
            Rule::Year if !(1900..=i64::from(self.this_year)).contains(&number) => {
                Some(Problem::Year { year: number })
            }
            Rule::PerPage if !(1..=500).contains(&number) => {
                Some(Problem::ProductsPerPage { value: number })
            }
            Rule::HoldDays if !(1..=30).contains(&number) => {
                Some(Problem::OrderHoldDays { value: number })
            }
            _ => None,
        };
        match problem {
            Some(problem) => {
                let position = self.value_position(key);
                self.report(position, problem, None);
                None
            }
            None => Some(number),
        }
    }

    /// An amount of whole rupiah above zero. Strings like `"Rp45.000"` and floats like `45.000`
    /// (which YAML reads as 45.0) are refused, with the intended number as a hint when clear.
    pub fn money(&mut self, key: &'a str) -> Option<Money> {
        self.note(key, Type::Money);
        let raw = self.present(key)?;
        let position = self.value_position(key);
        match raw {
            Value::Number(number) if number.is_i64() || number.is_u64() => match number.as_i64() {
                Some(amount) if amount > 0 => Money::new(amount).ok(),
                Some(amount) => {
                    self.report(position, Problem::PriceNotPositive { price: amount }, None);
                    None
                }
                None => {
                    self.report(position, Problem::PriceNotWhole, None);
                    None
                }
            },
            _ => {
                let hint = self
                    .source_text(key)
                    .and_then(intended_rupiah)
                    .map(|digits| Hint::WriteAs(format!("{key}: {digits}")));
                self.report(position, Problem::PriceNotWhole, hint);
                None
            }
        }
    }

    /// `true` or `false`; the declared default when absent.
    pub fn boolean(&mut self, key: &'a str) -> Option<bool> {
        self.note(key, Type::Boolean);
        match self.present(key) {
            None => self.default_of(key).and_then(|value| value.as_bool()),
            Some(Value::Bool(flag)) => Some(flag),
            Some(_) => {
                self.wrong_type(key, Expected::Boolean);
                None
            }
        }
    }

    /// A list of text; a single text is accepted as a one-item list.
    pub fn text_list(&mut self, key: &'a str) -> Option<Vec<String>> {
        self.note(key, Type::TextList);
        self.plain_list(key)
    }

    fn plain_list(&mut self, key: &'a str) -> Option<Vec<String>> {
        match self.present(key)? {
            Value::String(text) => Some(vec![text.trim().to_owned()]),
            Value::Sequence(items) => {
                let texts: Option<Vec<String>> = items
                    .iter()
                    .map(|item| match item {
                        Value::String(text) => Some(text.trim().to_owned()),
                        Value::Number(number) => Some(number.to_string()),
                        _ => None,
                    })
                    .collect();
                if texts.is_none() {
                    self.wrong_type(key, Expected::TextList);
                }
                texts
            }
            _ => {
                self.wrong_type(key, Expected::TextList);
                None
            }
        }
    }

    /// Image files beside the page (a list), each checked to exist, stay inside `content/` and
    /// be a real image; problems point at the item.
    pub fn images(&mut self, key: &'a str, root: &ImageRoot) -> Vec<Image> {
        self.note(key, Type::TextList);
        let files = self.plain_list(key).unwrap_or_default();
        let page = self.path.clone();
        files
            .into_iter()
            .enumerate()
            .filter_map(|(index, file)| match check_image(root, &page, &file) {
                Ok(image) => Some(image),
                Err(problem) => {
                    let position = self.item_position(key, index);
                    self.report(position, problem, None);
                    None
                }
            })
            .collect()
    }

    /// One image file beside the page.
    pub fn image(&mut self, key: &'a str, root: &ImageRoot) -> Option<Image> {
        self.note(key, Type::Text);
        let file = self.plain_text(key)?;
        let page = self.path.clone();
        match check_image(root, &page, &file) {
            Ok(image) => Some(image),
            Err(problem) => {
                let position = self.value_position(key);
                self.report(position, problem, None);
                None
            }
        }
    }

    pub fn finish(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
}

/// Applies a text rule; the value comes back as it is kept (trimmed, normalized).
fn check_text(rule: Rule, text: String, this_year: i32) -> Result<String, (Problem, Option<Hint>)> {
    fn plain<T>(result: Result<T, Problem>) -> Result<T, (Problem, Option<Hint>)> {
        result.map_err(|problem| (problem, None))
    }
    match rule {
        Rule::Sku => {
            if is_sku(&text) {
                Ok(text)
            } else {
                let upper = text.to_uppercase();
                let hint = is_sku(&upper).then_some(Hint::WriteAs(upper));
                Err((Problem::BadSku { sku: text }, hint))
            }
        }
        Rule::Slug => {
            if super::is_slug(&text) {
                Ok(text)
            } else {
                Err((Problem::BadSlug { slug: text }, None))
            }
        }
        Rule::Nib => plain(check_nib(&text)).map(|()| text),
        Rule::Pirt => plain(check_pirt(&text, this_year)).map(|()| text),
        Rule::Bpom => plain(check_bpom(&text)).map(|()| text),
        Rule::Halal => plain(check_halal(&text)).map(|()| text),
        Rule::Email => plain(check_email(&text)).map(|()| text),
        Rule::WhatsApp => plain(normalize_whatsapp(&text)),
        Rule::BaseUrl => {
            let trimmed = text.trim_end_matches('/').to_owned();
            let host = trimmed
                .strip_prefix("https://")
                .or_else(|| trimmed.strip_prefix("http://"));
            if host.is_some_and(|host| !host.is_empty() && !host.contains(char::is_whitespace)) {
                Ok(trimmed)
            } else {
                Err((Problem::BaseUrl { value: text }, None))
            }
        }
        Rule::Language => {
            if text == "id" {
                Ok(text)
            } else {
                Err((
                    Problem::Language { value: text },
                    Some(Hint::WriteAs("language: id".into())),
                ))
            }
        }
        // Checked by their own readers (kecamatan, images, years) or across files (references).
        Rule::None
        | Rule::Kecamatan
        | Rule::Year
        | Rule::PerPage
        | Rule::HoldDays
        | Rule::Image
        | Rule::Producer
        | Rule::Category => Ok(text),
    }
}

/// `[A-Z0-9-]{3,32}`.
pub fn is_sku(sku: &str) -> bool {
    (3..=32).contains(&sku.len())
        && sku
            .bytes()
            .all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit() || byte == b'-')
}

/// `"Rp45.000"`, `45.000`, `'45000'` → `45000`; anything ambiguous (decimals) → `None`.
pub fn intended_rupiah(source: &str) -> Option<String> {
    let text = source.trim().trim_matches(|c| c == '"' || c == '\'').trim();
    let text = text
        .strip_prefix("Rp")
        .or_else(|| text.strip_prefix("rp"))
        .or_else(|| text.strip_prefix("RP"))
        .unwrap_or(text)
        .trim();
    let groups: Vec<&str> = text.split('.').collect();
    let grouped = groups.len() > 1
        && (1..=3).contains(&groups[0].len())
        && groups[1..].iter().all(|group| group.len() == 3);
    let digits: String = if grouped {
        groups.concat()
    } else {
        text.to_owned()
    };
    let valid = !digits.is_empty()
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then_some(digits)
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_front_matter_and_body() {
        let parts = split("---\nname: x\n---\nbody\n").unwrap();
        assert_eq!(parts.yaml, "name: x\n");
        assert_eq!(parts.body, "body\n");
        assert_eq!(split("name: x\n").unwrap_err(), Problem::NoFrontMatter);
        assert_eq!(
            split("---\nname: x\n").unwrap_err(),
            Problem::UnclosedFrontMatter
        );
    }

    #[test]
    fn yaml_errors_keep_their_file_position() {
        let error = parse_yaml("name: x\nprice: [1,\n", 2, Path::new("p.md")).unwrap_err();
        assert!(error.position.line >= 3, "{error:?}");
        assert!(matches!(error.problem, Problem::Yaml { .. }));
    }

    #[test]
    fn duplicate_keys_point_at_the_second_one() {
        let error =
            parse_yaml("name: A\nsku: X\nunit: u\nsku: Y\n", 2, Path::new("p.md")).unwrap_err();
        assert_eq!(error.position, Position { line: 5, col: 1 });
    }

    #[test]
    fn locates_nested_keys_and_list_items() {
        let yaml = "name: A\npermits:\n  pirt: \"1\"\n  halal: ID1\nimages:\n- a.png\n- b.png\n";
        let locator = Locator::new(yaml, 2);
        let found = locator.find(&[Step::Key("permits"), Step::Key("halal")]);
        assert_eq!(found.key, Position { line: 5, col: 3 });
        assert_eq!(found.value, Position { line: 5, col: 10 });
        let found = locator.find(&[Step::Key("images"), Step::Index(1)]);
        assert_eq!(found.value, Position { line: 8, col: 3 });
        let list = Locator::new("- slug: a\n  name: A\n- slug: b\n  food: x\n", 1);
        let found = list.find(&[Step::Index(1), Step::Key("food")]);
        assert_eq!(found.key, Position { line: 4, col: 3 });
        assert_eq!(found.value, Position { line: 4, col: 9 });
    }
}
