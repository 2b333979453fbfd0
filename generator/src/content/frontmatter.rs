//! Front matter: splitting a `.md` file into its YAML head and Markdown body, parsing the YAML
//! with its real line/column on errors, finding where a key sits in the text (serde_yaml's
//! `Value` forgets positions), and reading typed fields while collecting every problem.

use super::diagnostics::{did_you_mean, Diagnostic, Expected, Hint, Position, Problem};
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

/// Reads typed fields from one mapping and records every problem instead of stopping.
pub struct Fields<'a> {
    mapping: Mapping,
    locator: &'a Locator<'a>,
    /// Path from the document root to this mapping.
    prefix: Vec<Step<'a>>,
    path: PathBuf,
    /// Where a missing key is reported: the mapping's own position.
    anchor: Position,
    pub diagnostics: Vec<Diagnostic>,
}

impl<'a> Fields<'a> {
    /// Checks that `value` is a mapping whose keys are all in `known`; reports unknown keys
    /// with a "did you mean" hint. A non-mapping is reported and read as empty.
    pub fn new(
        value: Value,
        known: &'static [&'static str],
        locator: &'a Locator<'a>,
        prefix: Vec<Step<'a>>,
        path: &Path,
    ) -> Fields<'a> {
        let found = locator.find(&prefix);
        let anchor = if prefix.is_empty() {
            locator.start()
        } else {
            found.key
        };
        let mut fields = Fields {
            mapping: Mapping::new(),
            locator,
            prefix,
            path: path.to_path_buf(),
            anchor,
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
                .or_else(|| Some(Hint::KnownKeys(known.to_vec())));
            fields.diagnostics.push(
                Diagnostic::new(path, position, Problem::UnknownKey { key: name }).with_hint(hint),
            );
        }
        fields
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

    fn missing(&mut self, key: &'a str) {
        let anchor = self.anchor;
        self.report(anchor, Problem::MissingKey { key: key.into() }, None);
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

    /// A text value; numbers are accepted as their text (YAML reads `unit: 250` as a number).
    pub fn text(&mut self, key: &'a str, required: bool) -> Option<String> {
        let text = match self.raw(key) {
            None => {
                if required {
                    self.missing(key);
                }
                return None;
            }
            Some(Value::String(text)) => text.trim().to_owned(),
            Some(Value::Number(number)) => number.to_string(),
            Some(_) => {
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

    pub fn integer(&mut self, key: &'a str, required: bool) -> Option<i64> {
        match self.raw(key) {
            None => {
                if required {
                    self.missing(key);
                }
                None
            }
            Some(value) => match value.as_i64() {
                Some(number) => Some(number),
                None => {
                    self.wrong_type(key, Expected::Integer);
                    None
                }
            },
        }
    }

    pub fn boolean(&mut self, key: &'a str, required: bool) -> Option<bool> {
        match self.raw(key) {
            None => {
                if required {
                    self.missing(key);
                }
                None
            }
            Some(Value::Bool(flag)) => Some(*flag),
            Some(_) => {
                self.wrong_type(key, Expected::Boolean);
                None
            }
        }
    }

    /// A list of text; a single text is accepted as a one-item list.
    pub fn text_list(&mut self, key: &'a str, required: bool) -> Option<Vec<String>> {
        match self.raw(key) {
            None => {
                if required {
                    self.missing(key);
                }
                None
            }
            Some(Value::String(text)) => Some(vec![text.trim().to_owned()]),
            Some(Value::Sequence(items)) => {
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
            Some(_) => {
                self.wrong_type(key, Expected::TextList);
                None
            }
        }
    }

    /// A nested mapping, as a raw value for a nested `Fields`.
    pub fn mapping(&mut self, key: &'a str) -> Option<Value> {
        match self.raw(key) {
            None => None,
            Some(value @ Value::Mapping(_)) => Some(value.clone()),
            Some(_) => {
                self.wrong_type(key, Expected::Mapping);
                None
            }
        }
    }

    /// Steps to a nested key, for building a nested `Fields`.
    pub fn nested(&self, key: &'a str) -> Vec<Step<'a>> {
        self.steps_to(key)
    }

    pub fn finish(self) -> Vec<Diagnostic> {
        self.diagnostics
    }
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
