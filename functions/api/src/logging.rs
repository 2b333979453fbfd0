//! Log hygiene: a writer that masks anything that reads as a voucher code down to its last
//! four characters, as a last line of defence under the rule that codes are never logged.
//! The handlers already log hints only; this catches a code that slips into a message (a
//! library's debug output, an error quoting its input).

use galeri_vouchers::VoucherCode;
use std::io::{self, Write};

/// Replaces every voucher code in `text` (any typed form that passes the check character:
/// `MLG-7K2Q-…`, lowercase, without dashes) with `MLG-…` and its last four characters.
pub fn mask_codes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        match VoucherCode::parse(run) {
            Ok(code) if run.chars().filter(|c| c.is_ascii_alphanumeric()).count() >= 16 => {
                out.push_str("MLG-…");
                out.push_str(&code.hint());
            }
            _ => out.push_str(run),
        }
        run.clear();
    };
    for character in text.chars() {
        if character.is_ascii_alphanumeric() || character == '-' {
            run.push(character);
        } else {
            flush(&mut run, &mut out);
            out.push(character);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// Wraps a writer (stdout in Lambda, stderr in `galeri serve`) and masks codes in what passes
/// through. The tracing formatter writes one whole event per call, so no code is split.
#[derive(Debug)]
pub struct MaskingWriter<W: Write>(pub W);

impl<W: Write> Write for MaskingWriter<W> {
    fn write(&mut self, buffer: &[u8]) -> io::Result<usize> {
        let text = String::from_utf8_lossy(buffer);
        self.0.write_all(mask_codes(&text).as_bytes())?;
        Ok(buffer.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_codes_in_any_typed_form_and_leaves_the_rest() {
        let Ok(code) = VoucherCode::generate() else {
            panic!("no randomness")
        };
        let printed = code.expose();
        let hint = code.hint();
        let line = format!(
            r#"{{"msg":"lookup {printed}","other":"{}","id":"rdm_01HX","n":12345}}"#,
            printed.to_lowercase().replace('-', "")
        );
        let masked = mask_codes(&line);
        assert!(!masked.contains(&printed[4..8]), "{masked}");
        assert_eq!(
            masked.matches(&format!("MLG-…{hint}")).count(),
            2,
            "{masked}"
        );
        assert!(masked.contains(r#""id":"rdm_01HX","n":12345"#));
    }

    #[test]
    fn the_writer_masks_what_it_forwards() {
        let Ok(code) = VoucherCode::generate() else {
            panic!("no randomness")
        };
        let mut writer = MaskingWriter(Vec::new());
        let line = format!("code={}\n", code.expose());
        assert_eq!(writer.write(line.as_bytes()).ok(), Some(line.len()));
        let written = String::from_utf8_lossy(&writer.0).to_string();
        assert_eq!(written, format!("code=MLG-…{}\n", code.hint()));
    }
}
