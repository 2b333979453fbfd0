//! Records as DynamoDB items and back: one function per record kind, and the attribute
//! helpers they share (money as whole-rupiah numbers, timestamps as sortable text).

use super::keys::*;
use super::*;
use crate::model::{EntryKind, Payment, Role};
use chrono::{NaiveDate, SecondsFormat};

pub(super) fn keyed(partition: &str, sort: &str, record: &str) -> Item {
    HashMap::from([
        (PARTITION_KEY.to_string(), s(partition)),
        (SORT_KEY.to_string(), s(sort)),
        ("record".to_string(), s(record)),
    ])
}

pub(super) fn item_key(item: &Item) -> Option<Item> {
    let partition = item.get(PARTITION_KEY)?.clone();
    let sort = item.get(SORT_KEY)?.clone();
    Some(HashMap::from([
        (PARTITION_KEY.to_string(), partition),
        (SORT_KEY.to_string(), sort),
    ]))
}

pub(super) fn voucher_item(voucher: &Voucher, seq: i64) -> Item {
    let mut item = keyed(&voucher_partition(&voucher.code_hash), META, "voucher");
    item.insert("code_hash".into(), s(voucher.code_hash.as_str()));
    item.insert("hint".into(), s(&voucher.hint));
    item.insert("face_value".into(), money(voucher.face_value));
    item.insert("balance".into(), money(voucher.balance));
    item.insert("status".into(), s(status_text(voucher.status)));
    item.insert("expires_on".into(), s(voucher.expires_on.to_string()));
    item.insert("batch".into(), s(&voucher.batch));
    if let Some(unit) = &voucher.unit {
        item.insert("unit".into(), s(unit));
    }
    item.insert("issued_at".into(), s(timestamp(voucher.issued_at)));
    item.insert("seq".into(), n(seq));
    item.insert("held".into(), money(voucher.held));
    item
}

pub(super) fn entry_item(code: &CodeHash, seq: i64, entry: &LedgerEntry) -> Item {
    let mut item = keyed(&voucher_partition(code), &entry_sort(seq), "entry");
    item.insert("at".into(), s(timestamp(entry.at)));
    item.insert("kind".into(), s(entry_kind_text(entry.kind)));
    item.insert("amount".into(), money(entry.amount));
    item.insert("balance_after".into(), money(entry.balance_after));
    item.insert("reference".into(), s(&entry.reference));
    item
}

pub(super) fn entry_from(item: &Item) -> LedgerResult<LedgerEntry> {
    let kind = match text(item, "kind")?.as_str() {
        "issued" => EntryKind::Issued,
        "redeemed" => EntryKind::Redeemed,
        "refunded" => EntryKind::Refunded,
        "voided" => EntryKind::Voided,
        "expired" => EntryKind::Expired,
        other => return Err(LedgerError::Store(format!("unknown entry kind {other}"))),
    };
    Ok(LedgerEntry {
        at: time_of(item, "at")?,
        kind,
        amount: money_of(item, "amount")?,
        balance_after: money_of(item, "balance_after")?,
        reference: text(item, "reference")?,
    })
}

pub(super) fn redemption_item(redemption: &Redemption, voucher: &CodeHash) -> LedgerResult<Item> {
    let created_at = timestamp(redemption.created_at);
    let mut item = keyed(&redemption_partition(&redemption.id), META, "redemption");
    item.insert("id".into(), s(&redemption.id));
    item.insert("voucher".into(), s(voucher.as_str()));
    item.insert("code_hint".into(), s(&redemption.code_hint));
    item.insert("cashier".into(), s(&redemption.cashier));
    item.insert("created_at".into(), s(&created_at));
    let lines = serde_json::to_string(&redemption.items).map_err(LedgerError::store)?;
    item.insert("items".into(), s(lines));
    item.insert("total".into(), money(redemption.total));
    item.insert("voucher_paid".into(), money(redemption.voucher_paid));
    item.insert("cash_due".into(), money(redemption.cash_due));
    item.insert("balance_after".into(), money(redemption.balance_after));
    if redemption.demo {
        item.insert("demo".into(), AttributeValue::Bool(true));
    }
    item.insert(
        INDEX_PARTITION_KEY.into(),
        s(day_partition(wib_date(redemption.created_at))),
    );
    item.insert(
        INDEX_SORT_KEY.into(),
        s(format!("{created_at}#{}", redemption.id)),
    );
    Ok(item)
}

