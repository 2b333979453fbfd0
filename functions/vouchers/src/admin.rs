//! Program administration over the ledger: voiding lost or leaked codes, marking vouchers past
//! their expiry (their unspent balance returns to the program, per batch and unit) and the
//! daily close that reconciles a day's sales, refunds and voids with the ledger entries.
//! Presentation (CLI tables, CSV, HTML, HTTP) lives with the callers.

use crate::code::{CodeHash, VoucherCode};
use crate::error::{LedgerError, LedgerResult};
use crate::ledger::Ledger;
use crate::model::{AuditReport, EntryKind, Redemption, VoucherEntry};
use crate::money::Money;
use crate::rules::MAX_REASON_CHARS;
use crate::store::wib_date;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

/// Most codes in one void request.
pub const MAX_VOID_CODES: usize = 1_000;

/// One voucher of a void request, as reported (the code's last four characters only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidLine {
    pub hint: String,
    pub batch: String,
    pub unit: Option<String>,
    /// `voided` (by this request) or `already_void` (nothing changed).
    pub outcome: VoidResult,
    /// Unspent balance returned to the program by this request.
    pub returned: Money,
}

/// What a void request did to one voucher.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoidResult {
    Voided,
    AlreadyVoid,
}

/// What a void request did, in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidReport {
    pub reason: String,
    pub voided: u64,
    pub already_void: u64,
    /// Unspent balance returned to the program by this request, in all.
    pub returned: Money,
    pub vouchers: Vec<VoidLine>,
}

/// The unspent balance returned to the program by one expiry run, for one batch and unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryLine {
    pub batch: String,
    pub unit: Option<String>,
    pub expires_on: NaiveDate,
    /// Vouchers marked expired by this run.
    pub vouchers: u64,
    /// Their unspent balance, returned to the program.
    pub returned: Money,
}

/// What `expire` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryReport {
    pub before: NaiveDate,
    pub lines: Vec<ExpiryLine>,
    pub vouchers: u64,
    pub returned: Money,
    /// Vouchers past expiry that needed no mark (marked before, or void).
    pub skipped: u64,
}

/// One staff member's sales or refunds of a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct StaffDay {
    pub staff: String,
    pub sales: u64,
    pub sales_total: Money,
    pub sales_voucher: Money,
    pub sales_cash: Money,
    pub refunds: u64,
    pub refunds_total: Money,
    pub refunds_voucher: Money,
    pub refunds_cash: Money,
}

/// One void of the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayVoid {
    pub at: DateTime<Utc>,
    pub hint: String,
    pub batch: String,
    pub reason: String,
    pub returned: Money,
}

/// The daily close of one WIB date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CloseReport {
    pub date: NaiveDate,
    /// Sales per cashier and refunds per supervisor, by name.
    pub staff: Vec<StaffDay>,
    pub totals: StaffDay,
    pub voids: Vec<DayVoid>,
    pub voided_returned: Money,
    /// Expiry marks of the day: how many, and the balance they returned.
    pub expired: u64,
    pub expired_returned: Money,
    /// The day's redemption and refund records against its ledger entries (what the vouchers
    /// paid and got back); every difference is a discrepancy.
    pub ledger_redeemed: Money,
    pub ledger_refunded: Money,
    /// Discrepancies of the day (Indonesian, for the report); the audit's are in `audit`.
    pub discrepancies: Vec<String>,
    pub audit: AuditReport,
}

impl CloseReport {
    /// Whether the day and the books are clean (the close exits non-zero otherwise).
    pub fn is_clean(&self) -> bool {
        self.discrepancies.is_empty()
            && self.audit.discrepancies.is_empty()
            && self.audit.batches.is_empty()
    }
}

/// What a void request's idempotency fingerprint covers, in canonical order.
#[derive(Serialize)]
struct VoidFingerprint<'a> {
    operation: &'a str,
    codes: Vec<&'a str>,
    reason: &'a str,
}

