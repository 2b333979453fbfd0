//! What a failed transaction means and what to do next: read the stored answer, re-read the
//! voucher, or back off and retry, within bounds.

use super::requests::{error_code, sdk_failure};
use super::*;
use aws_sdk_dynamodb::error::{DisplayErrorContext, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use std::time::Duration;

/// Re-reads after the voucher changed under us. Each one means another write to the same
/// voucher succeeded, so the system as a whole progresses; the bound (with `stale_pause`, a few
/// seconds at most) only stops a pathological storm on one voucher. 100 cashiers selling on one
/// voucher at once all get through (tested).
pub(super) const MAX_STALE_RETRIES: u32 = 64;
/// Retries after transaction conflicts or throttling, with jittered exponential backoff.
pub(super) const MAX_CONTENTION_RETRIES: u32 = 8;

// Item positions in the redemption and refund transactions, for reading cancellation reasons.
pub(super) const VOUCHER_INDEX: usize = 0;
pub(super) const IDEMPOTENCY_INDEX: usize = 1;
pub(super) const RECORD_INDEX: usize = 2;

/// What a cancelled transaction means, read from its cancellation reasons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Cancellation {
    /// The idempotency record exists: a replay or a reused key; reading the record decides.
    IdempotencyKeyTaken,
    /// The voucher changed since we read it: read again and decide again with the rules.
    VoucherChanged,
    /// The redemption record's condition failed (id exists, or already refunded).
    RecordTaken,
    /// Transaction conflict or throttling: back off and try again.
    Contention,
    /// Anything else is a store failure; the reasons are kept for the log.
    Unexpected(String),
}

pub(super) const CONDITIONAL_CHECK_FAILED: &str = "ConditionalCheckFailed";

/// Maps the cancellation reason codes of a redemption or refund transaction (one per item, in
/// request order: voucher, idempotency record, redemption record, ledger entry; `None` for an
/// item that did not fail) to what to do next. A failed idempotency condition wins over
/// everything, because the stored answer is what the caller must get; then a changed voucher,
/// because re-reading it may turn the request into a business error instead of a retry.
pub(super) fn classify_cancellation(reasons: &[String]) -> Cancellation {
    if reason_is(reasons, IDEMPOTENCY_INDEX, CONDITIONAL_CHECK_FAILED) {
        Cancellation::IdempotencyKeyTaken
    } else if reason_is(reasons, VOUCHER_INDEX, CONDITIONAL_CHECK_FAILED) {
        Cancellation::VoucherChanged
    } else if reason_is(reasons, RECORD_INDEX, CONDITIONAL_CHECK_FAILED) {
        Cancellation::RecordTaken
    } else if reasons.iter().any(|code| is_contention(code)) {
        Cancellation::Contention
    } else {
        Cancellation::Unexpected(reasons.join(", "))
    }
}

/// Where the items of a transaction sit, for reading its cancellation reasons: the
/// idempotency record, the record whose condition says "done already" (a redemption id, an
/// order's status), and the items guarded by what was read (vouchers by `seq`).
#[derive(Debug, Clone, Default)]
pub(super) struct Layout {
    pub(super) idempotency: Option<usize>,
    pub(super) record: Option<usize>,
    pub(super) stale: Vec<usize>,
}

/// `classify_cancellation` for any layout, with the same precedence: the idempotency record,
/// then anything read that changed, then the record, then contention.
pub(super) fn classify_layout(reasons: &[String], layout: &Layout) -> Cancellation {
    let failed = |index: usize| reason_is(reasons, index, CONDITIONAL_CHECK_FAILED);
    if layout.idempotency.is_some_and(failed) {
        Cancellation::IdempotencyKeyTaken
    } else if layout.stale.iter().copied().any(failed) {
        Cancellation::VoucherChanged
    } else if layout.record.is_some_and(failed) {
        Cancellation::RecordTaken
    } else if reasons.iter().any(|code| is_contention(code)) {
        Cancellation::Contention
    } else {
        Cancellation::Unexpected(reasons.join(", "))
    }
}

pub(super) fn reason_is(reasons: &[String], index: usize, code: &str) -> bool {
    reasons.get(index).map(String::as_str) == Some(code)
}

/// Reason or error codes that mean "busy, try again later", not "refused".
pub(super) fn is_contention(code: &str) -> bool {
    matches!(
        code,
        "TransactionConflict"
            | "TransactionConflictException"
            | "TransactionInProgressException"
            | "ThrottlingError"
            | "ThrottlingException"
            | "ProvisionedThroughputExceeded"
            | "ProvisionedThroughputExceededException"
            | "RequestLimitExceeded"
            | "InternalServerError"
    )
}

/// How a `TransactWriteItems` call failed.
#[derive(Debug)]
pub(super) enum TransactFailure {
    /// Cancelled, with one reason code per item ("None" for items that were fine).
    Canceled(Vec<String>),
    /// Throttled or in conflict as a whole, or the connection failed: retrying is safe
    /// because a committed attempt left its idempotency record behind.
    Busy(String),
    Other(LedgerError),
}

