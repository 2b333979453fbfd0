//! The table's keys: one prefix per kind of record. Voucher code hashes are hex, token hashes
//! are hex, SKUs and ids come from us; none of them contains '#', so the prefixes cannot
//! collide. The IAM policies in `infra/template.yaml` restrict some functions to these prefixes.

use super::items::timestamp;
use crate::code::CodeHash;
use chrono::{DateTime, NaiveDate, Utc};

pub(super) fn voucher_partition(code: &CodeHash) -> String {
    format!("V#{}", code.as_str())
}

pub(super) fn entry_sort(seq: i64) -> String {
    format!("E#{seq:012}")
}

pub(super) fn redemption_partition(id: &str) -> String {
    format!("R#{id}")
}

pub(super) fn day_partition(day: NaiveDate) -> String {
    format!("DAY#{day}")
}

pub(super) fn idempotency_partition(operation: &str, key: &str) -> String {
    format!("I#{operation}#{key}")
}

pub(super) fn price_sort(sku: &str) -> String {
    format!("P#{sku}")
}

pub(super) fn batch_partition(name: &str) -> String {
    format!("B#{name}")
}

pub(super) fn token_partition(token_hash: &str) -> String {
    format!("T#{token_hash}")
}

pub(super) fn token_id_partition(id: &str) -> String {
    format!("TID#{id}")
}

pub(super) fn failure_partition(subject: &str, window_start: DateTime<Utc>) -> String {
    format!("F#{subject}#{}", timestamp(window_start))
}

pub(super) fn order_partition(id: &str) -> String {
    format!("O#{id}")
}

/// The buyer's contact of an order, in an item of its own so that DynamoDB's TTL can delete
/// it 90 days after the order closes while the order stays.
pub(super) fn order_buyer_partition(id: &str) -> String {
    format!("OB#{id}")
}

/// GSI1 partition of the orders in one status (the cashier's queue, oldest first).
pub(super) fn order_status_partition(status: crate::model::OrderStatus) -> String {
    format!("ORDERS#{}", status.as_str())
}
