//! Log hygiene: a writer that masks anything that reads as a voucher code down to its last
//! four characters, as a last line of defence under the rule that codes are never logged.
//! The handlers already log hints only; this catches a code that slips into a message (a
//! library's debug output, an error quoting its input).

use galeri_vouchers::code::{code_shaped, CODE_CHARS, PREFIX};
use galeri_vouchers::VoucherCode;
use std::io::{self, Write};

/// Replaces every voucher code in `text` with `MLG-…` and its last four characters: any typed
/// form (`MLG-7K2Q-…`, lowercase, without dashes, with spaces between the groups), and also a
/// code with one wrong character (which fails the check) when it carries the `MLG` prefix or
/// the printed four-by-four grouping. A bare 16-character word is masked only when its check
/// character matches, so ordinary ids rarely are.
pub fn mask_codes(text: &str) -> String {
    // Maximal runs of ASCII letters and digits, with their byte spans.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    let mut start = None;
    for (offset, character) in text.char_indices() {
        match (character.is_ascii_alphanumeric(), start) {
            (true, None) => start = Some(offset),
            (false, Some(begin)) => {
                groups.push((begin, offset));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(begin) = start {
        groups.push((begin, text.len()));
    }
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut first = 0;
    while first < groups.len() {
        match code_at(text, &groups[first..]) {
            Some((taken, hint)) => {
                let (begin, _) = groups[first];
                let (_, end) = groups[first + taken - 1];
                out.push_str(&text[copied..begin]);
                out.push_str("MLG-…");
                out.push_str(&hint);
                copied = end;
                first += taken;
            }
            None => first += 1,
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// Whether the groups from the first one on spell a code (joined by dashes, underscores or
/// spaces only): how many groups it takes, and its last four characters.
fn code_at(text: &str, groups: &[(usize, usize)]) -> Option<(usize, String)> {
    let mut joined = String::new();
    let mut sizes = Vec::new();
    for (index, &(begin, end)) in groups.iter().enumerate() {
        if index > 0 {
            let gap = &text[groups[index - 1].1..begin];
            if gap.is_empty() || gap.len() > 3 || !gap.chars().all(|c| matches!(c, '-' | '_' | ' '))
            {
                return None;
            }
        }
        joined.push_str(&text[begin..end].to_ascii_uppercase());
        sizes.push(end - begin);
        if joined.len() > PREFIX.len() + CODE_CHARS {
            return None;
        }
        let prefixed = joined.starts_with(PREFIX) && joined.len() == PREFIX.len() + CODE_CHARS;
        let body = if prefixed {
            &joined[PREFIX.len()..]
        } else {
            joined.as_str()
        };
        if !code_shaped(body) {
            continue;
        }
        // A code does not begin or end inside a dashed word (a UUID's tail is not a code).
        let (first_begin, _) = groups[0];
        let joined_before = text[..first_begin].ends_with(['-', '_'])
            && text[..first_begin]
                .trim_end_matches(['-', '_'])
                .ends_with(|c: char| c.is_ascii_alphanumeric());
        let rest = &text[end..];
        let joined_after = rest.starts_with(['-', '_'])
            && rest
                .trim_start_matches(['-', '_'])
                .starts_with(|c: char| c.is_ascii_alphanumeric());
        if joined_before || joined_after {
            continue;
        }
        let printed_groups = sizes
            .iter()
            .skip(usize::from(prefixed && sizes[0] == 3))
            .all(|size| *size == 4);
        if prefixed || printed_groups || VoucherCode::parse(body).is_ok() {
            let hint = body[body.len() - 4..].to_string();
            return Some((index + 1, hint));
        }
    }
    None
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
    fn masks_codes_typed_with_spaces_or_one_wrong_character() {
        let Ok(code) = VoucherCode::generate() else {
            panic!("no randomness")
        };
        let printed = code.expose();
        let hint = code.hint();
        let spaced = printed.replace('-', " ");
        let masked = mask_codes(&format!("lookup {spaced} failed"));
        assert_eq!(masked, format!("lookup MLG-…{hint} failed"));
        // One wrong character (the check fails), in each typed form.
        let mut wrong: Vec<char> = printed.chars().collect();
        let at = 6;
        wrong[at] = if wrong[at] == 'X' { 'Y' } else { 'X' };
        let wrong: String = wrong.into_iter().collect();
        assert!(VoucherCode::parse(&wrong).is_err());
        for typed in [
            wrong.clone(),
            wrong.to_lowercase(),
            wrong.replace('-', " "),
            wrong.replace('-', ""),
            wrong[4..].to_string(),
        ] {
            let masked = mask_codes(&format!("code={typed};"));
            assert!(!masked.contains(&wrong[9..13]), "{typed} -> {masked}");
            assert!(
                masked.contains(&format!("MLG-…{hint}")),
                "{typed} -> {masked}"
            );
        }
        // Ordinary ids stay readable.
        let line = "key 0b8f0a52-8c1e-4c55-9a53-0e1f2d3c4b5a id R-0000000000ABCDEFGHJK tok_abcde";
        assert_eq!(mask_codes(line), line);
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
