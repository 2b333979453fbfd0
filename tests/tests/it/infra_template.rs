//! The SAM template (`infra/template.yaml`) checked against the code it deploys: every Lambda
//! binary has exactly one function, every route of `infra/openapi.yaml` is wired to the function
//! that serves it (`galeri_api::Function::routes`), and each function is granted exactly the
//! DynamoDB actions its code calls, derived from the source.
//!
//! How "the actions its code calls" is derived (read from source text, no AWS needed):
//! 1. The handlers a function serves are the `handlers::…` of its arm in `Function::router`
//!    (`functions/api/src/lib.rs`).
//! 2. From those handlers, every function, method and type of the API crate they mention is
//!    followed (a type brings all the methods of its `impl` blocks: that is how extractors such
//!    as `Cashier` reach the token lookup); the calls `ledger.X(` and `store().X(` found on the
//!    way are the ledger operations and store methods used.
//! 3. Ledger operations are followed in `functions/vouchers/src/ledger.rs` to `self.store.X(`.
//! 4. Store methods are followed in `functions/vouchers/src/dynamodb/` through `self.X(` and
//!    `store.X(` helpers down to SDK calls (`.get_item()`, `.query()`, …) and transaction parts
//!    (`TransactWriteItem::builder().put(` …), which name the IAM actions. A query on the index
//!    needs the index's ARN, so `query_all(true, …)` is told apart from `query_all(false, …)`.
//!
//! Mentions are followed generously, so the derived set can only be too large, never too small:
//! a grant that the code needs is never missed, and an extra grant fails the test too.

// A test helper that finds the template or the source not shaped as expected fails the test:
// that is what `expect` and `panic!` are for here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use galeri_api::Function;
use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// The DynamoDB store's source files (`functions/vouchers/src/dynamodb/*.rs`), sorted.
fn store_files() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(root().join("functions/vouchers/src/dynamodb"))
        .expect("functions/vouchers/src/dynamodb")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .map(|path| {
            path.strip_prefix(root())
                .expect("inside the workspace")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    files
}

/// The DynamoDB store's whole source, its files one after another.
fn store_source() -> String {
    store_files().iter().map(|file| read(file)).collect()
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(root().join(relative))
        .unwrap_or_else(|error| panic!("reading {relative}: {error}"))
}

// ------------------------------------------------------------------------------ the template

/// CloudFormation short tags (`!Ref X`, `!Sub s`, `!GetAtt A.B`) rewritten to their long forms
/// (`{Ref: X}`, `{Fn::Sub: s}`, `{Fn::GetAtt: [A, B]}`), which serde_yaml reads as plain maps.
fn long_form(value: Value) -> Value {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let name = tag.trim_start_matches('!').to_string();
            let mut inner = long_form(tagged.value);
            if name == "GetAtt" {
                if let Value::String(text) = &inner {
                    let (resource, attribute) = text.split_once('.').expect("!GetAtt A.B");
                    inner = Value::Sequence(vec![resource.into(), attribute.into()]);
                }
            }
            let key = if name == "Ref" {
                name
            } else {
                format!("Fn::{name}")
            };
            let mut mapping = Mapping::new();
            mapping.insert(key.into(), inner);
            Value::Mapping(mapping)
        }
        Value::Sequence(items) => Value::Sequence(items.into_iter().map(long_form).collect()),
        Value::Mapping(mapping) => Value::Mapping(
            mapping
                .into_iter()
                .map(|(key, value)| (key, long_form(value)))
                .collect(),
        ),
        other => other,
    }
}

fn template() -> Value {
    let text = read("infra/template.yaml");
    long_form(serde_yaml::from_str(&text).expect("infra/template.yaml is YAML"))
}

fn resources(template: &Value) -> BTreeMap<String, Value> {
    template["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .map(|(key, value)| (key.as_str().expect("logical id").to_string(), value.clone()))
        .collect()
}

fn of_type(template: &Value, kind: &str) -> BTreeMap<String, Value> {
    resources(template)
        .into_iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some(kind))
        .collect()
}

fn reference(name: &str) -> Value {
    let mut mapping = Mapping::new();
    mapping.insert("Ref".into(), name.into());
    Value::Mapping(mapping)
}

fn get_att(resource: &str, attribute: &str) -> Value {
    let mut mapping = Mapping::new();
    mapping.insert(
        "Fn::GetAtt".into(),
        Value::Sequence(vec![resource.into(), attribute.into()]),
    );
    Value::Mapping(mapping)
}

/// A property of a function, falling back to `Globals.Function` as SAM does.
fn function_property(template: &Value, function: &Value, name: &str) -> Value {
    let own = &function["Properties"][name];
    if !own.is_null() {
        return own.clone();
    }
    template["Globals"]["Function"][name].clone()
}

/// Binary name → (logical id, resource) of every SAM function.
fn functions_by_binary(template: &Value) -> BTreeMap<String, (String, Value)> {
    let mut by_binary = BTreeMap::new();
    for (id, function) in of_type(template, "AWS::Serverless::Function") {
        let binary = function["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names no Binary in Metadata.BuildProperties"))
            .to_string();
        let previous = by_binary.insert(binary.clone(), (id.clone(), function));
        assert!(
            previous.is_none(),
            "two functions build the binary {binary}"
        );
    }
    by_binary
}

fn string_list(value: &Value) -> Vec<String> {
    match value {
        Value::String(text) => vec![text.clone()],
        Value::Sequence(items) => items
            .iter()
            .map(|item| item.as_str().expect("a string").to_string())
            .collect(),
        _ => Vec::new(),
    }
}

