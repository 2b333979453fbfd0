//! The `Ledger`: the voucher operations of the domain, over any `VoucherStore`. It turns codes
//! into keyed hashes, prices line items from the stored price list (never from the client),
//! fingerprints requests for idempotency, and computes settlement and audit.
//!
//! Decisions every store inherits from here:
//! - Duplicate SKUs in one redemption are **merged** (quantities summed, first position kept):
//!   a cashier who scans the same product twice means two of it. The merged quantity must
//!   still be within `MAX_QTY`.
//! - Idempotency keys (16–128 characters) are scoped per operation and per staff member (the
//!   token's name, which survives a token rotation): the store keys its record by
//!   `<operation>:<member hash>:<key>`, so another member's identical key is simply another
//!   request, and a till that retries after its token was rotated still gets its replay. The
//!   fingerprint (`request_hash`) is SHA-256 over a canonical JSON of the operation, the code
//!   hash, the merged lines and `allow_cash` (refunds: the redemption id).
//! - Settlement is on events: a redemption counts on the WIB date it was made, a refund as a
//!   negative line on the refund's own WIB date. A closed period's report never changes, and
//!   the periods add up to the ledger.

use crate::code::{Pepper, VoucherCode, ALPHABET};
use crate::error::{LedgerError, LedgerResult};
use crate::model::{
    is_demo_batch, AuditReport, BatchCheck, Catalog, LedgerEntry, LineItem, LineRequest, NewBatch,
    Redemption, Refund, Settlement, SettlementRow, Voucher, DEMO_BATCH_PREFIX,
};
use crate::money::Money;
use crate::store::{wib_date, RedeemCommand, RefundCommand, VoucherStore};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// Most line items in one redemption.
pub const MAX_ITEMS: usize = 100;
/// Most of one product in one line.
pub const MAX_QTY: u32 = 1_000;
/// Most vouchers in one batch.
pub const MAX_BATCH: u32 = 10_000;
/// Longest idempotency key, staff name or id accepted (keys are usually UUIDs).
pub const MAX_KEY_CHARS: usize = 128;
/// Shortest idempotency key accepted: 16 characters (a UUID has 36) leave no room for keys
/// such as `1` that two tills would pick alike.
pub const MIN_KEY_CHARS: usize = 16;

/// A redemption as the cashier asks for it.
#[derive(Debug, Clone)]
pub struct RedeemRequest {
    pub idempotency_key: String,
    /// Who redeems (staff token id or name), recorded on the redemption.
    pub cashier: String,
    /// The staff member (the token's name, which a rotated token keeps): the idempotency key
    /// is theirs alone, so a retry after a token rotation still replays.
    pub member: String,
    pub code: VoucherCode,
    pub items: Vec<LineRequest>,
    /// Whether the buyer pays in cash what the voucher does not cover (default true).
    pub allow_cash: bool,
}

/// A refund as the supervisor asks for it.
#[derive(Debug, Clone)]
pub struct RefundRequest {
    pub idempotency_key: String,
    pub supervisor: String,
    /// The staff member, as in `RedeemRequest::member`.
    pub member: String,
    pub redemption_id: String,
}

/// The voucher operations over one store and one pepper.
#[derive(Clone)]
pub struct Ledger {
    store: Arc<dyn VoucherStore>,
    pepper: Pepper,
    /// Demo mode (`galeri serve --demo`): demo batches may be issued and demo vouchers used.
    demo: bool,
}

impl Ledger {
    pub fn new(store: Arc<dyn VoucherStore>, pepper: Pepper) -> Ledger {
        Ledger {
            store,
            pepper,
            demo: false,
        }
    }

    /// The same ledger in or out of demo mode. Outside it (the default, and always in
    /// production) demo vouchers are refused with `DemoVoucher` and demo batches cannot be
    /// issued.
    pub fn with_demo(mut self, demo: bool) -> Ledger {
        self.demo = demo;
        self
    }

    /// Whether this ledger is in demo mode (`galeri serve --demo`).
    pub fn is_demo(&self) -> bool {
        self.demo
    }

    /// Refuses a demo voucher outside demo mode.
    fn check_demo(&self, voucher: &Voucher) -> LedgerResult<()> {
        if voucher.is_demo() && !self.demo {
            return Err(LedgerError::DemoVoucher);
        }
        Ok(())
    }

    pub fn store(&self) -> &Arc<dyn VoucherStore> {
        &self.store
    }

    /// The pepper codes are hashed with (for the administration module).
    pub(crate) fn pepper(&self) -> &Pepper {
        &self.pepper
    }

