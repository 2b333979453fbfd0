//! The SAM template (`infra/template.yaml`) checked against the table it deploys from:
//! `galeri_api::Function`'s routes and DynamoDB grants, declared once next to the router in
//! `functions/api/src/lib.rs`. The template must publish exactly those routes, on the API each
//! route names (public or staff), and give each function exactly those IAM statements; and the
//! grants must be true to the code: every function's routes are driven through its own router
//! on DynamoDB Local, each DynamoDB call is recorded by an SDK interceptor, and every call must
//! be allowed by a declared grant (action, table or index, partition-key prefix, attributes)
//! while every declared grant must be used. Renaming a Rust function changes none of this; a
//! missing or an extra grant fails.

// A test helper that finds the template or the store not shaped as expected fails the test:
// that is what `expect` and `panic!` are for here.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use crate::api_support::catalog;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::types::AttributeValue;
use axum::http::StatusCode;
use chrono::{NaiveDate, Utc};
use galeri_api::auth::mint_token;
use galeri_api::{function_app, Api, AppState, Function, Grant, On};
use galeri_vouchers::dynamodb::DynamoStore;
use galeri_vouchers::model::{Buyer, Fulfilment, LineRequest, NewBatch, Role};
use galeri_vouchers::{Ledger, Money, OrderRequest, Pepper, VoucherStore};
use http_body_util::BodyExt;
use serde_json::json;
use serde_yaml::{Mapping, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tower::ServiceExt;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
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

/// The voucher table's one index, as the template names it.
fn index_name(template: &Value) -> String {
    resources(template)["VoucherTable"]["Properties"]["GlobalSecondaryIndexes"][0]["IndexName"]
        .as_str()
        .expect("the table has an index")
        .to_string()
}

/// Where a statement applies: the table or its index. Every grant is written as
/// `!If [UseRestoredTable, <the restored table's ARN>, <the stack's table's ARN>]`, so that a
/// point-in-time restore can be switched to; both branches must name the same thing.
fn resource_kind(template: &Value, resource: &Value) -> On {
    let branches = resource["Fn::If"]
        .as_sequence()
        .unwrap_or_else(|| panic!("DynamoDB resource without the restore switch: {resource:?}"));
    assert_eq!(branches[0].as_str(), Some("UseRestoredTable"));
    let index = index_name(template);
    let restored = branches[1]["Fn::Sub"].as_str().expect("restored ARN");
    let restored_table = "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${RestoredTableName}";
    let restored_kind = if restored == restored_table {
        On::Table
    } else if restored == format!("{restored_table}/index/{index}") {
        On::Index
    } else {
        panic!("unexpected restored-table resource {restored}")
    };
    let own_kind = if branches[2] == get_att("VoucherTable", "Arn") {
        On::Table
    } else if branches[2]["Fn::Sub"].as_str()
        == Some(format!("${{VoucherTable.Arn}}/index/{index}").as_str())
    {
        On::Index
    } else {
        panic!("unexpected DynamoDB resource {:?}", branches[2])
    };
    assert_eq!(
        restored_kind, own_kind,
        "the two branches differ: {resource:?}"
    );
    own_kind
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

/// One DynamoDB statement, comparable: what the declared table says and what the template
/// writes are both brought to this form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Statement {
    actions: BTreeSet<String>,
    on: On,
    leading_keys: BTreeSet<String>,
    attributes: BTreeSet<String>,
}

fn strings(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|item| item.to_string()).collect()
}

fn declared(grant: &Grant) -> Statement {
    Statement {
        actions: strings(grant.actions),
        on: grant.on,
        leading_keys: strings(grant.leading_keys),
        attributes: strings(grant.attributes),
    }
}

/// A template statement in the comparable form, after checking that its conditions are the
/// ones IAM needs to mean what the table says: a key limit is `ForAllValues:StringLike` on
/// `dynamodb:LeadingKeys` with a `Null` guard (ForAllValues alone also holds for a request that
/// has no keys at all); an attribute limit is `ForAllValues:StringEquals` on
/// `dynamodb:Attributes` with `ReturnValues` kept to what cannot read other attributes.
fn written(template: &Value, id: &str, statement: &Value) -> Statement {
    assert_eq!(statement["Effect"].as_str(), Some("Allow"), "{id}");
    let condition = &statement["Condition"];
    let leading_keys: BTreeSet<String> =
        string_list(&condition["ForAllValues:StringLike"]["dynamodb:LeadingKeys"])
            .into_iter()
            .collect();
    let attributes: BTreeSet<String> =
        string_list(&condition["ForAllValues:StringEquals"]["dynamodb:Attributes"])
            .into_iter()
            .collect();
    let mut expected_keys = BTreeSet::new();
    if !leading_keys.is_empty() {
        assert_eq!(
            condition["Null"]["dynamodb:LeadingKeys"].as_str(),
            Some("false"),
            "{id}: a LeadingKeys limit without its Null guard: {statement:?}"
        );
        expected_keys.extend(["ForAllValues:StringLike", "Null"]);
    }
    if !attributes.is_empty() {
        assert_eq!(
            string_list(&condition["StringEqualsIfExists"]["dynamodb:ReturnValues"]),
            ["NONE", "UPDATED_NEW"],
            "{id}"
        );
        expected_keys.extend(["ForAllValues:StringEquals", "StringEqualsIfExists"]);
    }
    let keys: BTreeSet<&str> = condition
        .as_mapping()
        .map(|mapping| mapping.keys().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys, expected_keys,
        "{id}: unexpected conditions {condition:?}"
    );
    let resources = match &statement["Resource"] {
        Value::Sequence(items) => items.clone(),
        single => vec![single.clone()],
    };
    assert_eq!(resources.len(), 1, "{id}: one resource per statement");
    Statement {
        actions: string_list(&statement["Action"]).into_iter().collect(),
        on: resource_kind(template, &resources[0]),
        leading_keys,
        attributes,
    }
}

