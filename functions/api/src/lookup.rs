//! Anti-enumeration: failed code lookups are counted per client address and per staff token
//! in fixed windows; past the threshold the caller gets 429 with `Retry-After` until the
//! window ends. The check comes before the lookup, so a locked-out caller learns nothing.
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

/// Who a failed lookup is counted against, with that subject's threshold.
#[derive(Debug, Clone)]
pub struct Subject {
    pub key: String,
    pub threshold: u32,
}

/// The subjects of one request: its address, and its token if a staff member sent it.
#[derive(Debug, Clone)]
pub struct LookupGuard {
    subjects: Vec<Subject>,
}

impl LookupGuard {
    pub fn new(state: &AppState, address: &str, token_id: Option<&str>) -> LookupGuard {
        let mut subjects = vec![Subject {
            key: format!("ip:{address}"),
            threshold: state.limits.failed_lookups_per_address,
        }];
        if let Some(id) = token_id {
            subjects.push(Subject {
                key: format!("token:{id}"),
                threshold: state.limits.failed_lookups_per_token,
            });
        }
        LookupGuard { subjects }
    }

    /// 429 if any subject has reached its threshold in the current window.
    pub async fn check(&self, state: &AppState, now: DateTime<Utc>) -> Result<(), ApiError> {
        let (start, retry_after) = window(state.limits.lookup_window_seconds, now);
        for subject in &self.subjects {
            let failures = state.ledger.store().failures(&subject.key, start).await?;
            if failures >= subject.threshold {
                return Err(ApiError::TooManyLookups { retry_after });
            }
        }
        Ok(())
    }

    /// Counts one failed lookup against every subject.
    pub async fn fail(&self, state: &AppState, now: DateTime<Utc>) -> Result<(), ApiError> {
        let (start, _) = window(state.limits.lookup_window_seconds, now);
        for subject in &self.subjects {
            state
                .ledger
                .store()
                .count_failure(&subject.key, start)
                .await?;
        }
        Ok(())
    }

    /// Counts the failure if `error` is one that a guessed code produces, then passes it on.
    pub async fn record(&self, state: &AppState, now: DateTime<Utc>, error: ApiError) -> ApiError {
        if matches!(error, ApiError::UnknownCode | ApiError::InvalidCode { .. }) {
            if let Err(count_error) = self.fail(state, now).await {
                return count_error;
            }
        }
        error
    }
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