    /// Issues a batch: generates `count` codes, stores their hashes, returns the codes (the
    /// only time they exist in clear).
    pub async fn issue(
        &self,
        batch: &NewBatch,
        now: DateTime<Utc>,
    ) -> LedgerResult<Vec<VoucherCode>> {
        if batch.name.trim().is_empty() {
            return Err(LedgerError::Invalid("batch name must not be empty".into()));
        }
        if is_demo_batch(&batch.name) && !self.demo {
            return Err(LedgerError::Invalid(format!(
                "batch names starting with {DEMO_BATCH_PREFIX} are for demo data only"
            )));
        }
        if batch.count == 0 || batch.count > MAX_BATCH {
            return Err(LedgerError::Invalid(format!(
                "count must be 1 to {MAX_BATCH} (got {})",
                batch.count
            )));
        }
        if batch.amount.is_zero() {
            return Err(LedgerError::Invalid("amount must be more than Rp0".into()));
        }
        if batch.expires_on < wib_date(now) {
            return Err(LedgerError::Invalid(format!(
                "expiry {} is already past",
                batch.expires_on
            )));
        }
        let mut codes = Vec::with_capacity(batch.count as usize);
        let mut hashes = Vec::with_capacity(batch.count as usize);
        let mut seen = HashSet::with_capacity(batch.count as usize);
        while codes.len() < batch.count as usize {
            let code = VoucherCode::generate().map_err(LedgerError::store)?;
            let hash = code.hash(&self.pepper);
            // 75 random bits make a repeat practically impossible; skipping one costs nothing.
            if !seen.insert(hash.clone()) {
                continue;
            }
            hashes.push((hash, code.hint()));
            codes.push(code);
        }
        self.store.insert_batch(batch, &hashes, now).await?;
        Ok(codes)
    }

    /// The voucher behind a code; `UnknownCode` if none, `DemoVoucher` for a demo voucher
    /// outside demo mode.
    pub async fn balance(&self, code: &VoucherCode) -> LedgerResult<Voucher> {
        let voucher = self
            .store
            .voucher(&code.hash(&self.pepper))
            .await?
            .ok_or(LedgerError::UnknownCode)?;
        self.check_demo(&voucher)?;
        Ok(voucher)
    }

    /// Prices the lines from the stored price list and commits the redemption (or returns the
    /// stored result of an earlier call with the same key and request).
    pub async fn redeem(
        &self,
        request: &RedeemRequest,
        now: DateTime<Utc>,
    ) -> LedgerResult<Redemption> {
        check_key(&request.idempotency_key)?;
        check_text("cashier", &request.cashier)?;
        check_text("staff member", &request.member)?;
        let lines = merge_lines(&request.items)?;
        let skus: Vec<String> = lines.iter().map(|line| line.sku.clone()).collect();
        let prices = self.store.prices(&skus).await?;

        let mut unknown_positions = Vec::new();
        let mut unknown_skus = Vec::new();
        for (position, line) in request.items.iter().enumerate() {
            if !prices.contains_key(&line.sku) {
                unknown_positions.push(position);
                if !unknown_skus.contains(&line.sku) {
                    unknown_skus.push(line.sku.clone());
                }
            }
        }
        if !unknown_skus.is_empty() {
            return Err(LedgerError::UnknownSku {
                positions: unknown_positions,
                skus: unknown_skus,
            });
        }

        let mut items = Vec::with_capacity(lines.len());
        for line in &lines {
            let product = prices
                .get(&line.sku)
                .ok_or_else(|| LedgerError::Store("price vanished".into()))?;
            let total = product
                .price
                .checked_mul(line.qty)
                .ok_or_else(|| LedgerError::Invalid("line total too large".into()))?;
            items.push(LineItem {
                sku: product.sku.clone(),
                name: product.name.clone(),
                producer: product.producer.clone(),
                category: product.category.clone(),
                unit_price: product.price,
                qty: line.qty,
                total,
            });
        }
        let total = Money::checked_sum(items.iter().map(|item| item.total))
            .ok_or_else(|| LedgerError::Invalid("total too large".into()))?;

        let (voucher, request_hash) = self.redeem_fingerprint(request, &lines)?;
        let command = RedeemCommand {
            idempotency_key: scoped_key("redeem", &request.member, &request.idempotency_key),
            request_hash,
            redemption_id: new_id("R", now)?,
            voucher,
            code_hint: request.code.hint(),
            cashier: request.cashier.clone(),
            items,
            total,
            allow_cash: request.allow_cash,
            accept_demo: self.demo,
            now,
        };
        match self.store.redeem(&command).await {
            // Say which sale the key made when it made one on this voucher.
            Err(LedgerError::IdempotencyConflict) => {
                match self
                    .store
                    .idempotent_redemption(&command.idempotency_key, now)
                    .await?
                {
                    Some((stored_hash, redemption)) => Err(key_conflict(
                        &stored_hash,
                        &command.request_hash,
                        redemption,
                    )),
                    None => Err(LedgerError::IdempotencyConflict),
                }
            }
            other => other,
        }
    }