/// The DynamoDB statements a function's template resource grants.
fn granted(template: &Value, id: &str, function: &Value) -> Vec<Statement> {
    let mut granted: Vec<Statement> = statements(function)
        .iter()
        .filter(|statement| {
            string_list(&statement["Action"])
                .iter()
                .any(|action| action.starts_with("dynamodb:"))
        })
        .map(|statement| written(template, id, statement))
        .collect();
    granted.sort();
    granted
}

// ------------------------------------------------------------------------------ the calls made

/// One DynamoDB call as IAM sees it: the action checked (a transaction is checked part by part,
/// each as its own action), table or index, the item's partition key, and the attributes the
/// request names (for `dynamodb:Attributes`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Call {
    action: String,
    on: On,
    partition: Option<String>,
    attributes: BTreeSet<String>,
}

/// What an interceptor saw: the calls, and the table the store created for itself.
#[derive(Debug, Default)]
struct Seen {
    calls: Vec<Call>,
    /// API operation names (`TransactWriteItems`, …): what the table alarms must watch.
    operations: BTreeSet<String>,
    created: Option<aws_sdk_dynamodb::operation::create_table::CreateTableInput>,
    time_to_live: Option<String>,
}

#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Seen>>);

impl Recorder {
    fn take(&self) -> Seen {
        std::mem::take(&mut *self.0.lock().expect("recorder"))
    }
}

fn text_of(value: Option<&AttributeValue>) -> Option<String> {
    value.and_then(|value| value.as_s().ok()).cloned()
}

/// Attribute names an expression uses: `#name` placeholders resolved, `:value` placeholders,
/// keywords and function names left out.
fn expression_attributes(
    expressions: &[Option<&str>],
    names: Option<&HashMap<String, String>>,
) -> BTreeSet<String> {
    const KEYWORDS: &[&str] = &[
        "SET", "ADD", "REMOVE", "DELETE", "AND", "OR", "NOT", "IN", "BETWEEN",
    ];
    let mut found = BTreeSet::new();
    for expression in expressions.iter().flatten() {
        let mut rest = *expression;
        while !rest.is_empty() {
            let start = rest
                .find(|c: char| c.is_alphanumeric() || c == '_' || c == '#' || c == ':')
                .unwrap_or(rest.len());
            rest = &rest[start..];
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '#' || c == ':'))
                .unwrap_or(rest.len());
            let word = &rest[..end];
            rest = &rest[end..];
            let is_function = rest.trim_start().starts_with('(');
            if word.is_empty()
                || word.starts_with(':')
                || is_function
                || KEYWORDS.contains(&word.to_uppercase().as_str())
                || word.chars().all(|c| c.is_ascii_digit())
            {
                continue;
            }
            if let Some(placeholder) = word.strip_prefix('#') {
                let name = names
                    .and_then(|names| names.get(word))
                    .unwrap_or_else(|| panic!("#{placeholder} has no name"));
                found.insert(name.clone());
            } else {
                found.insert(word.to_string());
            }
        }
    }
    found
}