/// What the redemption/refund loops do after a failed transaction.
#[derive(Debug)]
pub(super) enum NextStep {
    /// Read the stored answer under the idempotency key.
    IdempotencyTaken,
    /// Read again (after this pause) and decide again.
    Retry(Duration),
    /// The redemption record's condition failed.
    RecordTaken,
}

impl TransactFailure {
    pub(super) fn from_sdk(error: SdkError<TransactWriteItemsError>) -> TransactFailure {
        if let Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) =
            error.as_service_error()
        {
            return TransactFailure::Canceled(
                cancelled
                    .cancellation_reasons()
                    .iter()
                    .map(|reason| reason.code().unwrap_or("None").to_string())
                    .collect(),
            );
        }
        let transient = matches!(
            error,
            SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_)
        );
        match error_code(&error) {
            Some(code) if is_contention(code) => TransactFailure::Busy(code.to_string()),
            _ if transient => TransactFailure::Busy(DisplayErrorContext(&error).to_string()),
            _ => TransactFailure::Other(sdk_failure("transact write", error)),
        }
    }

    /// Decides the next step of a redemption or refund loop, counting retries against their
    /// bounds; `Busy` when a bound is reached.
    pub(super) fn next_step(self, stale: &mut u32, contention: &mut u32) -> LedgerResult<NextStep> {
        self.next_step_by(classify_cancellation, stale, contention)
    }

    /// `next_step` for a transaction laid out as `layout` says.
    pub(super) fn next_step_with(
        self,
        layout: &Layout,
        stale: &mut u32,
        contention: &mut u32,
    ) -> LedgerResult<NextStep> {
        self.next_step_by(
            |reasons| classify_layout(reasons, layout),
            stale,
            contention,
        )
    }

    fn next_step_by(
        self,
        classify: impl FnOnce(&[String]) -> Cancellation,
        stale: &mut u32,
        contention: &mut u32,
    ) -> LedgerResult<NextStep> {
        let cancellation = match self {
            TransactFailure::Canceled(reasons) => classify(&reasons),
            TransactFailure::Busy(reason) => {
                tracing::debug!(%reason, "transaction busy; retrying");
                Cancellation::Contention
            }
            TransactFailure::Other(error) => return Err(error),
        };
        match cancellation {
            Cancellation::IdempotencyKeyTaken => {
                *stale += 1;
                if *stale > MAX_STALE_RETRIES {
                    return Err(LedgerError::Busy);
                }
                Ok(NextStep::IdempotencyTaken)
            }
            Cancellation::VoucherChanged => {
                *stale += 1;
                if *stale > MAX_STALE_RETRIES {
                    tracing::warn!("voucher kept changing under a transaction; giving up");
                    return Err(LedgerError::Busy);
                }
                Ok(NextStep::Retry(stale_pause(*stale)))
            }
            Cancellation::RecordTaken => Ok(NextStep::RecordTaken),
            Cancellation::Contention => {
                *contention += 1;
                if *contention > MAX_CONTENTION_RETRIES {
                    tracing::warn!("transaction contention did not clear; giving up");
                    return Err(LedgerError::Busy);
                }
                Ok(NextStep::Retry(backoff_pause(*contention)))
            }
            Cancellation::Unexpected(reasons) => Err(LedgerError::Store(format!(
                "transaction cancelled: {reasons}"
            ))),
        }
    }

    pub(super) async fn pause_before_retry(&self, attempt: u32) {
        if matches!(self, TransactFailure::Busy(_))
            || matches!(self, TransactFailure::Canceled(reasons) if reasons.iter().any(|code| is_contention(code)))
        {
            backoff(attempt).await;
        }
    }
}

/// The pause before re-reading a voucher that changed under us for the `stale`-th time
/// (1-based). The first re-read is immediate; then a random pause whose range doubles up to
/// 100 ms spreads a crowd of writers on one voucher, so that they stop colliding in lockstep
/// and each gets its turn within the bound.
pub(super) fn stale_pause(stale: u32) -> Duration {
    if stale <= 1 {
        return Duration::ZERO;
    }
    let ceiling = (1u64 << (stale + 1).min(7)).min(100);
    Duration::from_millis(random_below(ceiling + 1))
}

/// Sleeps before retry `attempt` (1-based).
pub(super) async fn backoff(attempt: u32) {
    tokio::time::sleep(backoff_pause(attempt)).await;
}

/// Exponential from 25 ms, capped at 1 s, with "equal jitter" (half fixed, half random) so
/// that contenders spread out.
pub(super) fn backoff_pause(attempt: u32) -> Duration {
    let ceiling = 25u64.saturating_mul(1u64 << attempt.min(6)).min(1_000);
    let half = ceiling / 2;
    Duration::from_millis(half + random_below(half + 1))
}

