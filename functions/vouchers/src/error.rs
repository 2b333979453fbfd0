//! The ledger's errors: business rules a caller can act on, and store failures.

use crate::money::Money;
use chrono::NaiveDate;

/// Everything a ledger operation can refuse or fail with. The HTTP layer maps each variant to
/// one problem type in one place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("unknown voucher code")]
    UnknownCode,
    /// Codes of a request for several vouchers (void) that no voucher has, by position.
    #[error("unknown voucher codes at positions {positions:?}")]
    UnknownCodes { positions: Vec<usize> },
    #[error("voucher expired on {expires_on}")]
    Expired { expires_on: NaiveDate },
    #[error("voucher is void")]
    Void,
    /// A demo voucher (`galeri serve --demo`) used where demo data is not accepted.
    #[error("demo voucher outside demo mode")]
    DemoVoucher,
    #[error("insufficient balance: {balance} left, {total} asked")]
    InsufficientBalance { balance: Money, total: Money },
    /// SKUs not in the current price list, with their positions in the request.
    #[error("unknown product sku: {skus:?}")]
    UnknownSku {
        positions: Vec<usize>,
        skus: Vec<String>,
    },
    /// A request that breaks a rule before any lookup (no items, quantity 0, too many items,
    /// a total too large, a bad batch).
    #[error("invalid request: {0}")]
    Invalid(String),
    #[error("unknown redemption")]
    UnknownRedemption,
    #[error("redemption already refunded")]
    AlreadyRefunded { refund_id: String },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key reused with a different request")]
    IdempotencyConflict,
    /// The idempotency key already made a sale on the same voucher, with another body (other
    /// lines or cash rule): that sale stands, and the caller should look at it before selling
    /// again under a new key.
    #[error("idempotency key already made redemption {redemption_id} on this voucher")]
    KeyMadeThisSale { redemption_id: String },
    #[error("batch {0} already exists")]
    DuplicateBatch(String),
    #[error("unknown staff token")]
    UnknownToken,
    /// Contention that did not clear after bounded retries; safe to retry with the same key.
    #[error("the store is busy, try again")]
    Busy,
    /// The store failed (I/O, network, corrupt data). The message is for logs only.
    #[error("store failure: {0}")]
    Store(String),
}

impl LedgerError {
    pub fn store(error: impl std::fmt::Display) -> LedgerError {
        LedgerError::Store(error.to_string())
    }
}

pub type LedgerResult<T> = Result<T, LedgerError>;