fn key_attributes(key: &HashMap<String, AttributeValue>) -> BTreeSet<String> {
    key.keys().cloned().collect()
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_execution(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        use aws_sdk_dynamodb::operation::*;
        let input = context.input();
        let mut calls = Vec::new();
        let mut created = None;
        let mut time_to_live = None;
        let mut call = |action: &str, on: On, partition: Option<String>, attributes| {
            calls.push(Call {
                action: format!("dynamodb:{action}"),
                on,
                partition,
                attributes,
            })
        };
        let operation;
        if let Some(get) = input.downcast_ref::<get_item::GetItemInput>() {
            operation = "GetItem";
            let key = get.key().cloned().unwrap_or_default();
            call(
                operation,
                On::Table,
                text_of(key.get("PK")),
                BTreeSet::new(),
            );
        } else if let Some(batch) = input.downcast_ref::<batch_get_item::BatchGetItemInput>() {
            operation = "BatchGetItem";
            for request in batch.request_items().into_iter().flat_map(HashMap::values) {
                for key in request.keys() {
                    call(
                        operation,
                        On::Table,
                        text_of(key.get("PK")),
                        BTreeSet::new(),
                    );
                }
            }
        } else if let Some(query) = input.downcast_ref::<query::QueryInput>() {
            operation = "Query";
            let on = if query.index_name().is_some() {
                On::Index
            } else {
                On::Table
            };
            call(operation, on, None, BTreeSet::new());
        } else if let Some(update) = input.downcast_ref::<update_item::UpdateItemInput>() {
            operation = "UpdateItem";
            let key = update.key().cloned().unwrap_or_default();
            let mut attributes = key_attributes(&key);
            attributes.extend(expression_attributes(
                &[update.update_expression(), update.condition_expression()],
                update.expression_attribute_names(),
            ));
            call(operation, On::Table, text_of(key.get("PK")), attributes);
        } else if let Some(put) = input.downcast_ref::<put_item::PutItemInput>() {
            operation = "PutItem";
            let item = put.item().cloned().unwrap_or_default();
            call(
                operation,
                On::Table,
                text_of(item.get("PK")),
                key_attributes(&item),
            );
        } else if let Some(delete) = input.downcast_ref::<delete_item::DeleteItemInput>() {
            operation = "DeleteItem";
            let key = delete.key().cloned().unwrap_or_default();
            call(
                operation,
                On::Table,
                text_of(key.get("PK")),
                key_attributes(&key),
            );
        } else if let Some(transaction) =
            input.downcast_ref::<transact_write_items::TransactWriteItemsInput>()
        {
            operation = "TransactWriteItems";
            for part in transaction.transact_items() {
                if let Some(put) = part.put() {
                    call(
                        "PutItem",
                        On::Table,
                        text_of(put.item().get("PK")),
                        key_attributes(put.item()),
                    );
                }
                if let Some(update) = part.update() {
                    let mut attributes = key_attributes(update.key());
                    attributes.extend(expression_attributes(
                        &[
                            Some(update.update_expression()),
                            update.condition_expression(),
                        ],
                        update.expression_attribute_names(),
                    ));
                    call(
                        "UpdateItem",
                        On::Table,
                        text_of(update.key().get("PK")),
                        attributes,
                    );
                }
                if let Some(delete) = part.delete() {
                    call(
                        "DeleteItem",
                        On::Table,
                        text_of(delete.key().get("PK")),
                        key_attributes(delete.key()),
                    );
                }
                if let Some(check) = part.condition_check() {
                    call(
                        "ConditionCheckItem",
                        On::Table,
                        text_of(check.key().get("PK")),
                        key_attributes(check.key()),
                    );
                }
            }
        } else if let Some(transaction) =
            input.downcast_ref::<transact_get_items::TransactGetItemsInput>()
        {
            operation = "TransactGetItems";
            for part in transaction.transact_items() {
                if let Some(get) = part.get() {
                    call(
                        "GetItem",
                        On::Table,
                        text_of(get.key().get("PK")),
                        BTreeSet::new(),
                    );
                }
            }
        } else if let Some(create) = input.downcast_ref::<create_table::CreateTableInput>() {
            operation = "CreateTable";
            call(operation, On::Table, None, BTreeSet::new());
            created = Some(create.clone());
        } else if let Some(ttl) = input.downcast_ref::<update_time_to_live::UpdateTimeToLiveInput>()
        {
            operation = "UpdateTimeToLive";
            call(operation, On::Table, None, BTreeSet::new());
            time_to_live = ttl
                .time_to_live_specification()
                .map(|specification| specification.attribute_name().to_string());
        } else if input
            .downcast_ref::<describe_table::DescribeTableInput>()
            .is_some()
        {
            operation = "DescribeTable";
            call(operation, On::Table, None, BTreeSet::new());
        } else {
            // Anything else (Scan, BatchWriteItem, …) is named by its debug form's type, which
            // no grant matches: the test then says what was called.
            operation = "Unrecognised";
            call(
                &format!("{input:?}").chars().take(60).collect::<String>(),
                On::Table,
                None,
                BTreeSet::new(),
            );
        }
        let mut seen = self.0.lock().expect("recorder");
        seen.calls.extend(calls);
        seen.operations.insert(operation.to_string());
        if created.is_some() {
            seen.created = created;
        }
        if time_to_live.is_some() {
            seen.time_to_live = time_to_live;
        }
        Ok(())
    }
}

/// IAM's `StringLike`: `*` any run of characters, `?` one character.
fn like(pattern: &str, text: &str) -> bool {
    fn matches(pattern: &[char], text: &[char]) -> bool {
        match pattern.split_first() {
            None => text.is_empty(),
            Some(('*', rest)) => (0..=text.len()).any(|skip| matches(rest, &text[skip..])),
            Some(('?', rest)) => !text.is_empty() && matches(rest, &text[1..]),
            Some((c, rest)) => text.first() == Some(c) && matches(rest, &text[1..]),
        }
    }
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    matches(&pattern, &text)
}

/// Whether a grant allows a call, as IAM would decide it.
fn allows(grant: &Grant, call: &Call) -> bool {
    grant.actions.contains(&call.action.as_str())
        && grant.on == call.on
        && (grant.leading_keys.is_empty()
            || call.partition.as_deref().is_some_and(|partition| {
                grant
                    .leading_keys
                    .iter()
                    .any(|pattern| like(pattern, partition))
            }))
        && (grant.attributes.is_empty()
            || call
                .attributes
                .iter()
                .all(|attribute| grant.attributes.contains(&attribute.as_str())))
}

// ------------------------------------------------------------------------------ the scenarios

/// A store on a fresh DynamoDB Local table whose client records every call, with a price list,
/// vouchers, a cashier and a supervisor token, and one sale to refund and look up.
struct Recorded {
    state: AppState,
    recorder: Recorder,
    /// What the store did to create its own table (and its TTL).
    schema: Seen,
    codes: Vec<String>,
    cashier: String,
    supervisor: String,
    sold: String,
}

