//! Money: a whole number of rupiah, with checked arithmetic and the one rupiah formatter
//! (`Rp50.000`) that the site, the CLI and the API all use.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A non-negative amount of rupiah. Never a float: prices, balances and totals are integers.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(try_from = "i64", into = "i64")]
pub struct Money(i64);

/// Why an amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount must not be negative (got {0})")]
    Negative(i64),
    #[error("amount overflows")]
    Overflow,
}

impl Money {
    pub const ZERO: Money = Money(0);

    /// An amount of rupiah; negative amounts are refused.
    pub fn new(rupiah: i64) -> Result<Money, MoneyError> {
        if rupiah < 0 {
            Err(MoneyError::Negative(rupiah))
        } else {
            Ok(Money(rupiah))
        }
    }

    /// The amount as whole rupiah.
    pub fn rupiah(self) -> i64 {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `None` when the result would be negative or overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).filter(|v| *v >= 0).map(Money)
    }

    pub fn checked_mul(self, quantity: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(quantity)).map(Money)
    }

    /// Sum of amounts; `None` on overflow.
    pub fn checked_sum<I: IntoIterator<Item = Money>>(items: I) -> Option<Money> {
        items
            .into_iter()
            .try_fold(Money::ZERO, |acc, m| acc.checked_add(m))
    }

    /// The official spelling, `Rp50.000`: no space, dots between thousands, no decimals.
    pub fn format(self) -> String {
        format_rupiah(self.0)
    }
}

impl TryFrom<i64> for Money {
    type Error = MoneyError;
    fn try_from(value: i64) -> Result<Self, Self::Error> {
        Money::new(value)
    }
}

impl From<Money> for i64 {
    fn from(value: Money) -> i64 {
        value.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format())
    }
}

/// Formats any whole number of rupiah as `Rp50.000` (negative: `-Rp50.000`). Formatted by hand
/// on purpose: locale data differs between platforms.
pub fn format_rupiah(rupiah: i64) -> String {
    let digits = rupiah.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 3);
    if rupiah < 0 {
        out.push('-');
    }
    out.push_str("Rp");
    let first = digits.len() % 3;
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (i + 3 - first) % 3 == 0 {
            out.push('.');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rupiah_the_official_way() {
        assert_eq!(format_rupiah(0), "Rp0");
        assert_eq!(format_rupiah(500), "Rp500");
        assert_eq!(format_rupiah(7_500), "Rp7.500");
        assert_eq!(format_rupiah(50_000), "Rp50.000");
        assert_eq!(format_rupiah(200_000), "Rp200.000");
        assert_eq!(format_rupiah(1_000_000), "Rp1.000.000");
        assert_eq!(format_rupiah(-12_345), "-Rp12.345");
        assert_eq!(Money(1_234_567).to_string(), "Rp1.234.567");
    }

    #[test]
    fn refuses_negative_and_checks_arithmetic() {
        assert_eq!(Money::new(-1), Err(MoneyError::Negative(-1)));
        let ten = Money(10_000);
        assert_eq!(ten.checked_sub(Money(20_000)), None);
        assert_eq!(ten.checked_mul(3), Some(Money(30_000)));
        assert_eq!(Money(i64::MAX).checked_add(Money(1)), None);
        assert!(serde_json::from_str::<Money>("-5").is_err());
        assert_eq!(
            serde_json::from_str::<Money>("5000").ok(),
            Some(Money(5_000))
        );
    }
}