    /// The stored answer of an earlier, identical redemption request (same key, same body, same
    /// staff member), without pricing or touching the voucher: `None` if the key is new,
    /// `IdempotencyConflict` if it was used for another request. The API asks this of a caller
    /// it has locked out, so that a till retrying a sale that went through gets its receipt.
    pub async fn replay(
        &self,
        request: &RedeemRequest,
        now: DateTime<Utc>,
    ) -> LedgerResult<Option<Redemption>> {
        check_key(&request.idempotency_key)?;
        let lines = merge_lines(&request.items)?;
        let (_, request_hash) = self.redeem_fingerprint(request, &lines)?;
        let key = scoped_key("redeem", &request.member, &request.idempotency_key);
        match self.store.idempotent_redemption(&key, now).await? {
            Some((stored_hash, redemption)) if stored_hash == request_hash => Ok(Some(redemption)),
            Some((stored_hash, redemption)) => {
                Err(key_conflict(&stored_hash, &request_hash, redemption))
            }
            None => Ok(None),
        }
    }

    /// The voucher's hash and the request's idempotency fingerprint.
    fn redeem_fingerprint(
        &self,
        request: &RedeemRequest,
        lines: &[LineRequest],
    ) -> LedgerResult<(crate::code::CodeHash, String)> {
        let voucher = request.code.hash(&self.pepper);
        let sale = fingerprint(&SaleFingerprint {
            operation: "redeem",
            voucher: voucher.as_str(),
        })?;
        let whole = fingerprint(&RedeemFingerprint {
            operation: "redeem",
            voucher: voucher.as_str(),
            items: lines
                .iter()
                .map(|line| (line.sku.as_str(), line.qty))
                .collect(),
            allow_cash: request.allow_cash,
        })?;
        // `<sale>.<request>`: stores compare it whole; the sale part tells a conflict on the
        // same voucher from one on another.
        Ok((voucher, format!("{}.{whole}", &sale[..SALE_PREFIX])))
    }

    /// One redemption; `UnknownRedemption` if none.
    pub async fn redemption(&self, id: &str) -> LedgerResult<Redemption> {
        self.store
            .redemption(id)
            .await?
            .ok_or(LedgerError::UnknownRedemption)
    }

    /// Reverses a redemption once (its voucher part goes back on the voucher).
    pub async fn refund(
        &self,
        request: &RefundRequest,
        now: DateTime<Utc>,
    ) -> LedgerResult<Refund> {
        check_key(&request.idempotency_key)?;
        check_text("supervisor", &request.supervisor)?;
        check_text("staff member", &request.member)?;
        check_text("redemption id", &request.redemption_id)?;
        let request_hash = fingerprint(&RefundFingerprint {
            operation: "refund",
            redemption: &request.redemption_id,
        })?;
        let command = RefundCommand {
            idempotency_key: scoped_key("refund", &request.member, &request.idempotency_key),
            request_hash,
            refund_id: new_id("F", now)?,
            redemption_id: request.redemption_id.clone(),
            supervisor: request.supervisor.clone(),
            now,
        };
        self.store.refund(&command).await
    }

    /// The voucher's ledger entries, oldest first; `UnknownCode` if there is no such voucher.
    pub async fn history(&self, code: &VoucherCode) -> LedgerResult<Vec<LedgerEntry>> {
        let hash = code.hash(&self.pepper);
        let voucher = self
            .store
            .voucher(&hash)
            .await?
            .ok_or(LedgerError::UnknownCode)?;
        self.check_demo(&voucher)?;
        self.store.history(&hash).await
    }

    /// Marks a voucher void; `UnknownCode` if there is no such voucher.
    pub async fn void(&self, code: &VoucherCode, now: DateTime<Utc>) -> LedgerResult<Voucher> {
        self.store.void_voucher(&code.hash(&self.pepper), now).await
    }