/// The inline policy statements SAM attaches to a function's role.
fn statements(function: &Value) -> Vec<Value> {
    function["Properties"]["Policies"]
        .as_sequence()
        .map(|policies| {
            policies
                .iter()
                .filter_map(|policy| policy["Statement"].as_sequence())
                .flatten()
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Where a statement applies: "table" or "index" (GSI1). Every grant is written as
/// `!If [UseRestoredTable, <the restored table's ARN>, <the stack's table's ARN>]`, so that a
/// point-in-time restore can be switched to; both branches must name the same thing.
fn resource_kind(resource: &Value) -> String {
    let branches = resource["Fn::If"]
        .as_sequence()
        .unwrap_or_else(|| panic!("DynamoDB resource without the restore switch: {resource:?}"));
    assert_eq!(branches[0].as_str(), Some("UseRestoredTable"));
    let index = store_constant("INDEX_NAME");
    let restored = branches[1]["Fn::Sub"].as_str().expect("restored ARN");
    let restored_table =
        "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${RestoredTableName}";
    let restored_kind = if restored == restored_table {
        "table"
    } else if restored == format!("{restored_table}/index/{index}") {
        "index"
    } else {
        panic!("unexpected restored-table resource {restored}")
    };
    let own_kind = if branches[2] == get_att("VoucherTable", "Arn") {
        "table"
    } else if branches[2]["Fn::Sub"].as_str()
        == Some(format!("${{VoucherTable.Arn}}/index/{index}").as_str())
    {
        "index"
    } else {
        panic!("unexpected DynamoDB resource {:?}", branches[2])
    };
    assert_eq!(
        restored_kind, own_kind,
        "the two branches differ: {resource:?}"
    );
    own_kind.to_string()
}

/// `!If [UseRestoredTable, !Ref RestoredTableName, !Ref VoucherTable]`: the live table's name.
fn live_table_name() -> Value {
    let mut mapping = Mapping::new();
    mapping.insert(
        "Fn::If".into(),
        Value::Sequence(vec![
            "UseRestoredTable".into(),
            reference("RestoredTableName"),
            reference("VoucherTable"),
        ]),
    );
    Value::Mapping(mapping)
}

/// `(action, table|index)` pairs granted to a function.
fn granted_dynamodb(function: &Value) -> BTreeSet<(String, String)> {
    let mut granted = BTreeSet::new();
    for statement in statements(function) {
        assert_eq!(statement["Effect"].as_str(), Some("Allow"));
        let actions = string_list(&statement["Action"]);
        let resources = match &statement["Resource"] {
            Value::Sequence(items) => items.clone(),
            single => vec![single.clone()],
        };
        for action in actions
            .iter()
            .filter(|action| action.starts_with("dynamodb:"))
        {
            for resource in &resources {
                granted.insert((action.clone(), resource_kind(resource)));
            }
        }
    }
    granted
}

// ------------------------------------------------------------------------------ Rust source

/// Source with comments removed and string literals emptied (`"…"` → `""`), so braces and
/// words inside them do not count, and with whitespace before `.` dropped, so a call chain split
/// over lines (`self\n    .query_all(`) reads as one (`self.query_all(`).
fn code_only(source: &str) -> String {
    let chars: Vec<char> = source.chars().collect();
    let mut out = String::with_capacity(source.len());
    let mut index = 0;
    while index < chars.len() {
        let current = chars[index];
        let next = chars.get(index + 1).copied();
        if current == '/' && next == Some('/') {
            while index < chars.len() && chars[index] != '\n' {
                index += 1;
            }
        } else if current == '/' && next == Some('*') {
            index += 2;
            while index + 1 < chars.len() && !(chars[index] == '*' && chars[index + 1] == '/') {
                index += 1;
            }
            index += 2;
        } else if current == 'r' && (next == Some('"') || next == Some('#')) {
            // Raw string r"…" or r#"…"#.
            let mut cursor = index + 1;
            let mut hashes = 0;
            while chars.get(cursor) == Some(&'#') {
                hashes += 1;
                cursor += 1;
            }
            if chars.get(cursor) == Some(&'"') {
                cursor += 1;
                loop {
                    if cursor >= chars.len() {
                        break;
                    }
                    if chars[cursor] == '"'
                        && (0..hashes).all(|offset| chars.get(cursor + 1 + offset) == Some(&'#'))
                    {
                        cursor += 1 + hashes;
                        break;
                    }
                    cursor += 1;
                }
                out.push_str("\"\"");
                index = cursor;
            } else {
                out.push(current);
                index += 1;
            }
        } else if current == '"' {
            index += 1;
            while index < chars.len() && chars[index] != '"' {
                if chars[index] == '\\' {
                    index += 1;
                }
                index += 1;
            }
            index += 1;
            out.push_str("\"\"");
        } else if current == '\'' && chars.get(index + 2) == Some(&'\'') {
            // A one-character literal such as '{'.
            out.push_str("' '");
            index += 3;
        } else if current == '\'' && next == Some('\\') {
            // An escaped character literal such as '\n' or '\''.
            index += 2;
            while index < chars.len() && chars[index] != '\'' {
                index += 1;
            }
            index += 1;
            out.push_str("' '");
        } else if current.is_whitespace() {
            let start = index;
            while index < chars.len() && chars[index].is_whitespace() {
                index += 1;
            }
            if chars.get(index) != Some(&'.') || chars.get(index + 1) == Some(&'.') {
                out.extend(&chars[start..index]);
            }
        } else {
            out.push(current);
            index += 1;
        }
    }
    out
}

fn is_identifier_char(character: char) -> bool {
    character.is_alphanumeric() || character == '_'
}

/// The text between the `{` at or after `from` and its matching `}`.
fn block(code: &str, from: usize) -> Option<(usize, usize)> {
    let open = from + code[from..].find('{')?;
    let mut depth = 0;
    for (offset, character) in code[open..].char_indices() {
        match character {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some((open, open + offset + 1));
                }
            }
            _ => {}
        }
    }
    None
}

/// Every identifier in `code`, with its byte offset.
fn identifiers(code: &str) -> Vec<(usize, &str)> {
    let mut found = Vec::new();
    let mut start = None;
    for (offset, character) in code.char_indices() {
        match (is_identifier_char(character), start) {
            (true, None) => start = Some(offset),
            (false, Some(begin)) => {
                found.push((begin, &code[begin..offset]));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(begin) = start {
        found.push((begin, &code[begin..]));
    }
    found
}

/// One crate's functions: name → bodies (several when the name is defined more than once);
/// the types with an `impl` block in the crate; and type → the methods of its trait impls
/// (`impl FromRequestParts for Cashier`: called by the framework, never by name).
#[derive(Default)]
struct Source {
    bodies: BTreeMap<String, Vec<String>>,
    types: BTreeSet<String>,
    trait_impls: BTreeMap<String, BTreeSet<String>>,
}

impl Source {
    fn parse(files: &[&str]) -> Source {
        let mut source = Source::default();
        for file in files {
            let code = code_only(&read(file));
            let words = identifiers(&code);
            for (position, (offset, word)) in words.iter().enumerate() {
                let Some((_, name)) = words.get(position + 1) else {
                    continue;
                };
                if *word == "fn" {
                    // A declaration without a body (a trait method ending in `;`) has none.
                    let rest = &code[*offset + 2..];
                    let semicolon = rest.find(';').unwrap_or(usize::MAX);
                    let brace = rest.find('{').unwrap_or(usize::MAX);
                    if brace < semicolon {
                        if let Some((_, close)) = block(&code, offset + 2) {
                            source
                                .bodies
                                .entry(name.to_string())
                                .or_default()
                                .push(code[*offset..close].to_string());
                        }
                    }
                } else if *word == "impl" {
                    let Some((open, close)) = block(&code, *offset) else {
                        continue;
                    };
                    // The implementing type is the last path segment of the header, after
                    // `for` when there is one, generics dropped.
                    let header = &code[offset + 4..open];
                    let is_trait_impl = header.contains(" for ");
                    let target = header.rsplit(" for ").next().unwrap_or(header);
                    let target = target.split('<').next().unwrap_or(target);
                    let type_name = target
                        .trim()
                        .rsplit("::")
                        .next()
                        .unwrap_or("")
                        .trim()
                        .to_string();
                    let inner = &code[open..close];
                    let methods = identifiers(inner)
                        .windows(2)
                        .filter(|pair| pair[0].1 == "fn")
                        .map(|pair| pair[1].1.to_string())
                        .collect::<Vec<_>>();
                    source.types.insert(type_name.clone());
                    if is_trait_impl {
                        source
                            .trait_impls
                            .entry(type_name)
                            .or_default()
                            .extend(methods);
                    }
                }
            }
        }
        source
    }

    /// Bodies reachable from `seeds`. `Follow::Mentions` follows every call of this crate's
    /// functions on any receiver and every mention of its types (the API crate: extractors
    /// are types named in signatures, helpers are called on other receivers); `Follow::Calls` follows only `self.name(` and free or
    /// associated calls `name(` (the ledger and the store, where a type such as `Ledger` is
    /// mentioned everywhere and would pull in every operation).
    fn reachable(&self, seeds: &[String], follow: Follow) -> Vec<&str> {
        self.reachable_except(seeds, follow, &BTreeSet::new())
    }

    /// As `reachable`, never entering the functions named in `fence`.
    fn reachable_except(
        &self,
        seeds: &[String],
        follow: Follow,
        fence: &BTreeSet<String>,
    ) -> Vec<&str> {
        let mut seen: BTreeSet<String> = fence.clone();
        let mut pending: Vec<String> = seeds.to_vec();
        let mut reached = Vec::new();
        while let Some(name) = pending.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            for body in self.bodies.get(&name).into_iter().flatten() {
                reached.push(body.as_str());
                for (offset, word) in identifiers(body) {
                    match follow {
                        Follow::Mentions => {
                            // Functions only where called (a variable may share a method's
                            // name: `let record = …` beside `LookupGuard::record`), and a path
                            // call only on this crate's types (`Vec::new()` is not ours).
                            let after = &body[offset + word.len()..];
                            let before = &body[..offset];
                            let is_call = after.starts_with('(') || after.starts_with("::<");
                            let ours = match before.strip_suffix("::") {
                                Some(path) => {
                                    let owner = identifiers(path)
                                        .last()
                                        .map(|(_, owner)| *owner)
                                        .unwrap_or("");
                                    self.types.contains(owner)
                                        || owner == "crate"
                                        || owner == "self"
                                        || owner.chars().next().is_some_and(char::is_lowercase)
                                }
                                None => true,
                            };
                            if is_call && ours && self.bodies.contains_key(word) {
                                pending.push(word.to_string());
                            }
                            if let Some(methods) = self.trait_impls.get(word) {
                                pending.extend(methods.iter().cloned());
                            }
                        }
                        Follow::Calls => {
                            let after = &body[offset + word.len()..];
                            let before = &body[..offset];
                            let is_call = after.starts_with('(') || after.starts_with("::<");
                            // `store.` is the store's own free functions' name for it.
                            let on_self_or_free = before.ends_with("self.")
                                || before.ends_with("store.")
                                || !before.ends_with('.');
                            if is_call && on_self_or_free && self.bodies.contains_key(word) {
                                pending.push(word.to_string());
                            }
                        }
                    }
                }
            }
        }
        reached
    }
}

#[derive(Clone, Copy)]
enum Follow {
    Mentions,
    Calls,
}

/// Every `prefix` + identifier in `code`, e.g. prefix `handlers::` finds `handlers::balance`.
fn names_after(code: &str, prefix: &str) -> BTreeSet<String> {
    code.match_indices(prefix)
        .map(|(offset, _)| {
            code[offset + prefix.len()..]
                .chars()
                .take_while(|c| is_identifier_char(*c))
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// Names called as `<prefix>NAME(` in `code`, e.g. prefix `store().` finds `store().voucher(`.
fn calls_after(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (offset, _) in code.match_indices(prefix) {
        if code[..offset]
            .chars()
            .next_back()
            .is_some_and(is_identifier_char)
        {
            continue;
        }
        let rest = &code[offset + prefix.len()..];
        let name: String = rest
            .chars()
            .take_while(|c| is_identifier_char(*c))
            .collect();
        if !name.is_empty() && rest[name.len()..].starts_with('(') {
            names.insert(name);
        }
    }
    names
}

/// The string value of a `const NAME: &str = "…";` in the DynamoDB store (read from the raw
/// source, since `code_only` empties strings).
fn store_constant(name: &str) -> String {
    let source = store_source();
    let needle = format!("const {name}: &str = \"");
    let start = source
        .find(&needle)
        .unwrap_or_else(|| panic!("the DynamoDB store defines no {name}"))
        + needle.len();
    let end = start + source[start..].find('"').expect("closing quote");
    source[start..end].to_string()
}

/// SDK call → IAM action. TransactWriteItems has no action of its own: its parts are checked.
const SDK_ACTIONS: &[(&str, &str)] = &[
    (".get_item()", "dynamodb:GetItem"),
    (".put_item()", "dynamodb:PutItem"),
    (".update_item()", "dynamodb:UpdateItem"),
    (".delete_item()", "dynamodb:DeleteItem"),
    (".scan()", "dynamodb:Scan"),
    (".batch_get_item()", "dynamodb:BatchGetItem"),
    (".batch_write_item()", "dynamodb:BatchWriteItem"),
    (".transact_get_items()", "dynamodb:GetItem"),
    (".describe_table()", "dynamodb:DescribeTable"),
    (".create_table()", "dynamodb:CreateTable"),
    (".delete_table()", "dynamodb:DeleteTable"),
    (".update_time_to_live()", "dynamodb:UpdateTimeToLive"),
    ("TransactWriteItem::builder().put(", "dynamodb:PutItem"),
    (
        "TransactWriteItem::builder().update(",
        "dynamodb:UpdateItem",
    ),
    (
        "TransactWriteItem::builder().delete(",
        "dynamodb:DeleteItem",
    ),
    (
        "TransactWriteItem::builder().condition_check(",
        "dynamodb:ConditionCheckItem",
    ),
];

/// What a set of store methods needs, as `(action, table|index)`.
fn dynamodb_actions(store: &Source, methods: &BTreeSet<String>) -> BTreeSet<(String, String)> {
    let seeds: Vec<String> = methods.iter().cloned().collect();
    let mut needed = BTreeSet::new();
    for body in store.reachable(&seeds, Follow::Calls) {
        for (call, action) in SDK_ACTIONS {
            if body.contains(call) {
                needed.insert((action.to_string(), "table".to_string()));
            }
        }
        // Queries go through `query_all(index, …)`; a direct `.query()` elsewhere would be
        // unaccounted for, so the helper is required to be the only place that builds one.
        for (offset, matched) in body
            .match_indices("self.query_all(")
            .chain(body.match_indices("store.query_all("))
        {
            let argument = body[offset + matched.len()..].trim_start();
            let kind = if argument.starts_with("true") {
                "index"
            } else if argument.starts_with("false") {
                "table"
            } else {
                panic!("query_all called with a non-literal index flag: cannot tell the ARN")
            };
            needed.insert(("dynamodb:Query".to_string(), kind.to_string()));
        }
    }
    needed
}

struct CodeModel {
    api: Source,
    ledger: Source,
    store: Source,
    /// The `VoucherStore` trait's methods.
    store_methods: BTreeSet<String>,
}

impl CodeModel {
    fn load() -> CodeModel {
        let api_files: Vec<String> = std::fs::read_dir(root().join("functions/api/src"))
            .expect("functions/api/src")
            .map(|entry| entry.expect("entry").path())
            .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
            .map(|path| {
                path.strip_prefix(root())
                    .expect("inside the workspace")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        let api_files: Vec<&str> = api_files.iter().map(String::as_str).collect();
        let store_trait = code_only(&read("functions/vouchers/src/store.rs"));
        let start = store_trait
            .find("trait VoucherStore")
            .expect("store.rs declares VoucherStore");
        let (open, close) = block(&store_trait, start).expect("trait body");
        let store_methods = identifiers(&store_trait[open..close])
            .windows(2)
            .filter(|pair| pair[0].1 == "fn")
            .map(|pair| pair[1].1.to_string())
            .collect();
        CodeModel {
            api: Source::parse(&api_files),
            ledger: Source::parse(&["functions/vouchers/src/ledger.rs"]),
            store: Source::parse(&store_files().iter().map(String::as_str).collect::<Vec<_>>()),
            store_methods,
        }
    }

    /// The handlers of one function: the `handlers::X` in its arm of `Function::router`.
    fn handlers(&self, function: Function) -> Vec<String> {
        let variant = format!("{function:?}");
        let lib = code_only(&read("functions/api/src/lib.rs"));
        let start = lib
            .find("fn router(self)")
            .expect("Function::router in functions/api/src/lib.rs");
        let (open, close) = block(&lib, start).expect("router body");
        let body = &lib[open..close];
        let arm_start = body
            .find(&format!("Function::{variant} =>"))
            .unwrap_or_else(|| panic!("no arm for {variant} in Function::router"));
        let rest = &body[arm_start + format!("Function::{variant} =>").len()..];
        let arm_end = rest.find("Function::").unwrap_or(rest.len());
        names_after(&rest[..arm_end], "handlers::")
            .into_iter()
            .collect()
    }

    /// Store methods one function's code can call.
    fn store_methods_of(&self, function: Function) -> BTreeSet<String> {
        let mut methods = BTreeSet::new();
        let mut operations = BTreeSet::new();
        // A handler never calls another function's handler; without this fence, the mention
        // of `Function` (whose `router` names every handler) would reach them all.
        let seeds = self.handlers(function);
        let fence: BTreeSet<String> = Function::ALL
            .iter()
            .flat_map(|other| self.handlers(*other))
            .filter(|handler| !seeds.contains(handler))
            .chain(["router".to_string()])
            .collect();
        for body in self.api.reachable_except(&seeds, Follow::Mentions, &fence) {
            methods.extend(calls_after(body, "store()."));
            operations.extend(calls_after(body, "ledger."));
        }
        let operations: Vec<String> = operations.into_iter().collect();
        for body in self.ledger.reachable(&operations, Follow::Calls) {
            methods.extend(calls_after(body, "self.store."));
            methods.extend(calls_after(body, "store()."));
        }
        // What the Lambda wiring itself calls on the store (e.g. a `prepare()` at start).
        let mut lambda = code_only(&read("functions/lambda/src/lib.rs"));
        lambda.push_str(&code_only(&read(&format!(
            "functions/lambda/src/bin/{}.rs",
            function.name()
        ))));
        for (offset, word) in identifiers(&lambda) {
            let called =
                lambda[offset + word.len()..].starts_with('(') && lambda[..offset].ends_with('.');
            if called && (self.store_methods.contains(word) || word == "create_table") {
                methods.insert(word.to_string());
            }
        }
        methods.retain(|method| self.store_methods.contains(method) || method == "create_table");
        methods
    }
}

// ------------------------------------------------------------------------------ the tests

#[test]
fn every_lambda_binary_has_exactly_one_function_built_for_arm64() {
    let template = template();
    let binaries: BTreeSet<String> = std::fs::read_dir(root().join("functions/lambda/src/bin"))
        .expect("functions/lambda/src/bin")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "rs"))
        .map(|path| {
            path.file_stem()
                .expect("stem")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    let functions = functions_by_binary(&template);
    let deployed: BTreeSet<String> = functions.keys().cloned().collect();
    assert_eq!(
        deployed, binaries,
        "template functions vs functions/lambda/src/bin/*.rs"
    );
    let named: BTreeSet<String> = Function::ALL
        .iter()
        .map(|function| function.name().to_string())
        .collect();
    assert_eq!(
        named, binaries,
        "galeri_api::Function vs the Lambda binaries"
    );

    for (binary, (id, function)) in &functions {
        assert_eq!(
            function["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id}"
        );
        let property = |name| function_property(&template, function, name);
        assert_eq!(
            property("Runtime").as_str(),
            Some("provided.al2023"),
            "{id}"
        );
        assert_eq!(string_list(&property("Architectures")), ["arm64"], "{id}");
        assert_eq!(property("Handler").as_str(), Some("bootstrap"), "{id}");
        let memory = property("MemorySize").as_u64().expect("MemorySize");
        assert!(
            (128..=512).contains(&memory),
            "{id}: {memory} MB is not small"
        );
        let timeout = property("Timeout").as_u64().expect("Timeout");
        assert!((1..=30).contains(&timeout), "{id}: timeout {timeout} s");
        // SAM's Rust builder runs `cargo lambda build --bin <binary>` in CodeUri: it must be the
        // package that owns the binaries (at the workspace root, `--bin` searches only the
        // default member).
        let code_uri = property("CodeUri");
        let code_root = root()
            .join("infra")
            .join(code_uri.as_str().expect("CodeUri"));
        let manifest = std::fs::read_to_string(code_root.join("Cargo.toml"))
            .unwrap_or_else(|error| panic!("{id}: CodeUri has no Cargo.toml: {error}"));
        assert!(
            manifest.contains("name = \"galeri-lambda\""),
            "{id}: CodeUri is not the galeri-lambda package"
        );
        assert!(
            code_root.join(format!("src/bin/{binary}.rs")).is_file(),
            "{id}: {binary} is not a binary of CodeUri"
        );
        let variables = &property("Environment")["Variables"];
        assert_eq!(variables["GALERI_TABLE"], live_table_name(), "{binary}");
        assert_eq!(
            variables["GALERI_PEPPER_PARAM"],
            reference("PepperParameterName"),
            "{binary}"
        );
        assert_eq!(variables["RUST_LOG"], reference("LogLevel"), "{binary}");
    }
    // TRACE would log whole events, and events carry voucher codes.
    let levels = string_list(&template["Parameters"]["LogLevel"]["AllowedValues"]);
    assert!(!levels.is_empty() && !levels.iter().any(|level| level.contains("trace")));
}

#[test]
fn every_openapi_route_is_wired_to_the_function_that_serves_it() {
    let template = template();
    let openapi: Value =
        serde_yaml::from_str(&read("infra/openapi.yaml")).expect("infra/openapi.yaml is YAML");
    let methods = ["get", "put", "post", "delete", "patch", "head", "options"];
    let mut contract = BTreeSet::new();
    for (path, item) in openapi["paths"].as_mapping().expect("paths") {
        let path = path.as_str().expect("path");
        for (method, _) in item.as_mapping().expect("path item") {
            let method = method.as_str().expect("method");
            if methods.contains(&method) {
                contract.insert((method.to_uppercase(), path.to_string()));
            }
        }
    }
    assert!(!contract.is_empty(), "no routes in infra/openapi.yaml");

    let functions = functions_by_binary(&template);
    let mut wired = BTreeSet::new();
    for function in Function::ALL {
        let (id, resource) = functions
            .get(function.name())
            .unwrap_or_else(|| panic!("no function for {}", function.name()));
        let mut routes = BTreeSet::new();
        for (_, event) in resource["Properties"]["Events"]
            .as_mapping()
            .unwrap_or_else(|| panic!("{id} has no events"))
        {
            assert_eq!(event["Type"].as_str(), Some("HttpApi"), "{id}");
            let properties = &event["Properties"];
            assert_eq!(properties["ApiId"], reference("HttpApi"), "{id}");
            let route = (
                properties["Method"]
                    .as_str()
                    .expect("Method")
                    .to_uppercase(),
                properties["Path"].as_str().expect("Path").to_string(),
            );
            assert!(wired.insert(route.clone()), "{route:?} is wired twice");
            routes.insert(route);
        }
        let serves: BTreeSet<(String, String)> = function
            .routes()
            .iter()
            .map(|(method, path)| (method.to_string(), path.to_string()))
            .collect();
        assert_eq!(routes, serves, "{id} vs Function::{function:?}.routes()");
    }
    assert_eq!(wired, contract, "template routes vs infra/openapi.yaml");
}

/// Keys of every `headers` map under `value`: response header names (the map under
/// `components.headers` is keyed by component names instead, so `skip_top` leaves it out).
fn header_names(value: &Value, skip_top: bool, names: &mut BTreeSet<String>) {
    match value {
        Value::Mapping(mapping) => {
            for (key, inner) in mapping {
                let key = key.as_str().unwrap_or("");
                if key == "headers" && !skip_top {
                    if let Some(headers) = inner.as_mapping() {
                        names.extend(
                            headers
                                .keys()
                                .filter_map(|name| name.as_str())
                                .map(str::to_lowercase),
                        );
                    }
                }
                header_names(inner, false, names);
            }
        }
        Value::Sequence(items) => {
            for item in items {
                header_names(item, false, names);
            }
        }
        _ => {}
    }
}

#[test]
fn cors_lets_the_site_send_and_read_every_header_of_the_contract() {
    let template = template();
    let openapi: Value =
        serde_yaml::from_str(&read("infra/openapi.yaml")).expect("infra/openapi.yaml is YAML");
    let mut response_headers = BTreeSet::new();
    header_names(&openapi["paths"], false, &mut response_headers);
    if let Some(components) = openapi["components"].as_mapping() {
        for (key, inner) in components {
            header_names(
                inner,
                key.as_str() == Some("headers"),
                &mut response_headers,
            );
        }
    }
    assert!(
        !response_headers.is_empty(),
        "no response headers found in the contract"
    );
    let mut request_headers: BTreeSet<String> = ["content-type".to_string()].into();
    if openapi["components"]["securitySchemes"]
        .as_mapping()
        .is_some_and(|schemes| !schemes.is_empty())
    {
        request_headers.insert("authorization".into());
    }
    let mut parameters = Vec::new();
    for (_, item) in openapi["paths"].as_mapping().expect("paths") {
        for (_, operation) in item.as_mapping().expect("path item") {
            parameters.extend(
                operation["parameters"]
                    .as_sequence()
                    .cloned()
                    .unwrap_or_default(),
            );
        }
    }
    parameters.extend(
        openapi["components"]["parameters"]
            .as_mapping()
            .map(|mapping| mapping.values().cloned().collect::<Vec<_>>())
            .unwrap_or_default(),
    );
    for parameter in parameters {
        if parameter["in"].as_str() == Some("header") {
            let name = parameter["name"].as_str().expect("parameter name");
            request_headers.insert(name.to_lowercase());
        }
    }
    let cors = &resources(&template)["HttpApi"]["Properties"]["CorsConfiguration"];
    let allowed: BTreeSet<String> = string_list(&cors["AllowHeaders"]).into_iter().collect();
    let exposed: BTreeSet<String> = string_list(&cors["ExposeHeaders"]).into_iter().collect();
    let missing: Vec<&String> = request_headers.difference(&allowed).collect();
    assert!(missing.is_empty(), "CORS AllowHeaders lacks {missing:?}");
    let missing: Vec<&String> = response_headers.difference(&exposed).collect();
    assert!(missing.is_empty(), "CORS ExposeHeaders lacks {missing:?}");
}

#[test]
fn each_function_is_granted_exactly_the_dynamodb_actions_its_code_calls() {
    let template = template();
    let functions = functions_by_binary(&template);
    let code = CodeModel::load();
    let mut report = Vec::new();
    for function in Function::ALL {
        let (id, resource) = &functions[function.name()];
        let methods = code.store_methods_of(function);
        let needed = dynamodb_actions(&code.store, &methods);
        let granted = granted_dynamodb(resource);
        if needed != granted {
            report.push(format!(
                "{id} ({}): store methods {methods:?}\n  code needs {needed:?}\n  granted    {granted:?}",
                function.name()
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
    // The derivation must see something: a parse that found nothing would pass vacuously.
    let redeem = code.store_methods_of(Function::Redeem);
    assert!(
        redeem.contains("redeem") && redeem.contains("token_by_hash"),
        "{redeem:?}"
    );
}

#[test]
fn only_redeem_and_refund_write_money_records() {
    let template = template();
    let functions = functions_by_binary(&template);
    // The attributes the failure counter writes: the key, plus what reserve_lookup names.
    let code = CodeModel::load();
    let counter_body = code.store.bodies["reserve_lookup"].join("\n");
    let raw = store_source();
    let raw_start = raw.find("async fn reserve_lookup").expect("reserve_lookup");
    let raw_body = &raw[raw_start..raw_start + raw[raw_start..].find("\n}\n").expect("end")];
    let mut counter_attributes: BTreeSet<String> =
        [store_constant("PARTITION_KEY"), store_constant("SORT_KEY")].into();
    for (offset, _) in raw_body.match_indices(".expression_attribute_names(") {
        let arguments = &raw_body[offset + ".expression_attribute_names(".len()..];
        let second = arguments.split_once(',').expect("two arguments").1;
        let second = second.split(')').next().expect("argument").trim();
        let name = match second.strip_prefix('"') {
            Some(quoted) => quoted.trim_end_matches('"').to_string(),
            None => store_constant(second),
        };
        counter_attributes.insert(name);
    }
    // Attributes named directly in the update expression (`ADD failures :one`).
    let expression_start = raw_body
        .find("update_expression(")
        .expect("update expression");
    let expression = &raw_body[expression_start..];
    let expression = &expression[expression.find('"').expect("quote") + 1..];
    let expression = &expression[..expression.find('"').expect("quote")];
    for word in expression.split(|c: char| c.is_whitespace() || c == ',' || c == '=') {
        let bare = !word.is_empty()
            && !word.starts_with('#')
            && !word.starts_with(':')
            && !["ADD", "SET", "REMOVE", "DELETE"].contains(&word)
            && !word.contains('(');
        if bare {
            counter_attributes.insert(word.to_string());
        }
    }
    assert!(counter_body.contains(".update_item()"));

    let writes = [
        "dynamodb:PutItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ];
    for (binary, (id, function)) in &functions {
        let money_writer = binary == "redeem" || binary == "refund";
        for statement in statements(function) {
            let actions = string_list(&statement["Action"]);
            for action in &actions {
                assert!(!action.ends_with('*'), "{id}: wildcard action {action}");
                if !money_writer {
                    assert!(!writes.contains(&action.as_str()), "{id} may {action}");
                }
            }
            if !money_writer && actions.iter().any(|action| action == "dynamodb:UpdateItem") {
                // The only write of a reading function: the failure counter, limited to its
                // own attributes so it can never change a balance.
                assert_eq!(actions, ["dynamodb:UpdateItem"], "{id}: UpdateItem alone");
                let condition = &statement["Condition"]["ForAllValues:StringEquals"];
                let allowed: BTreeSet<String> = string_list(&condition["dynamodb:Attributes"])
                    .into_iter()
                    .collect();
                assert_eq!(allowed, counter_attributes, "{id}: counter attributes");
                assert!(
                    !allowed.contains("balance"),
                    "{id} could write balances: {allowed:?}"
                );
            }
        }
    }
}

#[test]
fn the_table_is_the_one_the_store_expects_and_is_kept_safe() {
    let template = template();
    let table = &resources(&template)["VoucherTable"];
    assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(table["UpdateReplacePolicy"].as_str(), Some("Retain"));
    let properties = &table["Properties"];
    assert_eq!(properties["BillingMode"].as_str(), Some("PAY_PER_REQUEST"));
    assert_eq!(
        properties["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
        Value::Bool(true)
    );
    assert_eq!(properties["DeletionProtectionEnabled"], Value::Bool(true));
    assert_eq!(
        properties["SSESpecification"]["SSEEnabled"],
        Value::Bool(true)
    );
    assert_eq!(
        properties["TimeToLiveSpecification"]["AttributeName"].as_str(),
        Some(store_constant("EXPIRES_AT").as_str())
    );
    let keys = |schema: &Value| -> Vec<(String, String)> {
        schema
            .as_sequence()
            .expect("KeySchema")
            .iter()
            .map(|key| {
                (
                    key["AttributeName"].as_str().expect("name").to_string(),
                    key["KeyType"].as_str().expect("type").to_string(),
                )
            })
            .collect()
    };
    assert_eq!(
        keys(&properties["KeySchema"]),
        [
            (store_constant("PARTITION_KEY"), "HASH".to_string()),
            (store_constant("SORT_KEY"), "RANGE".to_string())
        ]
    );
    let indexes = properties["GlobalSecondaryIndexes"]
        .as_sequence()
        .expect("GSIs");
    assert_eq!(indexes.len(), 1);
    assert_eq!(
        indexes[0]["IndexName"].as_str(),
        Some(store_constant("INDEX_NAME").as_str())
    );
    assert_eq!(
        keys(&indexes[0]["KeySchema"]),
        [
            (store_constant("INDEX_PARTITION_KEY"), "HASH".to_string()),
            (store_constant("INDEX_SORT_KEY"), "RANGE".to_string())
        ]
    );
}

#[test]
fn the_site_is_private_https_only_and_sends_security_headers() {
    let template = template();
    let all = resources(&template);
    let bucket = &all["SiteBucket"]["Properties"];
    for setting in [
        "BlockPublicAcls",
        "BlockPublicPolicy",
        "IgnorePublicAcls",
        "RestrictPublicBuckets",
    ] {
        assert_eq!(
            bucket["PublicAccessBlockConfiguration"][setting],
            Value::Bool(true),
            "{setting}"
        );
    }
    let policy = &all["SiteBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"];
    let allows: Vec<&Value> = policy
        .as_sequence()
        .expect("statements")
        .iter()
        .filter(|statement| statement["Effect"].as_str() == Some("Allow"))
        .collect();
    assert_eq!(allows.len(), 1, "only CloudFront may read the bucket");
    assert_eq!(
        allows[0]["Principal"]["Service"].as_str(),
        Some("cloudfront.amazonaws.com")
    );
    assert!(!allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"].is_null());

    let distribution = &all["SiteDistribution"]["Properties"]["DistributionConfig"];
    let behavior = &distribution["DefaultCacheBehavior"];
    assert_eq!(
        behavior["ViewerProtocolPolicy"].as_str(),
        Some("redirect-to-https")
    );
    assert_eq!(
        distribution["Origins"][0]["OriginAccessControlId"],
        get_att("SiteOriginAccessControl", "Id")
    );
    assert_eq!(
        behavior["ResponseHeadersPolicyId"],
        reference("SiteHeadersPolicy")
    );
    let headers = &all["SiteHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]
        ["SecurityHeadersConfig"];
    let csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]["Fn::Sub"]
        .as_str()
        .expect("CSP");
    for directive in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "CSP lacks {directive}: {csp}");
    }
    let hsts = headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"]
        .as_u64()
        .expect("HSTS");
    assert!(hsts >= 31_536_000, "HSTS shorter than a year");
    assert_eq!(headers["ContentTypeOptions"]["Override"], Value::Bool(true));

    // CORS: the site's origin only.
    let cors = &all["HttpApi"]["Properties"]["CorsConfiguration"];
    let origins = cors["AllowOrigins"].as_sequence().expect("AllowOrigins");
    assert_eq!(origins.len(), 1);
    assert_eq!(
        origins[0]["Fn::Sub"].as_str(),
        Some("https://${SiteDomain}")
    );
}

#[test]
fn short_tags_are_read_as_their_long_forms() {
    let value = long_form(
        serde_yaml::from_str("[!Ref Table, !GetAtt Table.Arn, !Sub 'a-${Stage}']").expect("YAML"),
    );
    assert_eq!(value[0], reference("Table"));
    assert_eq!(value[1], get_att("Table", "Arn"));
    assert_eq!(value[2]["Fn::Sub"].as_str(), Some("a-${Stage}"));
}

#[test]
fn the_source_reader_ignores_strings_and_comments_and_joins_chains() {
    let code = code_only("let a = \"{ self.x( }\"; // self.y(\nself\n    .z(r#\"}\"#, '{')");
    assert_eq!(calls_after(&code, "self."), ["z".to_string()].into());
    assert!(
        block(&code, 0).is_none(),
        "braces in strings must not count: {code}"
    );
}

#[test]
fn every_function_may_read_the_pepper_parameter_and_nothing_else_from_ssm() {
    let template = template();
    // What the pepper loading the Lambdas call (`config::configured_pepper`) asks of SSM: one
    // decrypted GetParameter, nothing else.
    let wiring = code_only(&read("functions/vouchers/src/config.rs"));
    assert!(wiring.contains(".get_parameter()") && wiring.contains(".with_decryption(true)"));
    for other in [
        ".get_parameters(",
        ".get_parameters_by_path(",
        ".put_parameter(",
    ] {
        assert!(
            !wiring.contains(other),
            "the wiring calls {other}: grant it"
        );
    }

    let pepper_policy = &resources(&template)["PepperReadPolicy"];
    assert_eq!(
        pepper_policy["Type"].as_str(),
        Some("AWS::IAM::ManagedPolicy")
    );
    let parameter_arn =
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${PepperParameterName}";
    let mut actions = BTreeSet::new();
    for statement in pepper_policy["Properties"]["PolicyDocument"]["Statement"]
        .as_sequence()
        .expect("statements")
    {
        for action in string_list(&statement["Action"]) {
            match action.as_str() {
                "ssm:GetParameter" => {
                    assert_eq!(
                        statement["Resource"]["Fn::Sub"].as_str(),
                        Some(parameter_arn)
                    );
                }
                "kms:Decrypt" => {
                    // Only through SSM, and only for this parameter.
                    let condition = &statement["Condition"]["StringEquals"];
                    assert!(!condition["kms:ViaService"].is_null());
                    assert_eq!(
                        condition["kms:EncryptionContext:PARAMETER_ARN"]["Fn::Sub"].as_str(),
                        Some(parameter_arn)
                    );
                }
                other => panic!("the pepper policy grants {other}"),
            }
            actions.insert(action);
        }
    }
    assert_eq!(actions.len(), 2, "{actions:?}");
    for (binary, (id, function)) in functions_by_binary(&template) {
        let policies = function["Properties"]["Policies"]
            .as_sequence()
            .expect("Policies");
        assert!(
            policies.contains(&reference("PepperReadPolicy")),
            "{id} ({binary}) cannot read the pepper, and every binary loads it at start"
        );
        for statement in statements(&function) {
            for action in string_list(&statement["Action"]) {
                assert!(
                    action.starts_with("dynamodb:"),
                    "{id}: unexpected inline grant {action}"
                );
            }
        }
    }
}
