//! Voucher codes: random bearer secrets, readable aloud, with a check character.
//!
//! A code is `MLG-` followed by 16 Crockford base32 characters in groups of four: 15 random
//! characters (75 bits from the operating system's CSPRNG) and one check character. The check
//! is a weighted sum over GF(32), so it catches every single mistyped character and every swap
//! of two neighbouring characters (see the tests, which try them all). Input is normalized:
//! case, dashes and spaces do not matter, `O` reads as `0`, `I` and `L` as `1`.
//!
//! A code is only ever stored as a keyed hash ([`CodeHash`], HMAC-SHA256 with a secret
//! [`Pepper`]); logs and receipts show its last four characters ([`VoucherCode::hint`]).

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

/// The Crockford base32 alphabet: no I, L, O or U.
pub(crate) const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Printed in front of every code, so a code is recognisable as Galeri's.
pub const PREFIX: &str = "MLG";
/// Random characters in a code.
const RANDOM_CHARS: usize = 15;
/// Characters after the prefix: the random ones and the check character.
pub const CODE_CHARS: usize = RANDOM_CHARS + 1;

/// Whether `chars` (no prefix, no separators) has a code's shape: `CODE_CHARS` characters of
/// the alphabet as input is normalized, whether or not the check character matches. The log
/// masker uses it to hide mistyped codes too.
pub fn code_shaped(chars: &str) -> bool {
    chars.chars().count() == CODE_CHARS
        && chars.chars().all(|c| {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            ALPHABET.contains(&(c as u8)) && c.is_ascii()
        })
}

/// A voucher code as the caller typed it, before it is parsed: a secret like the code itself,
/// so its `Debug` shows only the last four characters. Request bodies hold this, never a
/// bare `String`.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct TypedCode(pub String);

impl fmt::Debug for TypedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tail: String = {
            let chars: Vec<char> = self.0.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        write!(f, "TypedCode(…{tail})")
    }
}

/// Why a typed code was refused. Messages are for people at the till.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("kode voucher harus {CODE_CHARS} karakter setelah MLG (terbaca {0})")]
    Length(usize),
    #[error("kode voucher memuat karakter yang tidak dipakai: {0:?}")]
    Character(char),
    #[error("kode voucher salah ketik: karakter pemeriksa tidak cocok")]
    Check,
}

/// A well-formed voucher code (check character verified). Its `Debug` shows only the hint;
/// the full code is reached through [`VoucherCode::expose`], on purpose.
#[derive(Clone, PartialEq, Eq)]
pub struct VoucherCode {
    /// The 16 canonical characters, without prefix or dashes.
    chars: String,
}

impl VoucherCode {
    /// A new random code from the operating system's CSPRNG.
    pub fn generate() -> Result<VoucherCode, getrandom::Error> {
        let mut bytes = [0u8; RANDOM_CHARS];
        getrandom::fill(&mut bytes)?;
        // 256 is a multiple of 32, so `b % 32` is uniform.
        let values: Vec<u8> = bytes.iter().map(|b| b % 32).collect();
        Ok(Self::from_values(&values))
    }

    fn from_values(values: &[u8]) -> VoucherCode {
        let mut chars: String = values
            .iter()
            .map(|v| ALPHABET[*v as usize] as char)
            .collect();
        chars.push(ALPHABET[check_value(values) as usize] as char);
        VoucherCode { chars }
    }

    /// Reads a code as a person typed it; see the module docs for what is forgiven.
    pub fn parse(input: &str) -> Result<VoucherCode, CodeError> {
        let mut compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '_')
            .flat_map(char::to_uppercase)
            .collect();
        // The prefix is optional. A bare 16-character code may begin "M1G", typed "MLG", so
        // the prefix is only taken off when the length says it is there (or the code is short,
        // where the length error should count what followed the prefix).
        if compact.starts_with(PREFIX) && compact.len() != CODE_CHARS {
            compact.drain(..PREFIX.len());
        }
        let mut values = Vec::with_capacity(CODE_CHARS);
        for c in compact.chars() {
            let c = match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            let value = ALPHABET
                .iter()
                .position(|a| *a as char == c)
                .ok_or(CodeError::Character(c))?;
            values.push(value as u8);
        }
        if values.len() != CODE_CHARS {
            return Err(CodeError::Length(values.len()));
        }
        let (data, check) = values.split_at(RANDOM_CHARS);
        if check_value(data) != check[0] {
            return Err(CodeError::Check);
        }
        Ok(Self::from_values(data))
    }

    /// The full code, grouped for reading aloud: `MLG-7K2Q-9XHD-4RTM-8PQ3`. Show it only to
    /// the person who holds the voucher (the issue CSV); never log it.
    pub fn expose(&self) -> String {
        let mut out = String::from(PREFIX);
        for (i, c) in self.chars.chars().enumerate() {
            if i % 4 == 0 {
                out.push('-');
            }
            out.push(c);
        }
        out
    }

    /// The last four characters, safe to log and print on receipts.
    pub fn hint(&self) -> String {
        self.chars[self.chars.len() - 4..].to_string()
    }

    /// The keyed hash under which the store knows this code.
    pub fn hash(&self, pepper: &Pepper) -> CodeHash {
        CodeHash(pepper.mac(self.chars.as_bytes()))
    }
}

impl fmt::Debug for VoucherCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VoucherCode(…{})", self.hint())
    }
}

/// Multiplication in GF(32) modulo x⁵ + x² + 1.
fn gf32_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0x20 != 0 {
            a ^= 0x25;
        }
    }
    product
}

