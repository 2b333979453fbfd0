//! Which store and which pepper: `--store sqlite:PATH` / `--store dynamodb:TABLE` (or
//! `GALERI_STORE`), and the pepper from `GALERI_PEPPER` or, for SQLite, a 0600 file beside the
//! database. Shared by the CLI, `galeri serve` and the tests, so every entry point reads the
//! same settings the same way.

use crate::code::Pepper;
use crate::error::{LedgerError, LedgerResult};
use crate::sqlite::SqliteStore;
use crate::store::VoucherStore;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Environment variable with the pepper as hex (at least 16 bytes).
pub const PEPPER_VARIABLE: &str = "GALERI_PEPPER";

/// Where the vouchers live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// The embedded store: a SQLite file.
    Sqlite(PathBuf),
    /// A DynamoDB table (credentials and endpoint from the usual AWS environment).
    Dynamodb(String),
}

impl StoreSpec {
    /// The embedded default, relative to the project root.
    pub const DEFAULT: &'static str = "sqlite:.galeri/vouchers.db";

    /// Reads `sqlite:PATH` or `dynamodb:TABLE`.
    pub fn parse(text: &str) -> LedgerResult<StoreSpec> {
        let text = text.trim();
        let invalid = |why: &str| {
            LedgerError::Invalid(format!(
                "store {text:?}: {why} (expected sqlite:PATH or dynamodb:TABLE)"
            ))
        };
        let (kind, rest) = text.split_once(':').ok_or_else(|| invalid("no kind"))?;
        if rest.is_empty() {
            return Err(invalid("nothing after the colon"));
        }
        match kind {
            "sqlite" => Ok(StoreSpec::Sqlite(PathBuf::from(rest))),
            "dynamodb" => {
                // DynamoDB's own rule: 3 to 255 of [A-Za-z0-9_.-].
                let valid = (3..=255).contains(&rest.len())
                    && rest
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
                if !valid {
                    return Err(invalid("a table name is 3-255 letters, digits, _ - ."));
                }
                Ok(StoreSpec::Dynamodb(rest.to_string()))
            }
            _ => Err(invalid("unknown kind")),
        }
    }

    /// The spec given, or the default when none was.
    pub fn parse_or_default(text: Option<&str>) -> LedgerResult<StoreSpec> {
        StoreSpec::parse(text.unwrap_or(StoreSpec::DEFAULT))
    }
}

impl Default for StoreSpec {
    fn default() -> Self {
        StoreSpec::Sqlite(PathBuf::from(".galeri/vouchers.db"))
    }
}

impl fmt::Display for StoreSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreSpec::Sqlite(path) => write!(f, "sqlite:{}", path.display()),
            StoreSpec::Dynamodb(table) => write!(f, "dynamodb:{table}"),
        }
    }
}

/// Opens (and prepares) the store. For SQLite the folder is created if missing.
pub async fn open_store(spec: &StoreSpec) -> LedgerResult<Arc<dyn VoucherStore>> {
    let store: Arc<dyn VoucherStore> = match spec {
        StoreSpec::Sqlite(path) => {
            let path = path.clone();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
                .await
                .map_err(LedgerError::store)??;
            Arc::new(store)
        }
        StoreSpec::Dynamodb(table) => {
            Arc::new(crate::dynamodb::DynamoStore::from_env(table).await?)
        }
    };
    store.prepare().await?;
    Ok(store)
}

/// The pepper: `GALERI_PEPPER` if set; else, for SQLite, the file `<db>.pepper` (created with a
/// new random pepper and mode 0600 on first use). DynamoDB needs `GALERI_PEPPER` (from SSM).
pub fn load_pepper(spec: &StoreSpec) -> LedgerResult<Pepper> {
    if let Ok(text) = std::env::var(PEPPER_VARIABLE) {
        return Pepper::from_hex(&text)
            .map_err(|error| LedgerError::Invalid(format!("{PEPPER_VARIABLE}: {error}")));
    }
    match spec {
        StoreSpec::Sqlite(path) => pepper_file(&pepper_path(path)),
        StoreSpec::Dynamodb(_) => Err(LedgerError::Invalid(format!(
            "{PEPPER_VARIABLE} must be set for a DynamoDB store"
        ))),
    }
}

/// `vouchers.db` → `vouchers.db.pepper`.
pub fn pepper_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".pepper");
    PathBuf::from(name)
}

/// Reads the pepper file, or creates it (0600, never overwriting) with a new pepper.
fn pepper_file(path: &Path) -> LedgerResult<Pepper> {
    let failed = |error: std::io::Error| {
        LedgerError::Store(format!("pepper file {}: {error}", path.display()))
    };
    match std::fs::read_to_string(path) {
        Ok(text) => {
            return Pepper::from_hex(&text).map_err(|error| {
                LedgerError::Invalid(format!("pepper file {}: {error}", path.display()))
            })
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(failed(error)),
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let pepper = Pepper::generate().map_err(LedgerError::store)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(mut file) => {
            file.write_all(pepper.to_hex().as_bytes()).map_err(failed)?;
            file.sync_all().map_err(failed)?;
            Ok(pepper)
        }
        // Another process created it first: use theirs, so both agree.
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            let text = std::fs::read_to_string(path).map_err(failed)?;
            Pepper::from_hex(&text).map_err(|error| {
                LedgerError::Invalid(format!("pepper file {}: {error}", path.display()))
            })
        }
        Err(error) => Err(failed(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_store_specs() {
        assert_eq!(
            StoreSpec::parse("sqlite:/tmp/x.db").ok(),
            Some(StoreSpec::Sqlite("/tmp/x.db".into()))
        );
        assert_eq!(
            StoreSpec::parse("dynamodb:galeri-prod").ok(),
            Some(StoreSpec::Dynamodb("galeri-prod".into()))
        );
        assert_eq!(
            StoreSpec::parse(StoreSpec::DEFAULT).ok(),
            Some(StoreSpec::default())
        );
        for bad in [
            "",
            "sqlite:",
            "postgres:x",
            "dynamodb:ab",
            "dynamodb:a b c",
            "vouchers.db",
        ] {
            assert!(StoreSpec::parse(bad).is_err(), "{bad} accepted");
        }
        assert_eq!(StoreSpec::default().to_string(), StoreSpec::DEFAULT);
    }

    #[test]
    fn pepper_file_is_created_once_with_0600() {
        let dir = tempfile::tempdir().unwrap_or_else(|error| panic!("{error}"));
        let path = dir.path().join("sub/vouchers.db.pepper");
        let first = pepper_file(&path).unwrap_or_else(|error| panic!("{error}"));
        let second = pepper_file(&path).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(first.to_hex(), second.to_hex());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map(|m| m.permissions().mode())
                .unwrap_or(0);
            assert_eq!(mode & 0o777, 0o600);
        }
        assert_eq!(
            pepper_path(Path::new("a/v.db")),
            PathBuf::from("a/v.db.pepper")
        );
    }
}
