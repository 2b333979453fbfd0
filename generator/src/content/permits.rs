//! The permit and contact rules from DOMAIN.md (NIB, P-IRT, BPOM MD/ML, BPJPH halal, WhatsApp
//! numbers), each written once. They return the problem to report, never panic.

use super::diagnostics::Problem;

/// NIB: 13 digits.
pub fn check_nib(value: &str) -> Result<(), Problem> {
    if value.len() == 13 && all_digits(value) {
        Ok(())
    } else {
        Err(Problem::Nib {
            value: value.into(),
        })
    }
}

/// P-IRT: 15 digits printed `1234567890123-45`; the last two digits are the expiry year
/// (20YY). A P-IRT is valid for 5 years, so an expiry before `this_year` is expired and one
/// more than 5 years ahead cannot be real.
pub fn check_pirt(value: &str, this_year: i32) -> Result<(), Problem> {
    let malformed = || Problem::PirtFormat {
        value: value.into(),
    };
    let (main, year) = value.split_once('-').ok_or_else(malformed)?;
    if main.len() != 13 || year.len() != 2 || !all_digits(main) || !all_digits(year) {
        return Err(malformed());
    }
    let expiry = 2000 + year.parse::<i32>().map_err(|_| malformed())?;
    if expiry < this_year {
        return Err(Problem::PirtExpired { year: expiry });
    }
    if expiry > this_year + 5 {
        return Err(Problem::PirtTooFar { year: expiry });
    }
    Ok(())
}

/// BPOM: `MD` (local) or `ML` (imported), an optional space, then 12 (older) or 15 digits.
pub fn check_bpom(value: &str) -> Result<(), Problem> {
    let upper = value.to_uppercase();
    let digits = upper
        .strip_prefix("MD")
        .or_else(|| upper.strip_prefix("ML"))
        .map(str::trim_start);
    match digits {
        Some(digits) if (digits.len() == 12 || digits.len() == 15) && all_digits(digits) => Ok(()),
        _ => Err(Problem::BpomFormat {
            value: value.into(),
        }),
    }
}

/// BPJPH halal certificate: `ID` then digits. The exact length is unconfirmed, so anything from
/// 8 to 24 digits passes. A `KH…` number is a decree, not a certificate.
pub fn check_halal(value: &str) -> Result<(), Problem> {
    let upper = value.to_uppercase();
    if upper.starts_with("KH") {
        return Err(Problem::HalalKh {
            value: value.into(),
        });
    }
    match value.strip_prefix("ID") {
        Some(digits) if (8..=24).contains(&digits.len()) && all_digits(digits) => Ok(()),
        _ => Err(Problem::HalalFormat {
            value: value.into(),
        }),
    }
}

/// Normalizes a WhatsApp number to `628…` (DOMAIN.md): strip non-digits; `0…` → `62…`,
/// `8…` → `628…`. Valid mobile numbers match `^628\d{8,12}$`.
pub fn normalize_whatsapp(value: &str) -> Result<String, Problem> {
    galeri_vouchers::model::normalize_whatsapp(value).ok_or_else(|| Problem::WhatsApp {
        value: value.into(),
    })
}

/// A loose email check: one `@`, something before it, a dot in the domain, no spaces.
pub fn check_email(value: &str) -> Result<(), Problem> {
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.contains(char::is_whitespace)
                && !domain.contains('@')
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(Problem::Email {
            value: value.into(),
        })
    }
}

fn all_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn nib_is_thirteen_digits() {
        assert!(check_nib("9120001234567").is_ok());
        assert!(check_nib("912000123456").is_err());
        assert!(check_nib("912000123456X").is_err());
    }

    #[test]
    fn pirt_format_and_expiry() {
        assert!(check_pirt("2073507010123-29", 2026).is_ok());
        assert!(check_pirt("2073507010123-26", 2026).is_ok());
        assert_eq!(
            check_pirt("2073507010123-25", 2026),
            Err(Problem::PirtExpired { year: 2025 })
        );
        assert_eq!(
            check_pirt("2073507010123-35", 2026),
            Err(Problem::PirtTooFar { year: 2035 })
        );
        assert!(check_pirt("207350701012329", 2026).is_err());
        assert!(check_pirt("207350701012-329", 2026).is_err());
        assert!(check_pirt("20735070101a3-29", 2026).is_err());
    }

    #[test]
    fn bpom_md_or_ml_with_12_or_15_digits() {
        assert!(check_bpom("MD 224413001234").is_ok());
        assert!(check_bpom("MD224413001234567").is_ok());
        assert!(check_bpom("ML 224413001234").is_ok());
        assert!(check_bpom("MD 2244130012").is_err());
        assert!(check_bpom("SP 224413001234").is_err());
    }

    #[test]
    fn halal_certificate_not_kh() {
        assert!(check_halal("ID35110000123450124").is_ok());
        assert!(matches!(
            check_halal("KH.35.123/2024"),
            Err(Problem::HalalKh { .. })
        ));
        assert!(check_halal("ID12").is_err());
        assert!(check_halal("35110000123450124").is_err());
    }

    #[test]
    fn whatsapp_normalizes_to_62() {
        assert_eq!(
            normalize_whatsapp("0812-3456-7890").ok(),
            Some("6281234567890".into())
        );
        assert_eq!(
            normalize_whatsapp("+62 812 3456 7890").ok(),
            Some("6281234567890".into())
        );
        assert_eq!(
            normalize_whatsapp("81234567890").ok(),
            Some("6281234567890".into())
        );
        assert!(normalize_whatsapp("0341 000000").is_err());
        assert!(normalize_whatsapp("0812").is_err());
    }

    #[test]
    fn email_loose() {
        assert!(check_email("galeri@example.id").is_ok());
        assert!(check_email("galeri.example.id").is_err());
        assert!(check_email("a b@example.id").is_err());
    }
}
