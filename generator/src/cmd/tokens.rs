//! `galeri tokens create | list | revoke`: staff bearer tokens. `create` prints the new token
//! alone on stdout (so `TOKEN=$(galeri tokens create …)` works) and everything else on stderr;
//! the store keeps only its SHA-256.

use crate::cli::{StoreArgs, TokenCreateArgs, TokenRevokeArgs};
use anyhow::Context;
use chrono::Utc;
use galeri_api::auth::{mint_token, parse_role};
use galeri_vouchers::model::{is_demo_token_name, Role};
use std::process::ExitCode;

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Cashier => "cashier",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

pub fn create(args: TokenCreateArgs) -> anyhow::Result<ExitCode> {
    let Some(role) = parse_role(&args.role) else {
        anyhow::bail!(
            "--role must be cashier, supervisor or admin (got {:?})",
            args.role
        );
    };
    let name = args.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        anyhow::bail!("--name must be 1 to 64 printable characters");
    }
    if is_demo_token_name(name) {
        anyhow::bail!(
            "nama {name:?} dicadangkan untuk token demo (`galeri serve --demo`), yang ditolak di \
             luar mode demo; pilih nama lain. (--name {name:?} is reserved for demo tokens.)"
        );
    }
    super::runtime()?.block_on(async {
        let (store, _) = super::store(&args.store).await?;
        let (token, record) = mint_token(role, name, Utc::now())
            .map_err(|error| anyhow::anyhow!("no randomness: {error}"))?;
        store
            .put_token(&record)
            .await
            .context("storing the token")?;
        eprintln!(
            "Token {} ({}, {}) dibuat. Simpan sekarang: token tidak dapat ditampilkan lagi.",
            record.id,
            role_name(record.role),
            record.name
        );
        println!("{token}");
        Ok(ExitCode::SUCCESS)
    })
}

pub fn list(args: StoreArgs) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        let (store, _) = super::store(&args).await?;
        let tokens = store.tokens().await.context("listing tokens")?;
        if tokens.is_empty() {
            eprintln!(
                "Belum ada token. Buat dengan: galeri tokens create --role cashier --name NAMA"
            );
            return Ok(ExitCode::SUCCESS);
        }
        println!(
            "{:<14} {:<11} {:<22} {:<22} name",
            "id", "role", "created", "revoked"
        );
        for token in tokens {
            let role = role_name(token.role);
            let created = token.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
            let revoked = token
                .revoked_at
                .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "-".into());
            println!(
                "{:<14} {:<11} {:<22} {:<22} {}",
                token.id, role, created, revoked, token.name
            );
        }
        Ok(ExitCode::SUCCESS)
    })
}

pub fn revoke(args: TokenRevokeArgs) -> anyhow::Result<ExitCode> {
    super::runtime()?.block_on(async {
        let (store, _) = super::store(&args.store).await?;
        let token = store
            .revoke_token(args.id.trim(), Utc::now())
            .await
            .with_context(|| format!("revoking token {}", args.id))?;
        eprintln!("Token {} ({}) dicabut.", token.id, token.name);
        Ok(ExitCode::SUCCESS)
    })
}