    /// Settlement per producer for the WIB dates `from..=to`.
    pub async fn settlement(&self, from: NaiveDate, to: NaiveDate) -> LedgerResult<Settlement> {
        if from > to {
            return Err(LedgerError::Invalid(format!(
                "period starts ({from}) after it ends ({to})"
            )));
        }
        let start = wib_midnight(from)?;
        let end = to
            .succ_opt()
            .ok_or_else(|| LedgerError::Invalid("period end out of range".into()))
            .and_then(wib_midnight)?;
        let (sales, refunds) = tokio::try_join!(
            self.store.redemptions_between(start, end),
            self.store.refunds_between(start, end)
        )?;
        settle(from, to, &sales, &refunds)
    }

    /// Checks every voucher's books (face value = balance + redeemed − refunded) and every
    /// batch against the vouchers found under its name (count × amount).
    pub async fn audit(&self) -> LedgerResult<AuditReport> {
        let books = self.store.books().await?;
        let batches = self.store.batches().await?;
        let mut found: HashMap<&str, (u64, i128)> = HashMap::new();
        for voucher in &books {
            let entry = found.entry(voucher.batch.as_str()).or_insert((0, 0));
            entry.0 += 1;
            entry.1 += i128::from(voucher.face_value.rupiah());
        }
        let mut batch_checks = Vec::new();
        for batch in &batches {
            let (count, value) = found.get(batch.name.as_str()).copied().unwrap_or((0, 0));
            let expected = i128::from(batch.count) * i128::from(batch.amount.rupiah());
            if count != u64::from(batch.count) || value != expected {
                batch_checks.push(BatchCheck {
                    name: batch.name.clone(),
                    count: batch.count,
                    amount: batch.amount,
                    found: count,
                    found_value: i64::try_from(value)
                        .ok()
                        .and_then(|value| Money::new(value).ok())
                        .unwrap_or_default(),
                });
            }
        }
        let overflow = || LedgerError::Store("audit totals overflow".into());
        let mut report = AuditReport::default();
        for voucher in books {
            report.vouchers += 1;
            report.face_value = report
                .face_value
                .checked_add(voucher.face_value)
                .ok_or_else(overflow)?;
            report.balance = report
                .balance
                .checked_add(voucher.balance)
                .ok_or_else(overflow)?;
            report.redeemed = report
                .redeemed
                .checked_add(voucher.redeemed)
                .ok_or_else(overflow)?;
            report.refunded = report
                .refunded
                .checked_add(voucher.refunded)
                .ok_or_else(overflow)?;
            // i128: the sum of two i64 cannot overflow it, so no discrepancy hides in a wrap.
            let expected = i128::from(voucher.balance.rupiah())
                + i128::from(voucher.redeemed.rupiah())
                - i128::from(voucher.refunded.rupiah());
            // More refunded than redeemed, or more redeemed than the face value, means a
            // balance went negative at some point even if the sum happens to match.
            let impossible =
                voucher.refunded > voucher.redeemed || voucher.balance > voucher.face_value;
            if expected != i128::from(voucher.face_value.rupiah()) || impossible {
                report.discrepancies.push(voucher);
            }
        }
        report.batches = batch_checks;
        Ok(report)
    }

    /// Loads the price list from a build's `catalog.json`, replacing the previous one.
    pub async fn load_catalog(&self, catalog: &Catalog) -> LedgerResult<()> {
        if catalog.currency != "IDR" {
            return Err(LedgerError::Invalid(format!(
                "catalog currency must be IDR (got {:?})",
                catalog.currency
            )));
        }
        let mut seen = HashSet::with_capacity(catalog.items.len());
        for item in &catalog.items {
            if item.sku.trim().is_empty() {
                return Err(LedgerError::Invalid("catalog item without sku".into()));
            }
            if !seen.insert(item.sku.as_str()) {
                return Err(LedgerError::Invalid(format!(
                    "sku {} appears twice",
                    item.sku
                )));
            }
            if item.price.is_zero() {
                return Err(LedgerError::Invalid(format!(
                    "sku {} has no price",
                    item.sku
                )));
            }
        }
        self.store.replace_price_list(&catalog.items).await
    }
}

/// Refuses an idempotency key shorter than `MIN_KEY_CHARS` or unfit as an identifier.
pub(crate) fn check_key(key: &str) -> LedgerResult<()> {
    check_text("idempotency key", key)?;
    if key.chars().count() < MIN_KEY_CHARS {
        return Err(LedgerError::Invalid(format!(
            "idempotency key must be {MIN_KEY_CHARS} to {MAX_KEY_CHARS} characters (a UUID fits)"
        )));
    }
    Ok(())
}

/// The key under which a store keeps an idempotency record: the client's key, scoped to the
/// operation and to the staff member (by a hash of their name, so the stored key has a
/// fixed shape whatever the name holds). One member's keys never meet another's, and a
/// redemption's key never meets a refund's, on every store.
pub(crate) fn scoped_key(operation: &str, member: &str, key: &str) -> String {
    let member = hex::encode(Sha256::digest(member.as_bytes()));
    format!("{operation}:{}:{key}", &member[..32])
}