/// The refund's copy of a refunded redemption (`R#<id>` / `REFUND`), indexed on GSI1 under the
/// refund's WIB day: settlement on events finds a period's refunds there, with the lines it
/// needs for the negative lines, whenever the sale was made.
pub(super) fn refund_item(redemption: &Redemption, payers: &[CodeHash]) -> LedgerResult<Item> {
    let refund = redemption
        .refund
        .as_ref()
        .ok_or_else(|| LedgerError::Store("refund item without a refund".into()))?;
    // The copy names every paying voucher, like the sale it copies.
    let mut item = sale_item(redemption, payers)?;
    item.insert(SORT_KEY.into(), s(REFUND_SORT));
    item.insert("record".into(), s("refund"));
    item.insert("refund_id".into(), s(&refund.id));
    item.insert("refund_supervisor".into(), s(&refund.supervisor));
    item.insert("refund_created_at".into(), s(timestamp(refund.created_at)));
    item.insert("refund_voucher_amount".into(), money(refund.voucher_amount));
    item.insert("refund_cash_amount".into(), money(refund.cash_amount));
    item.insert("refund_balance_after".into(), money(refund.balance_after));
    item.insert(
        INDEX_PARTITION_KEY.into(),
        s(refund_day_partition(wib_date(refund.created_at))),
    );
    item.insert(
        INDEX_SORT_KEY.into(),
        s(format!(
            "{}#{}",
            timestamp(refund.created_at),
            redemption.id
        )),
    );
    Ok(item)
}

pub(super) fn token_item(token: &StaffToken) -> Item {
    let created_at = timestamp(token.created_at);
    let mut item = keyed(&token_partition(&token.token_hash), META, "token");
    item.insert("id".into(), s(&token.id));
    item.insert("token_hash".into(), s(&token.token_hash));
    item.insert("role".into(), s(role_text(token.role)));
    item.insert("name".into(), s(&token.name));
    item.insert("created_at".into(), s(&created_at));
    if let Some(revoked_at) = token.revoked_at {
        item.insert("revoked_at".into(), s(timestamp(revoked_at)));
    }
    item.insert(INDEX_PARTITION_KEY.into(), s(TOKEN_INDEX_PARTITION));
    item.insert(
        INDEX_SORT_KEY.into(),
        s(format!("{created_at}#{}", token.id)),
    );
    item
}

pub(super) fn token_from(item: &Item) -> LedgerResult<StaffToken> {
    let role = match text(item, "role")?.as_str() {
        "cashier" => Role::Cashier,
        "supervisor" => Role::Supervisor,
        "admin" => Role::Admin,
        other => return Err(LedgerError::Store(format!("unknown role {other}"))),
    };
    let revoked_at = match optional_text(item, "revoked_at")? {
        Some(at) => Some(parse_time(&at)?),
        None => None,
    };
    Ok(StaffToken {
        id: text(item, "id")?,
        token_hash: text(item, "token_hash")?,
        role,
        name: text(item, "name")?,
        created_at: time_of(item, "created_at")?,
        revoked_at,
    })
}

pub(super) fn status_text(status: VoucherStatus) -> &'static str {
    match status {
        VoucherStatus::Active => "active",
        VoucherStatus::Void => "void",
    }
}

pub(super) fn entry_kind_text(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Issued => "issued",
        EntryKind::Redeemed => "redeemed",
        EntryKind::Refunded => "refunded",
        EntryKind::Voided => "voided",
        EntryKind::Expired => "expired",
    }
}

