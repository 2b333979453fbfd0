//! `galeri tokens create | list | revoke`: staff bearer tokens. `create` prints the new token
//! alone on stdout (so `TOKEN=$(galeri tokens create …)` works) and everything else on stderr;
//! the store keeps only its SHA-256.

use crate::cli::{StoreArgs, TokenCreateArgs, TokenRevokeArgs};
use anyhow::Context;
use chrono::Utc;
use galeri_api::auth::{mint_token, parse_role};
use galeri_vouchers::config::{open_store, StoreSpec};
use galeri_vouchers::model::Role;
use galeri_vouchers::VoucherStore;
use std::process::ExitCode;
use std::sync::Arc;

/// The store named by `--store` / `GALERI_STORE` (default: the SQLite file), schema prepared.
pub(crate) async fn store(args: &StoreArgs) -> anyhow::Result<Arc<dyn VoucherStore>> {
    let spec = StoreSpec::parse(args.store.as_deref().unwrap_or(StoreSpec::DEFAULT))?;
    let store = open_store(&spec)
        .await
        .with_context(|| format!("opening the voucher store {spec}"))?;
    Ok(store)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Cashier => "cashier",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
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
    runtime()?.block_on(async {
        let store = store(&args.store).await?;
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
    runtime()?.block_on(async {
        let store = store(&args).await?;
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
    runtime()?.block_on(async {
        let store = store(&args.store).await?;
        let token = store
            .revoke_token(args.id.trim(), Utc::now())
            .await
            .with_context(|| format!("revoking token {}", args.id))?;
        eprintln!("Token {} ({}) dicabut.", token.id, token.name);
        Ok(ExitCode::SUCCESS)
    })
}