/// Refuses an empty or oversized identifier (keys, staff names, ids).
pub(crate) fn check_text(what: &str, value: &str) -> LedgerResult<()> {
    if value.trim().is_empty() {
        return Err(LedgerError::Invalid(format!("{what} must not be empty")));
    }
    if value.chars().count() > MAX_KEY_CHARS || value.chars().any(char::is_control) {
        return Err(LedgerError::Invalid(format!(
            "{what} must be at most {MAX_KEY_CHARS} printable characters"
        )));
    }
    Ok(())
}

/// Validates the requested lines and merges repeated SKUs (first position kept).
fn merge_lines(items: &[LineRequest]) -> LedgerResult<Vec<LineRequest>> {
    if items.is_empty() {
        return Err(LedgerError::Invalid(
            "a redemption needs at least one item".into(),
        ));
    }
    if items.len() > MAX_ITEMS {
        return Err(LedgerError::Invalid(format!(
            "at most {MAX_ITEMS} items in one redemption (got {})",
            items.len()
        )));
    }
    let mut merged: Vec<LineRequest> = Vec::with_capacity(items.len());
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (position, item) in items.iter().enumerate() {
        if item.sku.trim().is_empty() {
            return Err(LedgerError::Invalid(format!("item {position} has no sku")));
        }
        if item.qty == 0 || item.qty > MAX_QTY {
            return Err(LedgerError::Invalid(format!(
                "item {position} ({}): quantity must be 1 to {MAX_QTY}",
                item.sku
            )));
        }
        match index.get(item.sku.as_str()) {
            Some(&at) => {
                let line = &mut merged[at];
                line.qty = line.qty.saturating_add(item.qty);
                if line.qty > MAX_QTY {
                    return Err(LedgerError::Invalid(format!(
                        "{}: quantity must be 1 to {MAX_QTY} in all",
                        item.sku
                    )));
                }
            }
            None => {
                index.insert(item.sku.as_str(), merged.len());
                merged.push(item.clone());
            }
        }
    }
    Ok(merged)
}

/// What a redemption's idempotency fingerprint covers; field order is the canonical order.
#[derive(Serialize)]
struct RedeemFingerprint<'a> {
    operation: &'a str,
    voucher: &'a str,
    items: Vec<(&'a str, u32)>,
    allow_cash: bool,
}

/// What the sale part of a redemption's fingerprint covers: the voucher it pays from.
#[derive(Serialize)]
struct SaleFingerprint<'a> {
    operation: &'a str,
    voucher: &'a str,
}

/// Hex characters of the sale part kept in a request hash (64 bits).
const SALE_PREFIX: usize = 16;

/// The error for a key that another request used: `KeyMadeThisSale` when that request was a
/// sale on the same voucher (the same sale part), `IdempotencyConflict` otherwise.
fn key_conflict(stored_hash: &str, request_hash: &str, stored: Redemption) -> LedgerError {
    let sale = |hash: &str| hash.split_once('.').map(|(sale, _)| sale.to_string());
    match (sale(stored_hash), sale(request_hash)) {
        (Some(stored_sale), Some(this_sale)) if stored_sale == this_sale => {
            LedgerError::KeyMadeThisSale {
                redemption_id: stored.id,
            }
        }
        _ => LedgerError::IdempotencyConflict,
    }
}

/// What a refund's idempotency fingerprint covers.
#[derive(Serialize)]
struct RefundFingerprint<'a> {
    operation: &'a str,
    redemption: &'a str,
}