pub(super) fn role_text(role: Role) -> &'static str {
    match role {
        Role::Cashier => "cashier",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

// Attribute values.

pub(super) fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

pub(super) fn n(value: i64) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

/// Money is an N attribute holding whole rupiah.
pub(super) fn money(value: Money) -> AttributeValue {
    n(value.rupiah())
}

/// Fixed width (nine fractional digits, `Z`), so that timestamps sort as text and round-trip.
pub(super) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub(super) fn parse_time(text: &str) -> LedgerResult<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|error| LedgerError::Store(format!("bad timestamp {text:?}: {error}")))
}

pub(super) fn optional_text(item: &Item, name: &str) -> LedgerResult<Option<String>> {
    match item.get(name) {
        None | Some(AttributeValue::Null(_)) => Ok(None),
        Some(AttributeValue::S(value)) => Ok(Some(value.clone())),
        Some(_) => Err(LedgerError::Store(format!(
            "attribute {name} is not a string"
        ))),
    }
}

pub(super) fn text(item: &Item, name: &str) -> LedgerResult<String> {
    optional_text(item, name)?
        .ok_or_else(|| LedgerError::Store(format!("attribute {name} is missing")))
}

pub(super) fn integer(item: &Item, name: &str) -> LedgerResult<i64> {
    match item.get(name) {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| LedgerError::Store(format!("attribute {name} is not an integer"))),
        Some(_) => Err(LedgerError::Store(format!(
            "attribute {name} is not a number"
        ))),
        None => Err(LedgerError::Store(format!("attribute {name} is missing"))),
    }
}

pub(super) fn money_of(item: &Item, name: &str) -> LedgerResult<Money> {
    let rupiah = integer(item, name)?;
    Money::new(rupiah).map_err(|error| LedgerError::Store(format!("attribute {name}: {error}")))
}

pub(super) fn time_of(item: &Item, name: &str) -> LedgerResult<DateTime<Utc>> {
    parse_time(&text(item, name)?)
}

pub(super) fn date_of(item: &Item, name: &str) -> LedgerResult<NaiveDate> {
    let value = text(item, name)?;
    value
        .parse()
        .map_err(|_| LedgerError::Store(format!("attribute {name} is not a date: {value}")))
}

/// A voucher with the write counter that guards it.
pub(super) struct StoredVoucher {
    pub(super) voucher: Voucher,
    /// Bumped by every write to the voucher; also numbers its ledger entries.
    pub(super) seq: i64,
    /// `vouchers expire` marked it (`expired_at` is set): its balance went back already.
    pub(super) expired_marked: bool,
}

impl StoredVoucher {
    /// The vouchers of several stored records, as the rules read them.
    pub(super) fn vouchers(stored: &[StoredVoucher]) -> Vec<Voucher> {
        stored.iter().map(|one| one.voucher.clone()).collect()
    }

    pub(super) fn from_item(item: &Item) -> LedgerResult<StoredVoucher> {
        let status = match text(item, "status")?.as_str() {
            "active" => VoucherStatus::Active,
            "void" => VoucherStatus::Void,
            other => {
                return Err(LedgerError::Store(format!(
                    "unknown voucher status {other}"
                )))
            }
        };
        Ok(StoredVoucher {
            voucher: Voucher {
                code_hash: CodeHash(text(item, "code_hash")?),
                hint: text(item, "hint")?,
                face_value: money_of(item, "face_value")?,
                balance: money_of(item, "balance")?,
                status,
                expires_on: date_of(item, "expires_on")?,
                batch: text(item, "batch")?,
                unit: optional_text(item, "unit")?,
                issued_at: time_of(item, "issued_at")?,
                // Vouchers written before holds existed hold nothing.
                held: match item.get("held") {
                    Some(_) => money_of(item, "held")?,
                    None => Money::ZERO,
                },
            },
            seq: integer(item, "seq")?,
            expired_marked: item.contains_key("expired_at"),
        })
    }
}

/// A redemption with the vouchers it was paid from (which the API never shows).
pub(super) struct StoredRedemption {
    pub(super) redemption: Redemption,
    /// The voucher of each payment, aligned with `redemption.payments`.
    pub(super) payers: Vec<CodeHash>,
}

