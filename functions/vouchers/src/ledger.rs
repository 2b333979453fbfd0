//! The `Ledger`: the voucher operations of the domain, over any `VoucherStore`. It turns codes
//! into keyed hashes, prices line items from the stored price list (never from the client),
//! fingerprints requests for idempotency, and computes settlement and audit.

use crate::code::{Pepper, VoucherCode};
use crate::error::LedgerResult;
use crate::model::{
    AuditReport, Catalog, LedgerEntry, LineRequest, NewBatch, Redemption, Refund, Settlement,
    Voucher,
};
use crate::store::VoucherStore;
use chrono::{DateTime, NaiveDate, Utc};
use std::sync::Arc;

/// Most line items in one redemption.
pub const MAX_ITEMS: usize = 100;
/// Most of one product in one line.
pub const MAX_QTY: u32 = 1_000;

/// A redemption as the cashier asks for it.
#[derive(Debug, Clone)]
pub struct RedeemRequest {
    pub idempotency_key: String,
    /// Who redeems (staff token id or name), recorded on the redemption.
    pub cashier: String,
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
    pub redemption_id: String,
}

/// The voucher operations over one store and one pepper.
#[derive(Clone)]
pub struct Ledger {
    store: Arc<dyn VoucherStore>,
    pepper: Pepper,
}

impl Ledger {
    pub fn new(store: Arc<dyn VoucherStore>, pepper: Pepper) -> Ledger {
        Ledger { store, pepper }
    }

    pub fn store(&self) -> &Arc<dyn VoucherStore> {
        &self.store
    }

    /// Issues a batch: generates `count` codes, stores their hashes, returns the codes (the
    /// only time they exist in clear).
    pub async fn issue(&self, batch: &NewBatch, now: DateTime<Utc>) -> LedgerResult<Vec<VoucherCode>> {
        todo!("{batch:?} {now}")
    }

    /// The voucher behind a code; `UnknownCode` if none.
    pub async fn balance(&self, code: &VoucherCode) -> LedgerResult<Voucher> {
        todo!("{code:?}")
    }

    pub async fn redeem(&self, request: &RedeemRequest, now: DateTime<Utc>) -> LedgerResult<Redemption> {
        todo!("{request:?} {now}")
    }

    /// One redemption; `UnknownRedemption` if none.
    pub async fn redemption(&self, id: &str) -> LedgerResult<Redemption> {
        todo!("{id}")
    }

    pub async fn refund(&self, request: &RefundRequest, now: DateTime<Utc>) -> LedgerResult<Refund> {
        todo!("{request:?} {now}")
    }

    pub async fn history(&self, code: &VoucherCode) -> LedgerResult<Vec<LedgerEntry>> {
        todo!("{code:?}")
    }

    /// Settlement per producer for the WIB dates `from..=to`.
    pub async fn settlement(&self, from: NaiveDate, to: NaiveDate) -> LedgerResult<Settlement> {
        todo!("{from} {to}")
    }

    pub async fn audit(&self) -> LedgerResult<AuditReport> {
        todo!()
    }

    /// Loads the price list from a build's `catalog.json`.
    pub async fn load_catalog(&self, catalog: &Catalog) -> LedgerResult<()> {
        todo!("{catalog:?}")
    }
}
