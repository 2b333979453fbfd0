//! Text in the PDFs: Helvetica and Helvetica-Bold, two of the standard fonts every PDF reader
//! has, so nothing is embedded. Their strings are WinAnsi bytes, and their widths come from
//! Adobe's font metrics (AFM), so text can be measured, centred, shrunk and wrapped to fit.

use std::sync::LazyLock;

/// The two faces the cards and labels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    /// The resource name under which every page knows the font.
    pub fn resource(self) -> &'static [u8] {
        match self {
            Font::Regular => b"F1",
            Font::Bold => b"F2",
        }
    }

    /// The standard font's PostScript name.
    pub fn base_font(self) -> &'static [u8] {
        match self {
            Font::Regular => b"Helvetica",
            Font::Bold => b"Helvetica-Bold",
        }
    }

    /// The width of `text` at `size` points.
    pub fn width(self, text: &str, size: f32) -> f32 {
        let widths = match self {
            Font::Regular => &*REGULAR,
            Font::Bold => &*BOLD,
        };
        let units: u32 = encode(text)
            .iter()
            .map(|byte| u32::from(widths[*byte as usize]))
            .sum();
        units as f32 * size / 1000.0
    }

    /// The largest size up to `max` at which `text` fits in `width` (never below `min`).
    pub fn fit(self, text: &str, max: f32, min: f32, width: f32) -> f32 {
        let at_max = self.width(text, max);
        if at_max <= width || at_max <= 0.0 {
            return max;
        }
        (max * width / at_max).max(min)
    }

    /// `text` cut with an ellipsis so that it fits in `width` at `size`.
    pub fn truncate(self, text: &str, size: f32, width: f32) -> String {
        if self.width(text, size) <= width {
            return text.to_owned();
        }
        let mut kept: String = text.to_owned();
        while !kept.is_empty() {
            kept.pop();
            let candidate = format!("{}…", kept.trim_end());
            if self.width(&candidate, size) <= width {
                return candidate;
            }
        }
        "…".to_owned()
    }

    /// `text` broken at spaces into at most `max_lines` lines of `width`; the last line ends
    /// with an ellipsis when the text does not fit.
    pub fn wrap(self, text: &str, size: f32, width: f32, max_lines: usize) -> Vec<String> {
        let mut lines: Vec<String> = Vec::new();
        let mut words = text.split_whitespace().peekable();
        while let Some(word) = words.next() {
            if lines.len() == max_lines {
                break;
            }
            let mut line = word.to_owned();
            while let Some(next) = words.peek() {
                let longer = format!("{line} {next}");
                if self.width(&longer, size) > width {
                    break;
                }
                line = longer;
                words.next();
            }
            lines.push(line);
        }
        let rest: Vec<&str> = words.collect();
        if let Some(last) = lines.last_mut() {
            if !rest.is_empty() {
                *last = self.truncate(&format!("{last} {}", rest.join(" ")), size, width);
            } else if self.width(last, size) > width {
                // One word longer than the line.
                *last = self.truncate(last, size, width);
            }
        }
        lines
    }
}

/// `text` as WinAnsi bytes, the encoding the pages declare for both fonts. A character it
/// lacks prints as `?`: the standard fonts have no other glyphs.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

fn win_ansi(c: char) -> u8 {
    match c as u32 {
        0x20..=0x7E | 0xA0..=0xFF => c as u8,
        _ => HIGH
            .iter()
            .position(|(unicode, name)| *unicode == c && !name.is_empty())
            .map_or(b'?', |index| 0x80 + index as u8),
    }
}

