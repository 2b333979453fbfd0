//! How rows map to domain values and back: column lists, timestamps as sortable text, enum
//! names, and SQLite errors as ledger errors.

use crate::code::CodeHash;
use crate::error::LedgerError;
use crate::model::{
    is_demo_batch, EntryKind, LineItem, Redemption, Refund, Role, StaffToken, Voucher,
    VoucherStatus,
};
use crate::money::Money;
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{ErrorCode, Row};

/// SQLite errors as ledger errors: lock contention is `Busy` (retry), the rest a store failure.
pub(super) fn sql_error(error: rusqlite::Error) -> LedgerError {
    match error.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => LedgerError::Busy,
        _ => LedgerError::Store(error.to_string()),
    }
}

/// Timestamps as fixed-width RFC 3339 text with nanoseconds: sorts as text, round-trips exactly.
pub(super) fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

pub(super) fn parse_stamp(text: &str) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| conversion_error(format!("timestamp {text:?}: {error}")))
}

pub(super) fn parse_date(text: &str) -> rusqlite::Result<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|error| conversion_error(format!("date {text:?}: {error}")))
}

pub(super) fn money(value: i64) -> rusqlite::Result<Money> {
    Money::new(value).map_err(|error| conversion_error(error.to_string()))
}

pub(super) fn conversion_error(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

pub(super) fn kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Issued => "issued",
        EntryKind::Redeemed => "redeemed",
        EntryKind::Refunded => "refunded",
        EntryKind::Voided => "voided",
        EntryKind::Expired => "expired",
    }
}

pub(super) fn parse_kind(text: &str) -> rusqlite::Result<EntryKind> {
    match text {
        "issued" => Ok(EntryKind::Issued),
        "redeemed" => Ok(EntryKind::Redeemed),
        "refunded" => Ok(EntryKind::Refunded),
        "voided" => Ok(EntryKind::Voided),
        "expired" => Ok(EntryKind::Expired),
        other => Err(conversion_error(format!("entry kind {other:?}"))),
    }
}

pub(super) fn role_name(role: Role) -> &'static str {
    match role {
        Role::Cashier => "cashier",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

pub(super) fn parse_role(text: &str) -> rusqlite::Result<Role> {
    match text {
        "cashier" => Ok(Role::Cashier),
        "supervisor" => Ok(Role::Supervisor),
        "admin" => Ok(Role::Admin),
        other => Err(conversion_error(format!("role {other:?}"))),
    }
}

pub(super) const VOUCHER_COLUMNS: &str =
    "code_hash, hint, face_value, balance, status, expires_on, batch, unit, issued_at";

pub(super) fn voucher_from_row(row: &Row<'_>) -> rusqlite::Result<Voucher> {
    let status: String = row.get(4)?;
    Ok(Voucher {
        code_hash: CodeHash(row.get(0)?),
        hint: row.get(1)?,
        face_value: money(row.get(2)?)?,
        balance: money(row.get(3)?)?,
        status: if status == "void" {
            VoucherStatus::Void
        } else {
            VoucherStatus::Active
        },
        expires_on: parse_date(&row.get::<_, String>(5)?)?,
        batch: row.get(6)?,
        unit: row.get(7)?,
        issued_at: parse_stamp(&row.get::<_, String>(8)?)?,
    })
}

pub(super) const REDEMPTION_COLUMNS: &str = "r.id, r.code_hint, r.cashier, r.created_at, r.total, \
     r.voucher_paid, r.cash_due, r.balance_after, \
     f.id, f.supervisor, f.created_at, f.voucher_amount, f.cash_amount, f.balance_after, \
     (SELECT v.batch FROM vouchers v WHERE v.code_hash = r.code_hash)";

pub(super) fn redemption_from_row(row: &Row<'_>) -> rusqlite::Result<Redemption> {
    let id: String = row.get(0)?;
    let refund = match row.get::<_, Option<String>>(8)? {
        Some(refund_id) => Some(Refund {
            id: refund_id,
            redemption_id: id.clone(),
            supervisor: row.get(9)?,
            created_at: parse_stamp(&row.get::<_, String>(10)?)?,
            voucher_amount: money(row.get(11)?)?,
            cash_amount: money(row.get(12)?)?,
            balance_after: money(row.get(13)?)?,
        }),
        None => None,
    };
    Ok(Redemption {
        id,
        code_hint: row.get(1)?,
        cashier: row.get(2)?,
        created_at: parse_stamp(&row.get::<_, String>(3)?)?,
        items: Vec::new(),
        total: money(row.get(4)?)?,
        voucher_paid: money(row.get(5)?)?,
        cash_due: money(row.get(6)?)?,
        balance_after: money(row.get(7)?)?,
        refund,
        // Demo-ness follows the voucher's batch, like `Voucher::is_demo`.
        demo: row
            .get::<_, Option<String>>(14)?
            .is_some_and(|batch| is_demo_batch(&batch)),
    })
}

pub(super) fn line_from_row(row: &Row<'_>) -> rusqlite::Result<(String, LineItem)> {
    Ok((
        row.get(0)?,
        LineItem {
            sku: row.get(1)?,
            name: row.get(2)?,
            producer: row.get(3)?,
            category: row.get(4)?,
            unit_price: money(row.get(5)?)?,
            qty: row.get(6)?,
            total: money(row.get(7)?)?,
        },
    ))
}

pub(super) fn token_from_row(row: &Row<'_>) -> rusqlite::Result<StaffToken> {
    Ok(StaffToken {
        id: row.get(0)?,
        token_hash: row.get(1)?,
        role: parse_role(&row.get::<_, String>(2)?)?,
        name: row.get(3)?,
        created_at: parse_stamp(&row.get::<_, String>(4)?)?,
        revoked_at: row
            .get::<_, Option<String>>(5)?
            .map(|text| parse_stamp(&text))
            .transpose()?,
    })
}

pub(super) const TOKEN_COLUMNS: &str = "id, token_hash, role, name, created_at, revoked_at";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_sort_as_text_and_round_trip() {
        let early = DateTime::from_timestamp(1_800_000_000, 5).unwrap_or_default();
        let late = DateTime::from_timestamp(1_800_000_000, 500_000_000).unwrap_or_default();
        assert!(stamp(early) < stamp(late));
        assert_eq!(parse_stamp(&stamp(early)).ok(), Some(early));
    }
}
