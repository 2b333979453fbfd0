//! Staff authentication: bearer tokens with a role, of which only the SHA-256 is stored.
//!
//! A token is `glr_` followed by 32 lowercase base32 characters: 160 random bits, so it cannot
//! be guessed, and a fast unsalted hash is enough to store it (there is no dictionary to try).
//! Tokens are looked up by their hash; an attacker who times the lookup learns about the hash
//! of their guess, not about any stored token, so timing leaks are moot. The hash found is
//! still compared in constant time, so the check does not rest on how the store compares.

use crate::problem::ApiError;
use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use chrono::{DateTime, Utc};
use galeri_vouchers::model::{is_demo_token_name, Role, StaffToken};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Printed in front of every staff token, so a leaked one is easy to recognise and search for.
pub const TOKEN_PREFIX: &str = "glr_";
/// Random bytes in a token (160 bits).
const TOKEN_BYTES: usize = 20;
/// Characters after the prefix: 160 bits at 5 bits each.
const TOKEN_CHARS: usize = TOKEN_BYTES * 8 / 5;
/// Lowercase RFC 4648 base32, easy to copy and unambiguous in a terminal.
const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";

/// SHA-256 of a token, lowercase hex: what the store keeps.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Whether `text` has the shape of a token (checked before any store lookup).
fn well_formed(text: &str) -> bool {
    text.strip_prefix(TOKEN_PREFIX)
        .is_some_and(|rest| rest.len() == TOKEN_CHARS && rest.bytes().all(|b| BASE32.contains(&b)))
}

/// A new token: the secret (shown once) and the record to store.
pub fn mint_token(
    role: Role,
    name: &str,
    now: DateTime<Utc>,
) -> Result<(String, StaffToken), getrandom::Error> {
    let mut secret = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut secret)?;
    let mut id = [0u8; 5];
    getrandom::fill(&mut id)?;
    let token = format!("{TOKEN_PREFIX}{}", base32(&secret));
    let record = StaffToken {
        id: format!("tok_{}", base32(&id)),
        token_hash: token_hash(&token),
        role,
        name: name.to_string(),
        created_at: now,
        revoked_at: None,
    };
    Ok((token, record))
}

/// Parses `cashier`, `supervisor` or `admin`.
pub fn parse_role(text: &str) -> Option<Role> {
    match text.trim().to_ascii_lowercase().as_str() {
        "cashier" | "kasir" => Some(Role::Cashier),
        "supervisor" => Some(Role::Supervisor),
        "admin" => Some(Role::Admin),
        _ => None,
    }
}

/// The authenticated staff member behind a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl Staff {
    /// 403 unless the role is at least `least` (admin ⊇ supervisor ⊇ cashier).
    pub fn require(&self, least: Role) -> Result<(), ApiError> {
        if self.role >= least {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// How the staff member is recorded on redemptions and refunds.
    pub fn label(&self) -> String {
        format!("{} ({})", self.name, self.id)
    }
}

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthorized {
                invalid_token: false,
            });
        };
        let invalid = ApiError::Unauthorized {
            invalid_token: true,
        };
        let text = value.to_str().map_err(|_| invalid.clone())?;
        let Some((scheme, token)) = text.split_once(' ') else {
            return Err(invalid);
        };
        let token = token.trim();
        if !scheme.eq_ignore_ascii_case("bearer") || !well_formed(token) {
            return Err(invalid);
        }
        let hash = token_hash(token);
        let record = state
            .ledger
            .store()
            .token_by_hash(&hash)
            .await
            .map_err(ApiError::from)?
            .ok_or_else(|| invalid.clone())?;
        let same: bool = record.token_hash.as_bytes().ct_eq(hash.as_bytes()).into();
        if !same || record.revoked_at.is_some() {
            return Err(invalid);
        }
        // The demo cashier's token (its secret sits in a file beside the database) is no key
        // to a store served for real.
        if is_demo_token_name(&record.name) && !state.ledger.is_demo() {
            return Err(invalid);
        }
        Ok(Staff {
            id: record.id,
            name: record.name,
            role: record.role,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_are_well_formed_distinct_and_stored_as_hashes() {
        let now = Utc::now();
        let Ok((one, record)) = mint_token(Role::Cashier, "Sari", now) else {
            panic!()
        };
        let Ok((two, _)) = mint_token(Role::Cashier, "Sari", now) else {
            panic!()
        };
        assert_ne!(one, two);
        assert!(well_formed(&one), "{one}");
        assert_eq!(one.len(), TOKEN_PREFIX.len() + 32);
        assert_eq!(record.token_hash, token_hash(&one));
        assert_eq!(record.token_hash.len(), 64);
        assert!(!record.token_hash.contains(&one[4..]));
    }

    #[test]
    fn base32_matches_rfc_4648() {
        // RFC 4648 test vector "foobar" → MZXW6YTBOI (lowercase here, no padding).
        assert_eq!(base32(b"foobar"), "mzxw6ytboi");
    }

    #[test]
    fn roles_are_ordered_by_power() {
        let supervisor = Staff {
            id: "t".into(),
            name: "n".into(),
            role: Role::Supervisor,
        };
        assert!(supervisor.require(Role::Cashier).is_ok());
        assert!(supervisor.require(Role::Supervisor).is_ok());
        assert_eq!(supervisor.require(Role::Admin), Err(ApiError::Forbidden));
        assert_eq!(parse_role("Supervisor"), Some(Role::Supervisor));
        assert_eq!(parse_role("boss"), None);
    }
}