/// WinAnsi 0x80–0xFF: the Unicode character and its glyph name (`'\0', ""` where the
/// encoding has none). From 0xA0 on the characters are Latin-1's.
const HIGH: [(char, &str); 128] = [
    ('€', "Euro"),
    ('\0', ""),
    ('‚', "quotesinglbase"),
    ('ƒ', "florin"),
    ('„', "quotedblbase"),
    ('…', "ellipsis"),
    ('†', "dagger"),
    ('‡', "daggerdbl"),
    ('ˆ', "circumflex"),
    ('‰', "perthousand"),
    ('Š', "Scaron"),
    ('‹', "guilsinglleft"),
    ('Œ', "OE"),
    ('\0', ""),
    ('Ž', "Zcaron"),
    ('\0', ""),
    ('\0', ""),
    ('\u{2018}', "quoteleft"),
    ('\u{2019}', "quoteright"),
    ('\u{201C}', "quotedblleft"),
    ('\u{201D}', "quotedblright"),
    ('•', "bullet"),
    ('–', "endash"),
    ('—', "emdash"),
    ('˜', "tilde"),
    ('™', "trademark"),
    ('š', "scaron"),
    ('›', "guilsinglright"),
    ('œ', "oe"),
    ('\0', ""),
    ('ž', "zcaron"),
    ('Ÿ', "Ydieresis"),
    ('\u{A0}', "space"),
    ('¡', "exclamdown"),
    ('¢', "cent"),
    ('£', "sterling"),
    ('¤', "currency"),
    ('¥', "yen"),
    ('¦', "brokenbar"),
    ('§', "section"),
    ('¨', "dieresis"),
    ('©', "copyright"),
    ('ª', "ordfeminine"),
    ('«', "guillemotleft"),
    ('¬', "logicalnot"),
    ('\u{AD}', "hyphen"),
    ('®', "registered"),
    ('¯', "macron"),
    ('°', "degree"),
    ('±', "plusminus"),
    ('²', "twosuperior"),
    ('³', "threesuperior"),
    ('´', "acute"),
    ('µ', "mu"),
    ('¶', "paragraph"),
    ('·', "periodcentered"),
    ('¸', "cedilla"),
    ('¹', "onesuperior"),
    ('º', "ordmasculine"),
    ('»', "guillemotright"),
    ('¼', "onequarter"),
    ('½', "onehalf"),
    ('¾', "threequarters"),
    ('¿', "questiondown"),
    ('À', "Agrave"),
    ('Á', "Aacute"),
    ('Â', "Acircumflex"),
    ('Ã', "Atilde"),
    ('Ä', "Adieresis"),
    ('Å', "Aring"),
    ('Æ', "AE"),
    ('Ç', "Ccedilla"),
    ('È', "Egrave"),
    ('É', "Eacute"),
    ('Ê', "Ecircumflex"),
    ('Ë', "Edieresis"),
    ('Ì', "Igrave"),
    ('Í', "Iacute"),
    ('Î', "Icircumflex"),
    ('Ï', "Idieresis"),
    ('Ð', "Eth"),
    ('Ñ', "Ntilde"),
    ('Ò', "Ograve"),
    ('Ó', "Oacute"),
    ('Ô', "Ocircumflex"),
    ('Õ', "Otilde"),
    ('Ö', "Odieresis"),
    ('×', "multiply"),
    ('Ø', "Oslash"),
    ('Ù', "Ugrave"),
    ('Ú', "Uacute"),
    ('Û', "Ucircumflex"),
    ('Ü', "Udieresis"),
    ('Ý', "Yacute"),
    ('Þ', "Thorn"),
    ('ß', "germandbls"),
    ('à', "agrave"),
    ('á', "aacute"),
    ('â', "acircumflex"),
    ('ã', "atilde"),
    ('ä', "adieresis"),
    ('å', "aring"),
    ('æ', "ae"),
    ('ç', "ccedilla"),
    ('è', "egrave"),
    ('é', "eacute"),
    ('ê', "ecircumflex"),
    ('ë', "edieresis"),
    ('ì', "igrave"),
    ('í', "iacute"),
    ('î', "icircumflex"),
    ('ï', "idieresis"),
    ('ð', "eth"),
    ('ñ', "ntilde"),
    ('ò', "ograve"),
    ('ó', "oacute"),
    ('ô', "ocircumflex"),
    ('õ', "otilde"),
    ('ö', "odieresis"),
    ('÷', "divide"),
    ('ø', "oslash"),
    ('ù', "ugrave"),
    ('ú', "uacute"),
    ('û', "ucircumflex"),
    ('ü', "udieresis"),
    ('ý', "yacute"),
    ('þ', "thorn"),
    ('ÿ', "ydieresis"),
];