impl Recorded {
    async fn new() -> Recorded {
        assert!(
            std::env::var("AWS_ENDPOINT_URL_DYNAMODB").is_ok(),
            "AWS_ENDPOINT_URL_DYNAMODB is not set: run tests/services/dynamodb-local.sh start \
             and source tests/.deps/dynamodb.env (tests/run.sh does both)"
        );
        let recorder = Recorder::default();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .load()
            .await;
        let client = aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&config)
                .interceptor(recorder.clone())
                .build(),
        );
        let table = format!("galeri-grants-{}", crate::api_support::random_hex());
        let store = Arc::new(DynamoStore::new(client, table));
        store
            .prepare()
            .await
            .expect("DynamoDB Local did not answer");
        let schema = recorder.take();
        let pepper = Pepper::generate().expect("pepper");
        let ledger = Ledger::new(store.clone(), pepper);
        let now = Utc::now();
        ledger.load_catalog(&catalog()).await.expect("catalog");
        let batch = NewBatch {
            name: format!("2026-12-{}", crate::api_support::random_hex()),
            unit: Some("Dinas Koperasi".into()),
            // One each for the sale, the balance check, the void and the online order.
            count: 4,
            amount: Money::new(50_000).expect("amount"),
            expires_on: NaiveDate::from_ymd_opt(2099, 12, 31).expect("date"),
        };
        let codes = ledger
            .issue(&batch, now)
            .await
            .expect("issue")
            .iter()
            .map(|code| code.expose())
            .collect();
        let mut tokens = Vec::new();
        for (role, name) in [
            (Role::Cashier, "Kasir Sari"),
            (Role::Supervisor, "Pak Budi"),
        ] {
            let (token, record) = mint_token(role, name, now).expect("token");
            store.put_token(&record).await.expect("put token");
            tokens.push(token);
        }
        let mut recorded = Recorded {
            state: AppState::new(ledger),
            recorder,
            schema,
            codes,
            cashier: tokens[0].clone(),
            supervisor: tokens[1].clone(),
            sold: String::new(),
        };
        let (status, body) = recorded.sale(0, "grants-setup-sale-0001").await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        recorded.sold = body["id"].as_str().expect("redemption id").to_string();
        // An order placed long ago and still open: its hold has run out, so a balance check
        // on that voucher reads the queue, and the next sale closes the order first.
        let long_ago = now - chrono::Duration::days(30);
        let due = OrderRequest {
            idempotency_key: "grants-setup-order-0001".into(),
            codes: vec![galeri_vouchers::VoucherCode::parse(&recorded.codes[1]).expect("code")],
            items: vec![LineRequest {
                sku: "KERIPIK-10".into(),
                qty: 1,
            }],
            buyer: Buyer {
                name: "Sari".into(),
                whatsapp: "081234567890".into(),
                office: None,
            },
            fulfilment: Fulfilment::Pickup,
            note: None,
        };
        recorded
            .state
            .ledger
            .place_order(&due, long_ago)
            .await
            .expect("order");
        recorded.recorder.take();
        recorded
    }

    async fn send(
        &self,
        function: Function,
        method: &str,
        path: &str,
        token: Option<&str>,
        key: Option<&str>,
        body: Option<serde_json::Value>,
    ) -> (StatusCode, serde_json::Value) {
        let method = axum::http::Method::from_bytes(method.as_bytes()).expect("method");
        let request = crate::api_support::request(method, path, token, key, body, "198.51.100.9");
        let response = function_app(function, self.state.clone())
            .oneshot(request)
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or_default())
    }

    async fn sale(&self, code: usize, key: &str) -> (StatusCode, serde_json::Value) {
        let body = json!({
            "code": self.codes[code],
            "items": [{"sku": "KOPI-DAMPIT-250", "qty": 1}],
            "allow_cash": false,
        });
        self.send(
            Function::Redeem,
            "POST",
            "/v1/redemptions",
            Some(&self.cashier),
            Some(key),
            Some(body),
        )
        .await
    }

    /// Drives every route of `function` through its own router, on the paths that reach the
    /// store (success, replay, unknown code or id), and returns the calls made.
    async fn exercise(&self, function: Function) -> Seen {
        self.recorder.take();
        let stranger = galeri_vouchers::VoucherCode::generate()
            .expect("randomness")
            .expose();
        let mut answers = Vec::new();
        match function {
            Function::Balance => {
                answers.push((
                    StatusCode::OK,
                    self.send(function, "GET", "/v1/health", None, None, None)
                        .await,
                ));
                for (code, expected) in [
                    (self.codes[1].clone(), StatusCode::OK),
                    (stranger, StatusCode::NOT_FOUND),
                ] {
                    let body = Some(json!({ "code": code }));
                    answers.push((
                        expected,
                        self.send(function, "POST", "/v1/balance", None, None, body)
                            .await,
                    ));
                }
            }
            Function::Redeem => {
                answers.push((
                    StatusCode::CREATED,
                    self.sale(1, "grants-sale-0000000001").await,
                ));
                // The replay answers from the idempotency record.
                let replay = self.sale(1, "grants-sale-0000000001").await;
                answers.push((replay.0, replay.clone()));
                assert!(replay.0.is_success(), "{replay:?}");
                let body = Some(json!({
                    "code": stranger,
                    "items": [{"sku": "KOPI-DAMPIT-250", "qty": 1}],
                    "allow_cash": false,
                }));
                let token = Some(self.cashier.as_str());
                let key = Some("grants-sale-0000000002");
                answers.push((
                    StatusCode::NOT_FOUND,
                    self.send(function, "POST", "/v1/redemptions", token, key, body)
                        .await,
                ));
            }
            Function::Refund => {
                let path = format!("/v1/redemptions/{}/refund", self.sold);
                let token = Some(self.supervisor.as_str());
                for _ in 0..2 {
                    let key = Some("grants-refund-000000001");
                    let answer = self.send(function, "POST", &path, token, key, None).await;
                    assert!(answer.0.is_success(), "{answer:?}");
                    answers.push((answer.0, answer));
                }
                let key = Some("grants-refund-000000002");
                let path = "/v1/redemptions/rdm-unknown/refund";
                answers.push((
                    StatusCode::NOT_FOUND,
                    self.send(function, "POST", path, token, key, None).await,
                ));
                // A void, then its replay from the idempotency record.
                for _ in 0..2 {
                    let body = Some(json!({ "codes": [self.codes[2]], "reason": "hilang" }));
                    let key = Some("grants-void-00000000001");
                    let answer = self
                        .send(function, "POST", "/v1/vouchers/void", token, key, body)
                        .await;
                    answers.push((StatusCode::OK, answer));
                }
            }
            Function::History => {
                let token = Some(self.cashier.as_str());
                for (code, expected) in [
                    (self.codes[0].clone(), StatusCode::OK),
                    (stranger, StatusCode::NOT_FOUND),
                ] {
                    let body = Some(json!({ "code": code }));
                    answers.push((
                        expected,
                        self.send(function, "POST", "/v1/history", token, None, body)
                            .await,
                    ));
                }
                let path = format!("/v1/redemptions/{}", self.sold);
                answers.push((
                    StatusCode::OK,
                    self.send(function, "GET", &path, token, None, None).await,
                ));
            }
            Function::Orders => {
                let order = |code: &str| {
                    Some(json!({
                        "codes": [code],
                        "items": [{"sku": "KERIPIK-10", "qty": 2}],
                        "buyer": {"name": "Sari", "whatsapp": "0812 3456 7890"},
                        "fulfilment": "pickup",
                    }))
                };
                let place = |key: &'static str| {
                    self.send(
                        function,
                        "POST",
                        "/v1/orders",
                        None,
                        Some(key),
                        order(&self.codes[3]),
                    )
                };
                let placed = place("grants-order-000000001").await;
                answers.push((StatusCode::CREATED, placed.clone()));
                // The replay answers from the idempotency record.
                answers.push((StatusCode::CREATED, place("grants-order-000000001").await));
                answers.push((
                    StatusCode::NOT_FOUND,
                    self.send(
                        function,
                        "POST",
                        "/v1/orders",
                        None,
                        Some("grants-order-000000002"),
                        order(&stranger),
                    )
                    .await,
                ));
                let id = placed.1["id"].as_str().expect("order id").to_string();
                let token = Some(self.cashier.as_str());
                let path = format!("/v1/orders/{id}");
                answers.push((
                    StatusCode::OK,
                    self.send(function, "GET", &path, token, None, None).await,
                ));
                answers.push((
                    StatusCode::OK,
                    self.send(function, "GET", "/v1/orders", token, None, None)
                        .await,
                ));
                let status = Some(json!({"status": "siap"}));
                answers.push((
                    StatusCode::OK,
                    self.send(
                        function,
                        "POST",
                        &format!("{path}/status"),
                        token,
                        None,
                        status,
                    )
                    .await,
                ));
                let key = Some("grants-complete-00000001");
                answers.push((
                    StatusCode::CREATED,
                    self.send(
                        function,
                        "POST",
                        &format!("{path}/complete"),
                        token,
                        key,
                        None,
                    )
                    .await,
                ));
                let other = place("grants-order-000000003").await;
                answers.push((StatusCode::CREATED, other.clone()));
                let other = other.1["id"].as_str().expect("order id").to_string();
                answers.push((
                    StatusCode::OK,
                    self.send(
                        function,
                        "POST",
                        &format!("/v1/orders/{other}/cancel"),
                        token,
                        None,
                        None,
                    )
                    .await,
                ));
            }
            Function::Report => {
                let today = Utc::now().date_naive();
                let path = format!(
                    "/v1/reports/settlement?from={}&to={}",
                    today - chrono::Duration::days(1),
                    today + chrono::Duration::days(1)
                );
                let token = Some(self.supervisor.as_str());
                answers.push((
                    StatusCode::OK,
                    self.send(function, "GET", &path, token, None, None).await,
                ));
            }
        }
        for (expected, (status, body)) in answers {
            assert_eq!(status, expected, "{}: {body}", function.name());
        }
        self.recorder.take()
    }
}