/// Refuses an empty or oversized void reason.
fn check_reason(reason: &str) -> LedgerResult<String> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(LedgerError::Invalid(
            "pembatalan perlu alasan (--reason)".into(),
        ));
    }
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(LedgerError::Invalid(format!(
            "alasan paling banyak {MAX_REASON_CHARS} karakter yang dapat dicetak"
        )));
    }
    Ok(reason.to_string())
}

/// The instant a WIB date begins.
fn wib_start(date: NaiveDate) -> LedgerResult<DateTime<Utc>> {
    date.and_hms_opt(0, 0, 0)
        .map(|midnight| midnight.and_utc() - Duration::hours(7))
        .ok_or_else(|| LedgerError::Invalid("date out of range".into()))
}

impl Ledger {
    /// Voids the vouchers behind `codes` with `reason`. Every code is looked up first: when any
    /// is unknown, nothing is voided (`UnknownCodes` with their positions). Codes given twice
    /// count once. Each voucher is voided in its own atomic write, and voiding again changes
    /// nothing, so a retry after a failure half-way finishes the job.
    pub async fn void_codes(
        &self,
        codes: &[VoucherCode],
        reason: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<VoidReport> {
        let reason = check_reason(reason)?;
        if codes.is_empty() || codes.len() > MAX_VOID_CODES {
            return Err(LedgerError::Invalid(format!(
                "berikan 1–{MAX_VOID_CODES} kode voucher (ada {})",
                codes.len()
            )));
        }
        let mut hashes = Vec::with_capacity(codes.len());
        let mut seen = HashSet::new();
        let mut unknown = Vec::new();
        for (position, code) in codes.iter().enumerate() {
            let hash = code.hash(self.pepper());
            if !seen.insert(hash.clone()) {
                continue;
            }
            if self.store().voucher(&hash).await?.is_none() {
                unknown.push(position);
            }
            hashes.push(hash);
        }
        if !unknown.is_empty() {
            return Err(LedgerError::UnknownCodes { positions: unknown });
        }
        self.void_hashes(&hashes, &reason, now).await
    }

    /// `void_codes` under an idempotency key (the HTTP route): a retry with the same key and
    /// request answers the first answer and changes nothing (`true` = replayed); the same key
    /// with another request is `IdempotencyConflict`. The answer is stored once every void is
    /// done; a retry after a failure half-way voids the rest (voiding is idempotent itself).
    pub async fn void_once(
        &self,
        idempotency_key: &str,
        member: &str,
        codes: &[VoucherCode],
        reason: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<(VoidReport, bool)> {
        crate::ledger::check_key(idempotency_key)?;
        crate::ledger::check_text("staff member", member)?;
        let hashes: Vec<CodeHash> = codes.iter().map(|code| code.hash(self.pepper())).collect();
        let request_hash = crate::ledger::fingerprint(&VoidFingerprint {
            operation: "void",
            codes: hashes.iter().map(CodeHash::as_str).collect(),
            reason: reason.trim(),
        })?;
        let key = crate::ledger::scoped_key("void", member, idempotency_key);
        let replay = |(stored_hash, answer): (String, serde_json::Value)| {
            if stored_hash != request_hash {
                return Err(LedgerError::IdempotencyConflict);
            }
            serde_json::from_value::<VoidReport>(answer).map_err(LedgerError::store)
        };
        if let Some(stored) = self.store().stored_answer("void", &key, now).await? {
            return Ok((replay(stored)?, true));
        }
        let report = self.void_codes(codes, reason, now).await?;
        let answer = serde_json::to_value(&report).map_err(LedgerError::store)?;
        let stored = self
            .store()
            .remember_answer("void", &key, &request_hash, &answer, now)
            .await?;
        // Another request with the key may have finished first: its answer stands.
        let replayed = stored.1 != answer;
        Ok((replay(stored)?, replayed))
    }

    /// Voids every voucher of a batch with `reason`; `Invalid` when the batch has none.
    pub async fn void_batch(
        &self,
        batch: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<VoidReport> {
        let reason = check_reason(reason)?;
        let vouchers = self.store().list_vouchers(Some(batch.trim())).await?;
        if vouchers.is_empty() {
            return Err(LedgerError::Invalid(format!(
                "batch {:?} tidak punya voucher",
                batch.trim()
            )));
        }
        let hashes: Vec<CodeHash> = vouchers.into_iter().map(|v| v.code_hash).collect();
        self.void_hashes(&hashes, &reason, now).await
    }

    async fn void_hashes(
        &self,
        hashes: &[CodeHash],
        reason: &str,
        now: DateTime<Utc>,
    ) -> LedgerResult<VoidReport> {
        let mut report = VoidReport {
            reason: reason.to_string(),
            voided: 0,
            already_void: 0,
            returned: Money::ZERO,
            vouchers: Vec::with_capacity(hashes.len()),
        };
        for hash in hashes {
            let outcome = self.store().void_with_reason(hash, reason, now).await?;
            if outcome.newly_voided {
                report.voided += 1;
            } else {
                report.already_void += 1;
            }
            report.returned = report
                .returned
                .checked_add(outcome.returned)
                .ok_or_else(|| LedgerError::Store("returned total overflows".into()))?;
            report.vouchers.push(VoidLine {
                hint: outcome.voucher.hint,
                batch: outcome.voucher.batch,
                unit: outcome.voucher.unit,
                outcome: if outcome.newly_voided {
                    VoidResult::Voided
                } else {
                    VoidResult::AlreadyVoid
                },
                returned: outcome.returned,
            });
        }
        Ok(report)
    }

    /// Marks every voucher whose last day is before `before` (WIB) expired: its unspent
    /// balance returns to the program, reported per batch and unit. `before` may be today at
    /// the latest, so only vouchers already past their last day are marked. Running it again
    /// marks nothing twice.
    pub async fn expire(
        &self,
        before: NaiveDate,
        now: DateTime<Utc>,
    ) -> LedgerResult<ExpiryReport> {
        let today = wib_date(now);
        if before > today {
            return Err(LedgerError::Invalid(format!(
                "--before {before} sesudah hari ini ({today}): voucher yang masih berlaku tidak dapat kedaluwarsa"
            )));
        }
        let vouchers = self.store().list_vouchers(None).await?;
        let mut lines: BTreeMap<(String, Option<String>), ExpiryLine> = BTreeMap::new();
        let mut report = ExpiryReport {
            before,
            lines: Vec::new(),
            vouchers: 0,
            returned: Money::ZERO,
            skipped: 0,
        };
        let overflow = || LedgerError::Store("returned total overflows".into());
        for voucher in vouchers.iter().filter(|v| v.expires_on < before) {
            let Some(entry) = self.store().expire_voucher(&voucher.code_hash, now).await? else {
                report.skipped += 1;
                continue;
            };
            let line = lines
                .entry((voucher.batch.clone(), voucher.unit.clone()))
                .or_insert_with(|| ExpiryLine {
                    batch: voucher.batch.clone(),
                    unit: voucher.unit.clone(),
                    expires_on: voucher.expires_on,
                    vouchers: 0,
                    returned: Money::ZERO,
                });
            line.vouchers += 1;
            line.returned = line
                .returned
                .checked_add(entry.amount)
                .ok_or_else(overflow)?;
            report.vouchers += 1;
            report.returned = report
                .returned
                .checked_add(entry.amount)
                .ok_or_else(overflow)?;
        }
        report.lines = lines.into_values().collect();
        Ok(report)
    }

    /// The daily close of WIB date `date`: sales per cashier and refunds per supervisor
    /// (voucher and cash parts), the day's voids and expiry marks, the day's redemption and
    /// refund records reconciled with its ledger entries, and the whole audit.
    pub async fn close(&self, date: NaiveDate) -> LedgerResult<CloseReport> {
        let start = wib_start(date)?;
        let end = date
            .succ_opt()
            .ok_or_else(|| LedgerError::Invalid("date out of range".into()))
            .and_then(wib_start)?;
        let (sales, refunds, entries) = tokio::try_join!(
            self.store().redemptions_between(start, end),
            self.store().refunds_between(start, end),
            self.store().entries_between(start, end),
        )?;
        let audit = self.audit().await?;
        close_report(date, &sales, &refunds, &entries, audit)
    }
}

/// The arithmetic of the daily close.
fn close_report(
    date: NaiveDate,
    sales: &[Redemption],
    refunds: &[Redemption],
    entries: &[VoucherEntry],
    audit: AuditReport,
) -> LedgerResult<CloseReport> {
    let overflow = || LedgerError::Store("close totals overflow".into());
    let add = |sum: &mut Money, amount: Money| -> LedgerResult<()> {
        *sum = sum.checked_add(amount).ok_or_else(overflow)?;
        Ok(())
    };
    let mut staff: BTreeMap<String, StaffDay> = BTreeMap::new();
    let mut totals = StaffDay {
        staff: "Jumlah".into(),
        ..StaffDay::default()
    };
    for sale in sales {
        for day in [
            staff
                .entry(sale.cashier.clone())
                .or_insert_with(|| StaffDay {
                    staff: sale.cashier.clone(),
                    ..StaffDay::default()
                }),
            &mut totals,
        ] {
            day.sales += 1;
            add(&mut day.sales_total, sale.total)?;
            add(&mut day.sales_voucher, sale.voucher_paid)?;
            add(&mut day.sales_cash, sale.cash_due)?;
        }
    }
    for refunded in refunds {
        let Some(refund) = &refunded.refund else {
            continue;
        };
        for day in [
            staff
                .entry(refund.supervisor.clone())
                .or_insert_with(|| StaffDay {
                    staff: refund.supervisor.clone(),
                    ..StaffDay::default()
                }),
            &mut totals,
        ] {
            day.refunds += 1;
            add(&mut day.refunds_total, refunded.total)?;
            add(&mut day.refunds_voucher, refund.voucher_amount)?;
            add(&mut day.refunds_cash, refund.cash_amount)?;
        }
    }
    let mut report = CloseReport {
        date,
        staff: staff.into_values().collect(),
        totals,
        voids: Vec::new(),
        voided_returned: Money::ZERO,
        expired: 0,
        expired_returned: Money::ZERO,
        ledger_redeemed: Money::ZERO,
        ledger_refunded: Money::ZERO,
        discrepancies: Vec::new(),
        audit,
    };
    for item in entries {
        let entry = &item.entry;
        match entry.kind {
            EntryKind::Redeemed => add(&mut report.ledger_redeemed, entry.amount)?,
            EntryKind::Refunded => add(&mut report.ledger_refunded, entry.amount)?,
            EntryKind::Voided => {
                add(&mut report.voided_returned, entry.amount)?;
                report.voids.push(DayVoid {
                    at: entry.at,
                    hint: item.hint.clone(),
                    batch: item.batch.clone(),
                    reason: entry.reference.clone(),
                    returned: entry.amount,
                });
            }
            EntryKind::Expired => {
                report.expired += 1;
                add(&mut report.expired_returned, entry.amount)?;
            }
            EntryKind::Issued => {}
        }
    }
    if report.ledger_redeemed != report.totals.sales_voucher {
        report.discrepancies.push(format!(
            "penjualan: voucher membayar {} menurut catatan penjualan, tetapi {} menurut buku besar voucher",
            report.totals.sales_voucher, report.ledger_redeemed
        ));
    }
    if report.ledger_refunded != report.totals.refunds_voucher {
        report.discrepancies.push(format!(
            "pengembalian: {} kembali ke voucher menurut catatan pengembalian, tetapi {} menurut buku besar voucher",
            report.totals.refunds_voucher, report.ledger_refunded
        ));
    }
    for sale in sales {
        if sale.voucher_paid.checked_add(sale.cash_due) != Some(sale.total) {
            report.discrepancies.push(format!(
                "penjualan {}: voucher {} + tunai {} ≠ total {}",
                sale.id, sale.voucher_paid, sale.cash_due, sale.total
            ));
        }
    }
    Ok(report)
}
