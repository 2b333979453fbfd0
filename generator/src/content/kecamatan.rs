//! The 33 kecamatan of Kabupaten Malang (DOMAIN.md), matched case-insensitively, with URL slugs.

/// Official spellings, alphabetical.
pub const KECAMATAN: [&str; 33] = [
    "Ampelgading",
    "Bantur",
    "Bululawang",
    "Dampit",
    "Dau",
    "Donomulyo",
    "Gedangan",
    "Gondanglegi",
    "Jabung",
    "Kalipare",
    "Karangploso",
    "Kasembon",
    "Kepanjen",
    "Kromengan",
    "Lawang",
    "Ngajum",
    "Ngantang",
    "Pagak",
    "Pagelaran",
    "Pakis",
    "Pakisaji",
    "Poncokusumo",
    "Pujon",
    "Singosari",
    "Sumbermanjing Wetan",
    "Sumberpucung",
    "Tajinan",
    "Tirtoyudo",
    "Tumpang",
    "Turen",
    "Wagir",
    "Wajak",
    "Wonosari",
];

/// The official spelling of `name`, ignoring case and extra spaces.
pub fn find(name: &str) -> Option<&'static str> {
    let wanted = name.split_whitespace().collect::<Vec<_>>().join(" ");
    KECAMATAN
        .iter()
        .copied()
        .find(|known| known.eq_ignore_ascii_case(&wanted))
}

/// URL slug: `Sumbermanjing Wetan` → `sumbermanjing-wetan`.
pub fn slug(name: &str) -> String {
    name.to_lowercase().replace(' ', "-")
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn matches_case_insensitively() {
        assert_eq!(find("dampit"), Some("Dampit"));
        assert_eq!(find("SUMBERMANJING  wetan"), Some("Sumbermanjing Wetan"));
        assert_eq!(find("Batu"), None);
        assert_eq!(slug("Sumbermanjing Wetan"), "sumbermanjing-wetan");
    }
}