// ------------------------------------------------------------------------------ the tests

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
fn every_openapi_route_is_wired_to_the_function_and_the_api_that_serve_it() {
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
            let route = (
                properties["Method"]
                    .as_str()
                    .expect("Method")
                    .to_uppercase(),
                properties["Path"].as_str().expect("Path").to_string(),
                properties["ApiId"]["Ref"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{id}: ApiId is not a Ref"))
                    .to_string(),
            );
            assert!(
                wired.insert((route.0.clone(), route.1.clone())),
                "{route:?} is wired twice"
            );
            routes.insert(route);
        }
        let serves: BTreeSet<(String, String, String)> = function
            .routes()
            .iter()
            .map(|route| {
                let api = match route.api {
                    Api::Public => "PublicApi",
                    Api::Staff => "StaffApi",
                };
                (
                    route.method.as_str().to_string(),
                    route.path.to_string(),
                    api.to_string(),
                )
            })
            .collect();
        assert_eq!(routes, serves, "{id} vs Function::{function:?}.routes()");
    }
    assert_eq!(wired, contract, "template routes vs infra/openapi.yaml");
}

#[test]
fn anonymous_and_staff_traffic_are_throttled_apart_and_redeem_has_its_own_concurrency() {
    let template = template();
    let all = resources(&template);
    let apis = of_type(&template, "AWS::Serverless::HttpApi");
    assert_eq!(
        apis.keys().map(String::as_str).collect::<Vec<_>>(),
        ["PublicApi", "StaffApi"],
        "one API for anonymous callers, one for staff"
    );
    // Every staff route is on the staff API, and only anonymous routes on the public one:
    // a flood of balance checks spends the public API's buckets, never a till's.
    let staff_routes = Function::ALL
        .iter()
        .flat_map(|function| function.routes())
        .filter(|route| route.api == Api::Staff)
        .count();
    assert!(
        staff_routes >= 4,
        "the sale, refund, history and report routes"
    );
    for function in Function::ALL {
        for route in function.routes() {
            // The buyer's order routes are anonymous (the order token is no staff token).
            let needs_token = !matches!(
                (route.method.as_str(), route.path),
                ("POST", "/v1/balance")
                    | ("GET", "/v1/health")
                    | ("POST", "/v1/orders")
                    | ("GET", "/v1/orders/{id}")
                    | ("POST", "/v1/orders/{id}/cancel")
            );
            assert_eq!(
                route.api == Api::Staff,
                needs_token,
                "{} {} is on the wrong API",
                route.method.as_str(),
                route.path
            );
        }
    }
    for (id, api) in &apis {
        let defaults = &api["Properties"]["DefaultRouteSettings"];
        assert!(
            defaults["ThrottlingRateLimit"].as_u64().is_some()
                && defaults["ThrottlingBurstLimit"].as_u64().is_some(),
            "{id} has no default route throttle"
        );
    }
    let public_balance = &apis["PublicApi"]["Properties"]["RouteSettings"]["POST /v1/balance"];
    assert!(public_balance["ThrottlingRateLimit"]
        .as_u64()
        .is_some_and(|rate| rate <= 10));
    let functions = functions_by_binary(&template);
    let reserved = |binary: &str| {
        let (id, function) = &functions[binary];
        let value = &function["Properties"]["ReservedConcurrentExecutions"];
        let parameter = value["Ref"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no reserved concurrency"));
        let declared = &template["Parameters"][parameter];
        assert!(
            declared["MinValue"]
                .as_u64()
                .is_some_and(|least| least >= 1),
            "{id}: 0 would stop it"
        );
        declared["Default"].as_u64().expect("a default")
    };
    assert!(
        reserved("redeem") >= 5,
        "sales keep concurrency of their own"
    );
    assert!(
        reserved("balance") >= 1,
        "the anonymous route has a ceiling"
    );
    assert!(all.contains_key("StaffApiAccessLogs") && all.contains_key("PublicApiAccessLogs"));
    for output in ["ApiUrl", "StaffApiUrl"] {
        assert!(!template["Outputs"][output].is_null(), "output {output}");
    }
}

#[test]
fn each_function_is_granted_exactly_the_statements_declared_next_to_its_routes() {
    let template = template();
    let functions = functions_by_binary(&template);
    let mut report = Vec::new();
    for function in Function::ALL {
        let (id, resource) = &functions[function.name()];
        let mut declared: Vec<Statement> = function.grants().iter().map(declared).collect();
        declared.sort();
        let granted = granted(&template, id, resource);
        if declared != granted {
            report.push(format!(
                "{id} ({}):\n  declared {declared:?}\n  granted  {granted:?}",
                function.name()
            ));
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));
}

#[test]
fn every_write_is_limited_to_the_items_it_is_for() {
    let writes = [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ];
    for function in Function::ALL {
        let money_writer = matches!(
            function,
            Function::Redeem | Function::Refund | Function::Orders
        );
        for grant in function.grants() {
            for action in grant.actions {
                assert!(
                    !action.ends_with('*'),
                    "{}: wildcard {action}",
                    function.name()
                );
            }
            if !grant.actions.iter().any(|action| writes.contains(action)) {
                continue;
            }
            assert!(
                !grant.leading_keys.is_empty(),
                "{}: a write not limited to key prefixes",
                function.name()
            );
            let counter_only = grant.actions == ["dynamodb:UpdateItem"]
                && grant.leading_keys == ["F#*"]
                && !grant.attributes.is_empty()
                && !grant.attributes.contains(&"balance");
            assert!(
                money_writer || counter_only,
                "{} may write more than the failure counter",
                function.name()
            );
            if money_writer && !counter_only {
                // A sale or refund touches its voucher, its redemption and its own operation's
                // idempotency records (the refund function's supervisor also voids, under
                // `I#void#`), and never a token, price or counter; orders (and a sale closing
                // an expired one) also touch the order and its buyer's contact.
                let operation = format!("I#{}#*", function.name());
                let mut allowed = vec!["V#*", "R#*", operation.as_str()];
                match function {
                    Function::Refund => allowed.push("I#void#*"),
                    Function::Redeem => allowed.extend(["O#*", "OB#*"]),
                    Function::Orders => {
                        allowed.extend(["O#*", "OB#*", "I#order#*", "I#complete#*"])
                    }
                    _ => {}
                }
                for prefix in grant.leading_keys {
                    assert!(allowed.contains(prefix), "{}: {prefix}", function.name());
                }
            }
        }
    }
}

#[tokio::test]
async fn the_declared_grants_are_exactly_what_the_code_calls_on_dynamodb() {
    let template = template();
    let recorded = Recorded::new().await;
    let mut report = Vec::new();
    let mut operations = BTreeSet::new();
    for function in Function::ALL {
        let seen = recorded.exercise(function).await;
        assert!(
            !seen.calls.is_empty(),
            "{} made no DynamoDB call",
            function.name()
        );
        operations.extend(seen.operations.iter().cloned());
        let grants = function.grants();
        for call in &seen.calls {
            if !grants.iter().any(|grant| allows(grant, call)) {
                report.push(format!("{}: no grant allows {call:?}", function.name()));
            }
        }
        // Every declared action and key prefix is used: a grant the code does not need fails.
        for (index, grant) in grants.iter().enumerate() {
            for action in grant.actions {
                let used = seen
                    .calls
                    .iter()
                    .any(|call| call.action == *action && allows(grant, call));
                if !used {
                    report.push(format!(
                        "{}: grant {index} {action} is never used",
                        function.name()
                    ));
                }
            }
            for pattern in grant.leading_keys {
                let used = seen.calls.iter().any(|call| {
                    allows(grant, call)
                        && call
                            .partition
                            .as_deref()
                            .is_some_and(|key| like(pattern, key))
                });
                if !used {
                    report.push(format!(
                        "{}: grant {index} key {pattern} is never used",
                        function.name()
                    ));
                }
            }
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n"));

    // The table alarms watch every operation the functions call.
    for alarm in ["TableThrottlesAlarm", "TableSystemErrorsAlarm"] {
        let watched = alarm_operations(&resources(&template)[alarm]);
        let missing: Vec<&String> = operations.difference(&watched).collect();
        assert!(missing.is_empty(), "{alarm} does not watch {missing:?}");
    }

    // The template's table is the one the store creates for itself.
    let created = recorded
        .schema
        .created
        .as_ref()
        .expect("the store created its table");
    let table = &resources(&template)["VoucherTable"]["Properties"];
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
    let sdk_keys = |schema: &[aws_sdk_dynamodb::types::KeySchemaElement]| -> Vec<(String, String)> {
        schema
            .iter()
            .map(|key| {
                (
                    key.attribute_name().to_string(),
                    key.key_type().as_str().to_string(),
                )
            })
            .collect()
    };
    assert_eq!(keys(&table["KeySchema"]), sdk_keys(created.key_schema()));
    let indexes = table["GlobalSecondaryIndexes"].as_sequence().expect("GSIs");
    let created_indexes = created.global_secondary_indexes();
    assert_eq!(indexes.len(), created_indexes.len());
    for (index, created_index) in indexes.iter().zip(created_indexes) {
        assert_eq!(
            index["IndexName"].as_str(),
            Some(created_index.index_name())
        );
        assert_eq!(
            keys(&index["KeySchema"]),
            sdk_keys(created_index.key_schema())
        );
    }
    let definitions: BTreeSet<(String, String)> = table["AttributeDefinitions"]
        .as_sequence()
        .expect("AttributeDefinitions")
        .iter()
        .map(|definition| {
            (
                definition["AttributeName"]
                    .as_str()
                    .expect("name")
                    .to_string(),
                definition["AttributeType"]
                    .as_str()
                    .expect("type")
                    .to_string(),
            )
        })
        .collect();
    let created_definitions: BTreeSet<(String, String)> = created
        .attribute_definitions()
        .iter()
        .map(|definition| {
            (
                definition.attribute_name().to_string(),
                definition.attribute_type().as_str().to_string(),
            )
        })
        .collect();
    assert_eq!(definitions, created_definitions);
    assert_eq!(
        table["TimeToLiveSpecification"]["AttributeName"].as_str(),
        recorded.schema.time_to_live.as_deref(),
        "TTL attribute"
    );
}

#[test]
fn the_grant_checker_reads_keys_and_expressions_as_iam_does() {
    assert!(like("F#*", "F#ip:198.51.100.9#2026-11-29T20:00:00Z"));
    assert!(like("I#redeem#*", "I#redeem#abc"));
    assert!(!like("I#redeem#*", "I#refund#abc"));
    assert!(!like("V#*", "PRICES"));
    assert!(like("?#*", "R#x"));
    let names: HashMap<String, String> = [("#record".to_string(), "record".to_string())].into();
    assert_eq!(
        expression_attributes(
            &[Some(
                "ADD failures :one SET #record = :r, expires_at = if_not_exists(expires_at, :e)"
            )],
            Some(&names)
        ),
        strings(&["expires_at", "failures", "record"])
    );
}

/// The operations a DynamoDB alarm's metrics name (one metric per operation).
fn alarm_operations(alarm: &Value) -> BTreeSet<String> {
    let mut operations = BTreeSet::new();
    for metric in alarm["Properties"]["Metrics"]
        .as_sequence()
        .into_iter()
        .flatten()
    {
        for dimension in metric["MetricStat"]["Metric"]["Dimensions"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            if dimension["Name"].as_str() == Some("Operation") {
                operations.insert(dimension["Value"].as_str().expect("operation").to_string());
            }
        }
    }
    operations
}

#[test]
fn dynamodb_error_alarms_watch_metrics_that_exist() {
    // ThrottledRequests and SystemErrors exist only per TableName and Operation: an alarm on
    // TableName alone never sees a data point.
    let template = template();
    let mut watched = BTreeSet::new();
    for (id, alarm) in of_type(&template, "AWS::CloudWatch::Alarm") {
        let properties = &alarm["Properties"];
        let mut metrics = vec![properties.clone()];
        for metric in properties["Metrics"].as_sequence().into_iter().flatten() {
            metrics.push(metric["MetricStat"]["Metric"].clone());
        }
        for metric in metrics {
            let name = metric["MetricName"].as_str().unwrap_or_default();
            if metric["Namespace"].as_str() != Some("AWS/DynamoDB")
                || !["ThrottledRequests", "SystemErrors"].contains(&name)
            {
                continue;
            }
            let dimensions: BTreeSet<&str> = metric["Dimensions"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|dimension| dimension["Name"].as_str())
                .collect();
            assert_eq!(
                dimensions,
                ["Operation", "TableName"].into(),
                "{id}: {name}"
            );
            watched.insert(name.to_string());
        }
        if let Some(metrics) = properties["Metrics"].as_sequence() {
            let returned: Vec<&Value> = metrics
                .iter()
                .filter(|metric| metric["ReturnData"] != Value::Bool(false))
                .collect();
            assert_eq!(returned.len(), 1, "{id}: one series is alarmed on");
            assert!(
                returned[0]["Expression"].as_str().is_some(),
                "{id}: a sum of the operations"
            );
        }
    }
    assert_eq!(watched, strings(&["SystemErrors", "ThrottledRequests"]));
}

#[test]
fn nothing_kept_after_a_failed_deploy_has_a_fixed_name() {
    // A retained resource with a fixed name makes the next deploy of the stage fail on it
    // ("already exists") after a first deploy rolled back.
    let template = template();
    let names = [
        "TableName",
        "BucketName",
        "LogGroupName",
        "TopicName",
        "FunctionName",
    ];
    for (id, resource) in resources(&template) {
        let kept = ["Retain", "RetainExceptOnCreate", "Snapshot"]
            .contains(&resource["DeletionPolicy"].as_str().unwrap_or(""))
            || resource["UpdateReplacePolicy"].as_str() == Some("Retain");
        if !kept {
            continue;
        }
        for name in names {
            assert!(
                resource["Properties"][name].is_null(),
                "{id} is kept and named ({name}): a failed first deploy could not be repeated"
            );
        }
    }
    let table = &resources(&template)["VoucherTable"];
    assert_eq!(table["DeletionPolicy"].as_str(), Some("Retain"));
    assert_eq!(table["UpdateReplacePolicy"].as_str(), Some("Retain"));
}

#[test]
fn the_table_is_kept_safe() {
    let template = template();
    let properties = &resources(&template)["VoucherTable"]["Properties"];
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
    for api in ["PublicApi", "StaffApi"] {
        let cors = &resources(&template)[api]["Properties"]["CorsConfiguration"];
        let allowed: BTreeSet<String> = string_list(&cors["AllowHeaders"]).into_iter().collect();
        let exposed: BTreeSet<String> = string_list(&cors["ExposeHeaders"]).into_iter().collect();
        let missing: Vec<&String> = request_headers.difference(&allowed).collect();
        assert!(
            missing.is_empty(),
            "{api}: CORS AllowHeaders lacks {missing:?}"
        );
        let missing: Vec<&String> = response_headers.difference(&exposed).collect();
        assert!(
            missing.is_empty(),
            "{api}: CORS ExposeHeaders lacks {missing:?}"
        );
    }
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

    // CORS: the site's origin only; the pages may call both APIs.
    for api in ["PublicApi", "StaffApi"] {
        let cors = &all[api]["Properties"]["CorsConfiguration"];
        let origins = cors["AllowOrigins"].as_sequence().expect("AllowOrigins");
        assert_eq!(origins.len(), 1, "{api}");
        assert_eq!(
            origins[0]["Fn::Sub"].as_str(),
            Some("https://${SiteDomain}"),
            "{api}"
        );
        let url = format!("https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}");
        assert!(csp.contains(&url), "CSP connect-src lacks {api}: {csp}");
    }
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
fn every_function_may_read_the_pepper_parameter_and_nothing_else_from_ssm() {
    let template = template();
    // The Lambda wiring makes one decrypted GetParameter call for the pepper at start.
    let pepper_policy = &resources(&template)["PepperReadPolicy"];
    assert_eq!(
        pepper_policy["Type"].as_str(),
        Some("AWS::IAM::ManagedPolicy")
    );
    let parameter_arn = "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${PepperParameterName}";
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
