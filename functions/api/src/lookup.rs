//! Anti-enumeration: failed code lookups are counted per staff token (signed-in requests) or
//! per client address (anonymous ones) in fixed windows; past the threshold the caller gets 429
//! with `Retry-After` until the window ends. A slot is reserved before the lookup and given
//! back when the lookup succeeds, so a locked-out caller learns nothing and parallel guesses
//! are counted before they are answered.
//!
//! Why guessing is impractical: a code carries 75 random bits, so with 20,000 live vouchers a
//! random well-formed guess hits one with probability 20,000 / 2^75 ≈ 5.3e-19. A random string
//! passes the check character only 1 time in 32, and format failures count as failures too.
//! At the default limit (20 failures per address per 15 minutes: 1,920 a day), even a million
//! addresses make about 1.9e9 guesses a day, for a chance of about 1e-9 per day of finding any
//! voucher at all.

use crate::problem::ApiError;
use crate::AppState;
use chrono::{DateTime, TimeZone, Utc};

/// Who a request's failed lookups are counted against, with that subject's threshold. A
/// signed-in staff member is limited by their own token's failures only, never by their
/// address: gallery tills share one public address with guest Wi-Fi and carrier NAT, so
/// anonymous guesses from that address must not stop a till. Anonymous lookups are limited
/// per address.
#[derive(Debug, Clone)]
pub struct LookupGuard {
    key: String,
    threshold: u32,
}

impl LookupGuard {
    pub fn new(state: &AppState, address: &str, token_id: Option<&str>) -> LookupGuard {
        match token_id {
            Some(id) => LookupGuard {
                key: format!("token:{id}"),
                threshold: state.limits.failed_lookups_per_token,
            },
            None => LookupGuard {
                key: format!("ip:{address}"),
                threshold: state.limits.failed_lookups_per_address,
            },
        }
    }

    /// Takes a lookup slot in the current window before the lookup (one atomic conditional
    /// increment in the store), or 429 when the subject has used them all: parallel guesses
    /// cannot all be answered before any is counted.
    pub async fn reserve(&self, state: &AppState, now: DateTime<Utc>) -> Result<(), ApiError> {
        let (start, retry_after) = window(state.limits.lookup_window_seconds, now);
        let reserved = state
            .ledger
            .store()
            .reserve_lookup(&self.key, start, self.threshold)
            .await?;
        if reserved {
            Ok(())
        } else {
            Err(ApiError::TooManyLookups { retry_after })
        }
    }

    /// Gives the slot back after a lookup that was not a failed one. Best effort: the answer
    /// stands even if the store cannot be reached now (the slot then counts as a failure).
    pub async fn release(&self, state: &AppState, now: DateTime<Utc>) {
        let (start, _) = window(state.limits.lookup_window_seconds, now);
        if let Err(error) = state.ledger.store().release_lookup(&self.key, start).await {
            tracing::warn!(%error, "could not give a lookup slot back");
        }
    }
}

/// Whether an answer is one that guessing produces, so its slot stays counted: a wrong or
/// malformed code, or an idempotency key reused for another request.
pub fn is_failed_lookup(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::UnknownCode | ApiError::InvalidCode { .. } | ApiError::IdempotencyConflict { .. }
    )
}

/// The start of the fixed window holding `now`, and the seconds until it ends (at least 1).
pub fn window(length_seconds: u64, now: DateTime<Utc>) -> (DateTime<Utc>, u64) {
    let length = length_seconds.max(1) as i64;
    let seconds = now.timestamp();
    let start = seconds - seconds.rem_euclid(length);
    let start_time = Utc.timestamp_opt(start, 0).single().unwrap_or(now);
    let remaining = (start + length - seconds).max(1) as u64;
    (start_time, remaining)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_fixed_and_aligned() {
        let Some(now) = Utc.with_ymd_and_hms(2026, 11, 27, 10, 7, 30).single() else {
            panic!()
        };
        let (start, retry_after) = window(900, now);
        assert_eq!(start.to_rfc3339(), "2026-11-27T10:00:00+00:00");
        assert_eq!(retry_after, 450);
        let Some(edge) = Utc.with_ymd_and_hms(2026, 11, 27, 10, 15, 0).single() else {
            panic!()
        };
        assert_eq!(window(900, edge), (edge, 900));
    }
}