/// SHA-256 (hex) of the canonical JSON of a request: serde writes struct fields in
/// declaration order and no whitespace, so equal requests give equal bytes.
pub(crate) fn fingerprint<T: Serialize>(request: &T) -> LedgerResult<String> {
    let bytes = serde_json::to_vec(request).map_err(LedgerError::store)?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// A new id: prefix, `-`, 10 Crockford characters of milliseconds since 1970 (so ids sort by
/// time) and 10 random ones (50 bits, so ids made in the same millisecond do not collide).
pub fn new_id(prefix: &str, now: DateTime<Utc>) -> LedgerResult<String> {
    let mut random = [0u8; 10];
    getrandom::fill(&mut random).map_err(LedgerError::store)?;
    let millis = u64::try_from(now.timestamp_millis()).unwrap_or(0);
    let mut id = String::with_capacity(prefix.len() + 21);
    id.push_str(prefix);
    id.push('-');
    for shift in (0..10).rev() {
        id.push(ALPHABET[((millis >> (shift * 5)) & 31) as usize] as char);
    }
    // 256 is a multiple of 32, so `b % 32` is uniform.
    id.extend(random.iter().map(|b| ALPHABET[(b % 32) as usize] as char));
    Ok(id)
}

/// The instant a WIB date begins (00:00 WIB = 17:00 UTC the day before).
fn wib_midnight(date: NaiveDate) -> LedgerResult<DateTime<Utc>> {
    let midnight = date
        .and_hms_opt(0, 0, 0)
        .ok_or_else(|| LedgerError::Invalid("date out of range".into()))?
        .and_utc();
    midnight
        .checked_sub_signed(Duration::hours(7))
        .ok_or_else(|| LedgerError::Invalid("date out of range".into()))
}

/// Settlement arithmetic on events: `sales` made in the period count whole (refunded or not),
/// and each redemption of `refunds` (refunded in the period) adds negative lines. The voucher
/// part of a sale, and of its refund, is split over its lines in proportion to their totals
/// ([`allocate`]), so a refund mirrors its sale exactly.
pub fn settle(
    from: NaiveDate,
    to: NaiveDate,
    sales: &[Redemption],
    refunds: &[Redemption],
) -> LedgerResult<Settlement> {
    let overflow = || LedgerError::Store("settlement totals overflow".into());
    let add = |sum: &mut Money, amount: Money| -> LedgerResult<()> {
        *sum = sum.checked_add(amount).ok_or_else(overflow)?;
        Ok(())
    };
    let mut rows: BTreeMap<String, SettlementRow> = BTreeMap::new();
    let split = |redemption: &Redemption, voucher: Money| -> LedgerResult<Vec<(Money, Money)>> {
        let totals: Vec<Money> = redemption.items.iter().map(|item| item.total).collect();
        let shares = allocate(voucher, &totals)?;
        totals
            .iter()
            .zip(shares)
            .map(|(total, share)| {
                let cash = total.checked_sub(share).ok_or_else(overflow)?;
                Ok((share, cash))
            })
            .collect()
    };
    for sale in sales {
        for (item, (voucher, cash)) in sale.items.iter().zip(split(sale, sale.voucher_paid)?) {
            let row = settlement_row(&mut rows, &item.producer);
            row.items = row
                .items
                .checked_add(u64::from(item.qty))
                .ok_or_else(overflow)?;
            add(&mut row.value, item.total)?;
            add(&mut row.voucher_share, voucher)?;
            add(&mut row.cash_share, cash)?;
        }
    }
    for refunded in refunds {
        let Some(refund) = &refunded.refund else {
            continue;
        };
        let parts = split(refunded, refund.voucher_amount)?;
        for (item, (voucher, cash)) in refunded.items.iter().zip(parts) {
            let row = settlement_row(&mut rows, &item.producer);
            row.refunded_items = row
                .refunded_items
                .checked_add(u64::from(item.qty))
                .ok_or_else(overflow)?;
            add(&mut row.refunds, item.total)?;
            add(&mut row.refunds_voucher, voucher)?;
            add(&mut row.refunds_cash, cash)?;
        }
    }
    let mut rows: Vec<SettlementRow> = rows.into_values().collect();
    for row in &mut rows {
        row.net = row.value.rupiah() - row.refunds.rupiah();
    }
    let total = |field: fn(&SettlementRow) -> Money| {
        Money::checked_sum(rows.iter().map(field)).ok_or_else(overflow)
    };
    let count = |field: fn(&SettlementRow) -> u64| {
        rows.iter()
            .try_fold(0u64, |sum, row| sum.checked_add(field(row)))
            .ok_or_else(overflow)
    };
    let total_value = total(|row| row.value)?;
    let total_refunds = total(|row| row.refunds)?;
    Ok(Settlement {
        from,
        to,
        total_items: count(|row| row.items)?,
        total_value,
        total_voucher_share: total(|row| row.voucher_share)?,
        total_cash_share: total(|row| row.cash_share)?,
        total_refunded_items: count(|row| row.refunded_items)?,
        total_refunds,
        total_refunds_voucher: total(|row| row.refunds_voucher)?,
        total_refunds_cash: total(|row| row.refunds_cash)?,
        total_net: total_value.rupiah() - total_refunds.rupiah(),
        rows,
    })
}

/// The row of `producer`, new and empty when it has none yet.
fn settlement_row<'a>(
    rows: &'a mut BTreeMap<String, SettlementRow>,
    producer: &str,
) -> &'a mut SettlementRow {
    rows.entry(producer.to_string())
        .or_insert_with(|| SettlementRow {
            producer: producer.to_string(),
            items: 0,
            value: Money::ZERO,
            voucher_share: Money::ZERO,
            cash_share: Money::ZERO,
            refunded_items: 0,
            refunds: Money::ZERO,
            refunds_voucher: Money::ZERO,
            refunds_cash: Money::ZERO,
            net: 0,
        })
}