/// A random number in `0..bound`; without randomness the jitter is simply 0.
pub(super) fn random_below(bound: u64) -> u64 {
    getrandom::u64().unwrap_or(0) % bound.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reasons(codes: &[&str]) -> Vec<String> {
        codes.iter().map(|code| code.to_string()).collect()
    }

    #[test]
    fn a_taken_idempotency_key_wins_over_everything() {
        assert_eq!(
            classify_cancellation(&reasons(&[
                "None",
                "ConditionalCheckFailed",
                "None",
                "None"
            ])),
            Cancellation::IdempotencyKeyTaken
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "ConditionalCheckFailed",
                "ConditionalCheckFailed",
                "None",
                "None"
            ])),
            Cancellation::IdempotencyKeyTaken
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "TransactionConflict",
                "ConditionalCheckFailed",
                "None",
                "None"
            ])),
            Cancellation::IdempotencyKeyTaken
        );
    }

    #[test]
    fn a_changed_voucher_is_read_again() {
        assert_eq!(
            classify_cancellation(&reasons(&[
                "ConditionalCheckFailed",
                "None",
                "None",
                "None"
            ])),
            Cancellation::VoucherChanged
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "ConditionalCheckFailed",
                "None",
                "TransactionConflict",
                "None"
            ])),
            Cancellation::VoucherChanged
        );
    }

    #[test]
    fn a_taken_record_is_reported() {
        assert_eq!(
            classify_cancellation(&reasons(&[
                "None",
                "None",
                "ConditionalCheckFailed",
                "None"
            ])),
            Cancellation::RecordTaken
        );
    }

    #[test]
    fn conflicts_and_throttling_are_contention() {
        for code in [
            "TransactionConflict",
            "ThrottlingError",
            "ProvisionedThroughputExceeded",
            "RequestLimitExceeded",
        ] {
            assert_eq!(
                classify_cancellation(&reasons(&["None", "None", "None", code])),
                Cancellation::Contention,
                "{code}"
            );
            assert_eq!(
                classify_cancellation(&reasons(&[code, "None", "None", "None"])),
                Cancellation::Contention,
                "{code}"
            );
        }
    }

    #[test]
    fn anything_else_is_a_store_failure() {
        assert_eq!(
            classify_cancellation(&reasons(&["ValidationError", "None", "None", "None"])),
            Cancellation::Unexpected("ValidationError, None, None, None".into())
        );
        assert_eq!(
            classify_cancellation(&reasons(&[
                "None",
                "None",
                "None",
                "ItemCollectionSizeLimitExceeded"
            ])),
            Cancellation::Unexpected("None, None, None, ItemCollectionSizeLimitExceeded".into())
        );
        assert_eq!(
            classify_cancellation(&[]),
            Cancellation::Unexpected(String::new())
        );
    }

    #[test]
    fn each_cancellation_leads_to_its_next_step() {
        let (mut stale, mut contention) = (0, 0);
        let mut step = |codes: &[&str]| {
            TransactFailure::Canceled(reasons(codes)).next_step(&mut stale, &mut contention)
        };
        assert!(matches!(
            step(&["None", "ConditionalCheckFailed", "None", "None"]),
            Ok(NextStep::IdempotencyTaken)
        ));
        assert!(matches!(
            step(&["None", "None", "ConditionalCheckFailed", "None"]),
            Ok(NextStep::RecordTaken)
        ));
        assert!(matches!(
            step(&["ValidationError", "None", "None", "None"]),
            Err(LedgerError::Store(_))
        ));
        let other = TransactFailure::Other(LedgerError::Store("network".into()))
            .next_step(&mut stale, &mut contention);
        assert_eq!(other.err(), Some(LedgerError::Store("network".into())));
    }

    #[test]
    fn retries_are_bounded() {
        let mut stale = 0;
        let mut contention = 0;
        for _ in 0..MAX_STALE_RETRIES {
            let step = TransactFailure::Canceled(reasons(&["ConditionalCheckFailed", "None"]))
                .next_step(&mut stale, &mut contention);
            assert!(
                matches!(step, Ok(NextStep::Retry(pause)) if pause <= Duration::from_millis(100))
            );
        }
        let step = TransactFailure::Canceled(reasons(&["ConditionalCheckFailed", "None"]))
            .next_step(&mut stale, &mut contention);
        assert!(matches!(step, Err(LedgerError::Busy)));

        for _ in 0..MAX_CONTENTION_RETRIES {
            let step = TransactFailure::Busy("ThrottlingException".into())
                .next_step(&mut stale, &mut contention);
            assert!(
                matches!(step, Ok(NextStep::Retry(pause)) if pause >= Duration::from_millis(25))
            );
        }
        let step = TransactFailure::Canceled(reasons(&["TransactionConflict"]))
            .next_step(&mut stale, &mut contention);
        assert!(matches!(step, Err(LedgerError::Busy)));
    }
}