/// A payment as stored on a redemption item (`payments`, JSON): with its voucher.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct StoredPayment {
    pub(super) voucher: CodeHash,
    pub(super) code_hint: String,
    pub(super) amount: Money,
    pub(super) balance_after: Money,
}

/// A redemption item that names every paying voucher (`payers`, aligned with the payments),
/// and the order it completed, if any.
pub(super) fn sale_item(redemption: &Redemption, payers: &[CodeHash]) -> LedgerResult<Item> {
    let first = payers
        .first()
        .ok_or_else(|| LedgerError::Store("sale without voucher".into()))?;
    let mut item = redemption_item(redemption, first)?;
    let payments: Vec<StoredPayment> = payers
        .iter()
        .zip(&redemption.payments)
        .map(|(voucher, payment)| StoredPayment {
            voucher: voucher.clone(),
            code_hint: payment.code_hint.clone(),
            amount: payment.amount,
            balance_after: payment.balance_after,
        })
        .collect();
    let payments = serde_json::to_string(&payments).map_err(LedgerError::store)?;
    item.insert("payments".into(), s(payments));
    if let Some(order) = &redemption.order_id {
        item.insert("order_id".into(), s(order));
    }
    Ok(item)
}

impl StoredRedemption {
    pub(super) fn from_item(item: &Item) -> LedgerResult<StoredRedemption> {
        let items: Vec<LineItem> = serde_json::from_str(&text(item, "items")?)
            .map_err(|error| LedgerError::Store(format!("redemption items unreadable: {error}")))?;
        let id = text(item, "id")?;
        let voucher = CodeHash(text(item, "voucher")?);
        // A sale on one voucher, written before payments were listed, is one payment.
        let payments: Vec<StoredPayment> = match optional_text(item, "payments")? {
            Some(json) => serde_json::from_str(&json).map_err(|error| {
                LedgerError::Store(format!("redemption payments unreadable: {error}"))
            })?,
            None => vec![StoredPayment {
                voucher: voucher.clone(),
                code_hint: text(item, "code_hint")?,
                amount: money_of(item, "voucher_paid")?,
                balance_after: money_of(item, "balance_after")?,
            }],
        };
        let refund = match optional_text(item, "refund_id")? {
            Some(refund_id) => Some(Refund {
                id: refund_id,
                redemption_id: id.clone(),
                supervisor: text(item, "refund_supervisor")?,
                created_at: time_of(item, "refund_created_at")?,
                voucher_amount: money_of(item, "refund_voucher_amount")?,
                cash_amount: money_of(item, "refund_cash_amount")?,
                balance_after: money_of(item, "refund_balance_after")?,
            }),
            None => None,
        };
        Ok(StoredRedemption {
            redemption: Redemption {
                id,
                code_hint: text(item, "code_hint")?,
                cashier: text(item, "cashier")?,
                created_at: time_of(item, "created_at")?,
                items,
                total: money_of(item, "total")?,
                voucher_paid: money_of(item, "voucher_paid")?,
                cash_due: money_of(item, "cash_due")?,
                balance_after: money_of(item, "balance_after")?,
                refund,
                demo: matches!(item.get("demo"), Some(AttributeValue::Bool(true))),
                payments: payments
                    .iter()
                    .map(|payment| Payment {
                        code_hint: payment.code_hint.clone(),
                        amount: payment.amount,
                        balance_after: payment.balance_after,
                    })
                    .collect(),
                order_id: optional_text(item, "order_id")?,
            },
            payers: payments
                .into_iter()
                .map(|payment| payment.voucher)
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_as_text_and_round_trip() -> Result<(), LedgerError> {
        let earlier = parse_time("2026-11-27T09:00:00Z")?;
        let later = parse_time("2026-11-27T09:00:00.000000001Z")?;
        assert!(timestamp(earlier) < timestamp(later));
        assert_eq!(timestamp(earlier), "2026-11-27T09:00:00.000000000Z");
        assert_eq!(parse_time(&timestamp(later))?, later);
        // The range bound `<to>` sorts before `<to>#id`, so BETWEEN keeps `to` exclusive.
        assert!(timestamp(later) < format!("{}#r1", timestamp(later)));
        Ok(())
    }
}