/// Splits `amount` over `weights` in proportion, in whole rupiah, by largest remainder: each
/// part gets the floor of its exact share, and the rupiah left over go one each to the parts
/// with the largest remainders (earlier parts first on ties). The parts sum exactly to
/// `amount` whenever the weights sum to more than zero.
pub fn allocate(amount: Money, weights: &[Money]) -> LedgerResult<Vec<Money>> {
    let total: i128 = weights.iter().map(|w| i128::from(w.rupiah())).sum();
    if total == 0 {
        return Ok(vec![Money::ZERO; weights.len()]);
    }
    let amount = i128::from(amount.rupiah());
    let mut parts = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let exact = amount * i128::from(weight.rupiah());
        parts.push(exact / total);
        remainders.push((exact % total, index));
    }
    let mut left = amount - parts.iter().sum::<i128>();
    // Largest remainder first; on equal remainders the earlier line wins.
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders {
        if left <= 0 {
            break;
        }
        parts[index] += 1;
        left -= 1;
    }
    parts
        .into_iter()
        .map(|part| {
            i64::try_from(part)
                .ok()
                .and_then(|part| Money::new(part).ok())
                .ok_or_else(|| LedgerError::Store("allocation out of range".into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LineItem;
    use proptest::prelude::*;

    fn rp(value: i64) -> Money {
        Money::new(value).unwrap_or_default()
    }

    fn line(sku: &str, qty: u32) -> LineRequest {
        LineRequest {
            sku: sku.into(),
            qty,
        }
    }

    #[test]
    fn allocation_is_proportional_and_exact() {
        let parts = allocate(rp(100), &[rp(1), rp(1), rp(1)]).unwrap_or_default();
        assert_eq!(parts, vec![rp(34), rp(33), rp(33)]);
        let parts = allocate(rp(50_000), &[rp(30_000), rp(45_000)]).unwrap_or_default();
        assert_eq!(parts, vec![rp(20_000), rp(30_000)]);
        let parts = allocate(rp(10), &[rp(1), rp(2), rp(4)]).unwrap_or_default();
        // Exact shares 1.43, 2.86, 5.71: floors 1, 2, 5; the spare rupiah goes to 2.86.
        assert_eq!(parts, vec![rp(1), rp(3), rp(6)]);
    }

    proptest! {
        #[test]
        fn allocation_sums_to_the_amount(
            weights in proptest::collection::vec(1i64..10_000_000, 1..20),
            paid_fraction in 0u32..=1000,
        ) {
            let weights: Vec<Money> = weights.into_iter().map(rp).collect();
            let total: i64 = weights.iter().map(|w| w.rupiah()).sum();
            let amount = rp(total * i64::from(paid_fraction) / 1000);
            let parts = allocate(amount, &weights).unwrap_or_default();
            prop_assert_eq!(parts.iter().map(|p| p.rupiah()).sum::<i64>(), amount.rupiah());
            for (part, weight) in parts.iter().zip(&weights) {
                prop_assert!(part <= weight);
            }
        }
    }

    #[test]
    fn duplicate_skus_are_merged_in_first_position() {
        let merged = merge_lines(&[line("A", 1), line("B", 2), line("A", 3)]).unwrap_or_default();
        assert_eq!(merged, vec![line("A", 4), line("B", 2)]);
        assert!(merge_lines(&[line("A", 600), line("A", 600)]).is_err());
        assert!(merge_lines(&[]).is_err());
        assert!(merge_lines(&[line("A", 0)]).is_err());
        assert!(merge_lines(&vec![line("A", 1); MAX_ITEMS + 1]).is_err());
    }

    #[test]
    fn fingerprint_depends_on_every_field() {
        let base = RedeemFingerprint {
            operation: "redeem",
            voucher: "h",
            items: vec![("A", 1)],
            allow_cash: true,
        };
        let hash = fingerprint(&base).unwrap_or_default();
        assert_eq!(hash.len(), 64);
        let other_cash = RedeemFingerprint {
            allow_cash: false,
            ..base
        };
        assert_ne!(fingerprint(&other_cash).unwrap_or_default(), hash);
    }

    #[test]
    fn keys_are_scoped_per_operation_and_member() {
        let key = "0b8f0a52-8c1e-4c55-9a53-0e1f2d3c4b5a";
        let sale = scoped_key("redeem", "Sari", key);
        assert_ne!(sale, scoped_key("refund", "Sari", key));
        assert_ne!(sale, scoped_key("redeem", "Budi", key));
        assert!(sale.starts_with("redeem:") && sale.ends_with(key), "{sale}");
        assert!(check_key(&"k".repeat(15)).is_err());
        assert!(check_key(key).is_ok());
    }

    #[test]
    fn ids_sort_by_time_and_differ() {
        let early = DateTime::from_timestamp(1_800_000_000, 0).unwrap_or_default();
        let later = early + Duration::milliseconds(1);
        let first = new_id("R", early).unwrap_or_default();
        let second = new_id("R", later).unwrap_or_default();
        assert!(first.starts_with("R-") && first.len() == 22);
        assert!(first < second);
        assert_ne!(new_id("R", early).unwrap_or_default(), first);
    }

    #[test]
    fn wib_days_start_at_17_utc() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let start = wib_midnight(date).unwrap_or_default();
        assert_eq!(start.to_rfc3339(), "2026-11-30T17:00:00+00:00");
        assert_eq!(wib_date(start), date);
        assert_eq!(
            wib_date(start - Duration::seconds(1)),
            date.pred_opt().unwrap_or_default()
        );
    }

    #[test]
    fn settlement_counts_sales_whole_and_refunds_as_negative_lines() {
        let item = |producer: &str, qty: u32, total: i64| LineItem {
            sku: format!("{producer}-{qty}"),
            name: "x".into(),
            producer: producer.into(),
            category: "kriya".into(),
            unit_price: rp(total / i64::from(qty)),
            qty,
            total: rp(total),
        };
        let redemption = |items: Vec<LineItem>, paid: i64, refunded: bool| {
            let total: i64 = items.iter().map(|i| i.total.rupiah()).sum();
            Redemption {
                id: "R".into(),
                code_hint: "ABCD".into(),
                cashier: "k".into(),
                created_at: Utc::now(),
                total: rp(total),
                voucher_paid: rp(paid),
                cash_due: rp(total - paid),
                balance_after: rp(0),
                items,
                refund: refunded.then(|| Refund {
                    id: "F".into(),
                    redemption_id: "R".into(),
                    supervisor: "s".into(),
                    created_at: Utc::now(),
                    voucher_amount: rp(paid),
                    cash_amount: rp(total - paid),
                    balance_after: rp(paid),
                }),
                demo: false,
            }
        };
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        let batik = redemption(vec![item("batik", 1, 500_000)], 50_000, true);
        let settlement = settle(
            day,
            day,
            &[
                redemption(
                    vec![item("kopi", 2, 60_000), item("topeng", 1, 40_000)],
                    50_000,
                    false,
                ),
                redemption(vec![item("kopi", 1, 30_000)], 30_000, false),
                batik.clone(),
            ],
            &[batik],
        )
        .unwrap_or_else(|_| panic!("settlement failed"));
        assert_eq!(settlement.rows.len(), 3);
        let batik = &settlement.rows[0];
        assert_eq!((batik.items, batik.refunded_items), (1, 1));
        assert_eq!(
            (batik.value, batik.refunds, batik.net),
            (rp(500_000), rp(500_000), 0)
        );
        assert_eq!(
            (batik.refunds_voucher, batik.refunds_cash),
            (rp(50_000), rp(450_000))
        );
        let kopi = &settlement.rows[1];
        assert_eq!((kopi.producer.as_str(), kopi.items), ("kopi", 3));
        assert_eq!(kopi.value, rp(90_000));
        assert_eq!(kopi.voucher_share, rp(60_000));
        assert_eq!(kopi.cash_share, rp(30_000));
        assert_eq!(settlement.rows[2].voucher_share, rp(20_000));
        assert_eq!(settlement.total_value, rp(630_000));
        assert_eq!(settlement.total_voucher_share, rp(130_000));
        assert_eq!(settlement.total_cash_share, rp(500_000));
        assert_eq!(settlement.total_refunds, rp(500_000));
        assert_eq!(settlement.total_net, 130_000);
        // A refund alone in a later period is a negative line there.
        let later = settle(
            day,
            day,
            &[],
            &[redemption(vec![item("kopi", 1, 30_000)], 30_000, true)],
        )
        .unwrap_or_else(|_| panic!("settlement failed"));
        assert_eq!((later.rows[0].net, later.total_net), (-30_000, -30_000));
    }
}
