//! Template filters: `rupiah` (through the one shared formatter, `format_rupiah`), `tanggal`
//! (Indonesian dates, `5 April 2021`) and `bulan` (months, `September 2026`, or `Sep` with
//! `singkat=true`).

use galeri_vouchers::format_rupiah;
use std::collections::HashMap;
use tera::{Tera, Value};

pub fn register(tera: &mut Tera) {
    tera.register_filter("rupiah", rupiah);
    tera.register_filter("tanggal", tanggal);
    tera.register_filter("bulan", bulan);
}

/// `45000 | rupiah` → `Rp45.000`.
fn rupiah(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    value
        .as_i64()
        .map(|amount| Value::String(format_rupiah(amount)))
        .ok_or_else(|| tera::Error::msg(format!("rupiah: not a whole number: {value}")))
}

const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// Three-letter month names, as Indonesian calendars abbreviate them.
const SHORT_MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des",
];

/// `"2026-09" | bulan` → `September 2026`; `"2026-09" | bulan(singkat=true)` → `Sep`.
fn bulan(value: &Value, arguments: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("bulan: not a month"))?;
    let date = chrono::NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .map_err(|_| tera::Error::msg(format!("bulan: not a month YYYY-MM: {text}")))?;
    use chrono::Datelike;
    let index = date.month0() as usize;
    let short = arguments
        .get("singkat")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(Value::String(if short {
        SHORT_MONTHS
            .get(index)
            .copied()
            .unwrap_or_default()
            .to_owned()
    } else {
        format!(
            "{} {}",
            MONTHS.get(index).copied().unwrap_or_default(),
            date.year()
        )
    }))
}

/// `"2021-04-05" | tanggal` → `5 April 2021`.
fn tanggal(value: &Value, _: &HashMap<String, Value>) -> tera::Result<Value> {
    let text = value
        .as_str()
        .ok_or_else(|| tera::Error::msg("tanggal: not a date"))?;
    let date = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| tera::Error::msg(format!("tanggal: not a date: {text}")))?;
    Ok(Value::String(format_date(date)))
}

/// `5 April 2021`.
pub fn format_date(date: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let month = MONTHS
        .get(date.month0() as usize)
        .copied()
        .unwrap_or_default();
    format!("{} {month} {}", date.day(), date.year())
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn filters_format_money_and_dates() {
        let none = HashMap::new();
        assert_eq!(
            rupiah(&Value::from(45000), &none).unwrap(),
            Value::from("Rp45.000")
        );
        assert!(rupiah(&Value::from("x"), &none).is_err());
        assert_eq!(
            bulan(&Value::from("2026-09"), &none).unwrap(),
            Value::from("September 2026")
        );
        let short = HashMap::from([("singkat".to_owned(), Value::from(true))]);
        assert_eq!(
            bulan(&Value::from("2026-08"), &short).unwrap(),
            Value::from("Agu")
        );
        assert!(bulan(&Value::from("2026-13"), &none).is_err());
        assert_eq!(
            tanggal(&Value::from("2021-04-05"), &none).unwrap(),
            Value::from("5 April 2021")
        );
    }
}