/// The check value `c` makes `c ⊕ Σ dᵢ·αⁱ⁺¹ = 0` (α = x). Every position has a distinct non-zero
/// weight, so any single change is caught; neighbours differ by a factor (1 ⊕ α) ≠ 0, so any
/// adjacent swap is caught, including the last random character with the check character.
fn check_value(values: &[u8]) -> u8 {
    let mut weight = 1u8;
    let mut sum = 0u8;
    for v in values {
        weight = gf32_mul(weight, 2);
        sum ^= gf32_mul(*v, weight);
    }
    sum
}

/// The secret key of the code hash. Kept out of the store (environment, SSM or a 0600 file).
#[derive(Clone)]
pub struct Pepper(Vec<u8>);

/// A pepper that is too short to be a secret.
#[derive(Debug, thiserror::Error)]
#[error("the pepper must be at least 16 bytes (32 hex characters)")]
pub struct PepperError;

impl Pepper {
    pub fn new(bytes: Vec<u8>) -> Result<Pepper, PepperError> {
        if bytes.len() < 16 {
            return Err(PepperError);
        }
        Ok(Pepper(bytes))
    }

    /// From hex, as kept in `GALERI_PEPPER` and the pepper file.
    pub fn from_hex(text: &str) -> Result<Pepper, PepperError> {
        Pepper::new(hex::decode(text.trim()).map_err(|_| PepperError)?)
    }

    /// 32 random bytes.
    pub fn generate() -> Result<Pepper, getrandom::Error> {
        let mut bytes = vec![0u8; 32];
        getrandom::fill(&mut bytes)?;
        Ok(Pepper(bytes))
    }

    pub fn to_hex(&self) -> String {
        hex::encode(&self.0)
    }

    /// HMAC-SHA256 of `message`, as lowercase hex.
    pub fn mac(&self, message: &[u8]) -> String {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(message);
        hex::encode(mac.finalize().into_bytes())
    }
}

impl fmt::Debug for Pepper {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pepper(…)")
    }
}

/// The keyed hash of a voucher code: how stores look vouchers up.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct CodeHash(pub String);

impl CodeHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> VoucherCode {
        VoucherCode::from_values(&[7, 20, 2, 23, 9, 29, 17, 13, 4, 27, 25, 22, 8, 21, 3])
    }

    #[test]
    fn round_trips_through_its_printed_form() {
        for _ in 0..200 {
            let code = VoucherCode::generate().ok().into_iter().next();
            let Some(code) = code else {
                panic!("no randomness")
            };
            let printed = code.expose();
            assert_eq!(printed.len(), 3 + 16 + 4);
            assert!(printed.starts_with("MLG-"));
            assert_eq!(VoucherCode::parse(&printed), Ok(code.clone()));
        }
    }

    #[test]
    fn normalizes_what_people_type() {
        let code = sample();
        let printed = code.expose();
        let body: String = printed[4..].chars().filter(|c| *c != '-').collect();
        assert_eq!(
            VoucherCode::parse(&printed.to_lowercase()),
            Ok(code.clone())
        );
        assert_eq!(VoucherCode::parse(&body), Ok(code.clone()));
        assert_eq!(
            VoucherCode::parse(&format!("  mlg {body} ")),
            Ok(code.clone())
        );
        // 0 typed as O, 1 typed as I or L.
        let with_letters = body.replace('0', "O").replace('1', "l");
        assert_eq!(VoucherCode::parse(&with_letters), Ok(code));
    }

    #[test]
    fn catches_every_single_mistyped_character() {
        for _ in 0..50 {
            let Ok(code) = VoucherCode::generate() else {
                panic!("no randomness")
            };
            let body: Vec<u8> = code.chars.bytes().collect();
            for position in 0..body.len() {
                for replacement in ALPHABET.iter() {
                    if *replacement == body[position] {
                        continue;
                    }
                    let mut typo = body.clone();
                    typo[position] = *replacement;
                    let typo = String::from_utf8_lossy(&typo).to_string();
                    assert_eq!(VoucherCode::parse(&typo), Err(CodeError::Check), "{typo}");
                }
            }
        }
    }

    #[test]
    fn catches_every_adjacent_swap() {
        for _ in 0..200 {
            let Ok(code) = VoucherCode::generate() else {
                panic!("no randomness")
            };
            let body: Vec<u8> = code.chars.bytes().collect();
            for position in 0..body.len() - 1 {
                if body[position] == body[position + 1] {
                    continue;
                }
                let mut swapped = body.clone();
                swapped.swap(position, position + 1);
                let swapped = String::from_utf8_lossy(&swapped).to_string();
                assert_eq!(VoucherCode::parse(&swapped), Err(CodeError::Check));
            }
        }
    }

    #[test]
    fn refuses_wrong_length_and_foreign_characters() {
        assert_eq!(VoucherCode::parse("MLG-7K2Q"), Err(CodeError::Length(4)));
        assert_eq!(
            VoucherCode::parse("MLG-7K2Q-9XHD-4RTM-8PQ!"),
            Err(CodeError::Character('!'))
        );
        assert_eq!(
            VoucherCode::parse("MLG-7K2Q-9XHD-4RTM-8PQU"),
            Err(CodeError::Character('U'))
        );
    }

    #[test]
    fn hides_the_code_in_debug_and_hashes_with_the_pepper() {
        let code = sample();
        let debug = format!("{code:?}");
        assert!(!debug.contains(&code.expose()[4..8]));
        assert!(debug.contains(&code.hint()));
        let Ok(one) = Pepper::new(vec![1; 32]) else {
            panic!()
        };
        let Ok(two) = Pepper::new(vec![2; 32]) else {
            panic!()
        };
        assert_ne!(code.hash(&one), code.hash(&two));
        assert_eq!(code.hash(&one), code.hash(&one));
        assert_eq!(code.hash(&one).0.len(), 64);
        assert!(Pepper::new(vec![0; 8]).is_err());
    }
}