static REGULAR: LazyLock<[u16; 256]> = LazyLock::new(|| widths(pdf_core_14_font_afms::HELVETICA));
static BOLD: LazyLock<[u16; 256]> = LazyLock::new(|| widths(pdf_core_14_font_afms::HELVETICA_BOLD));

/// Advance widths (1/1000 em) of the WinAnsi bytes, read from an AFM file's `C code ; WX
/// width ; N name ;` lines. The AFM's codes are StandardEncoding's, which agrees with WinAnsi on
/// printable ASCII except for two quotes; everything else is found by glyph name.
fn widths(afm: &str) -> [u16; 256] {
    let mut by_code = [0u16; 256];
    let mut by_name = std::collections::HashMap::new();
    for line in afm.lines().filter(|line| line.starts_with("C ")) {
        let mut code = None;
        let mut width = None;
        let mut name = None;
        for field in line.split(';').map(str::trim) {
            let mut parts = field.split_whitespace();
            match (parts.next(), parts.next()) {
                (Some("C"), Some(value)) => code = value.parse::<i32>().ok(),
                (Some("WX"), Some(value)) => width = value.parse::<u16>().ok(),
                (Some("N"), Some(value)) => name = Some(value),
                _ => {}
            }
        }
        let (Some(width), Some(name)) = (width, name) else {
            continue;
        };
        if let Some(code) = code.and_then(|code| u8::try_from(code).ok()) {
            by_code[code as usize] = width;
        }
        by_name.insert(name, width);
    }
    // A character the font somehow lacks is measured as a digit, the common width.
    let fallback = by_name.get("zero").copied().unwrap_or(556);
    let mut table = [fallback; 256];
    for byte in 0x20..=0x7Eu8 {
        let width = match byte {
            b'\'' => by_name.get("quotesingle").copied(),
            b'`' => by_name.get("grave").copied(),
            _ => Some(by_code[byte as usize]).filter(|width| *width > 0),
        };
        table[byte as usize] = width.unwrap_or(fallback);
    }
    for (index, (_, name)) in HIGH.iter().enumerate() {
        if let Some(width) = by_name.get(name) {
            table[0x80 + index] = *width;
        }
    }
    table
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn widths_are_adobes() {
        // Helvetica: R 722, p 556, digits 556, period 278 (Helvetica.afm).
        let expected = (722 + 556 + 556 * 5 + 278) as f32 / 1000.0 * 10.0;
        assert!((Font::Regular.width("Rp50.000", 10.0) - expected).abs() < 1e-3);
        // The two quotes that StandardEncoding puts elsewhere, and a Latin-1 letter.
        assert_eq!(REGULAR[b'\'' as usize], 191);
        assert_eq!(REGULAR[b'`' as usize], 333);
        assert_eq!(REGULAR[0xE9], 556); // é
        assert_eq!(BOLD[0x96], 556); // –
        assert!(Font::Bold.width("MLG", 10.0) > Font::Regular.width("MLG", 10.0));
    }

    #[test]
    fn text_is_win_ansi() {
        assert_eq!(encode("Rp5.000"), b"Rp5.000");
        assert_eq!(encode("café – “x”"), b"caf\xE9 \x96 \x93x\x94");
        assert_eq!(encode("日"), b"?");
    }

    #[test]
    fn long_text_is_shrunk_cut_or_wrapped_to_fit() {
        let text = "Kain Batik Tulis Motif Bambu Warna Alam";
        let width = Font::Bold.width("Kain Batik Tulis", 9.0);
        let lines = Font::Bold.wrap(text, 9.0, width, 2);
        assert_eq!(lines[0], "Kain Batik Tulis");
        assert!(lines[1].ends_with('…'), "{lines:?}");
        assert!(lines
            .iter()
            .all(|line| Font::Bold.width(line, 9.0) <= width));
        assert_eq!(Font::Bold.wrap("Kopi", 9.0, width, 2), ["Kopi"]);
        let size = Font::Bold.fit(text, 20.0, 4.0, 100.0);
        assert!(size < 20.0 && Font::Bold.width(text, size) <= 100.01);
        assert!(Font::Regular.width(&Font::Regular.truncate(text, 9.0, 50.0), 9.0) <= 50.0);
    }
}
