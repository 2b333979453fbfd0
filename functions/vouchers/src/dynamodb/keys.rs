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

/// GSI1 partition of the refunds made on a WIB day (on the `R#<id>` / `REFUND` items).
pub(super) fn refund_day_partition(day: NaiveDate) -> String {
    format!("RDAY#{day}")
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
