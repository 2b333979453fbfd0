//! Which store and which pepper: `--store sqlite:PATH` / `--store dynamodb:TABLE` (or
//! `GALERI_STORE`), and the pepper from `GALERI_PEPPER`, the SSM parameter named by
//! `GALERI_PEPPER_PARAM`, or, for SQLite, a 0600 file beside the database. Shared by the CLI,
//! `galeri serve`, the Lambdas and the tests, so every entry point reads the same settings the
//! same way.
//!
//! A wrong pepper does not fail loudly by itself: every code just reads "unknown", and tills
//! lock out. So the store keeps a check value, HMAC(pepper, [`PEPPER_CHECK_LABEL`]), recorded at
//! first use; every entry point compares its pepper with it before it serves or issues, and a
//! pepper file is only ever created for a store that has neither a check value nor vouchers.

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
/// Environment variable naming the SSM SecureString parameter that holds the pepper (hex), so
/// the production pepper never has to be exported into a shell.
pub const PEPPER_PARAMETER_VARIABLE: &str = "GALERI_PEPPER_PARAM";
/// What the check value is the HMAC of. Fixed forever: changing it orphans every store's check.
pub const PEPPER_CHECK_LABEL: &[u8] = b"galeri pepper check v1";

/// The store's check value for a pepper.
pub fn pepper_check_value(pepper: &Pepper) -> String {
    pepper.mac(PEPPER_CHECK_LABEL)
}

/// Why the pepper could not be used. The messages are for the admin who started the program:
/// Indonesian first, then English, each saying what to do.
#[derive(Debug, thiserror::Error)]
pub enum PepperError {
    #[error(
        "pepper dari {origin} tidak cocok dengan penyimpanan {store}: penyimpanan ini dibuat \
         dengan pepper lain, jadi setiap kode voucher akan terbaca tidak dikenal. Pakai pepper \
         yang benar (periksa GALERI_PEPPER / GALERI_PEPPER_PARAM, atau pulihkan berkas \
         pepper dari cadangan); jangan menerbitkan voucher sebelum itu. (The pepper from {origin} \
         does not match the check value of {store}: every voucher code would read unknown. Use \
         the right pepper; issue nothing until then.)"
    )]
    Mismatch { origin: String, store: String },
    #[error(
        "berkas pepper {} tidak ada, padahal penyimpanan {store} sudah berisi voucher: pepper \
         baru akan membuat semua kode tidak dikenal, jadi tidak dibuat. Pulihkan berkas itu dari \
         cadangan (mode 0600) atau set GALERI_PEPPER ke pepper lama. (The pepper file is \
         missing but {store} already has vouchers; a new pepper would make every code unknown, \
         so none is created. Restore the file from backup or set GALERI_PEPPER.)",
        path.display()
    )]
    LostFile { path: PathBuf, store: String },
    #[error(
        "penyimpanan DynamoDB {store} butuh pepper: set GALERI_PEPPER_PARAM ke nama \
         parameter SSM-nya (mis. /galeri/prod/pepper), atau GALERI_PEPPER. (A DynamoDB \
         store needs its pepper: set GALERI_PEPPER_PARAM to its SSM parameter name.)"
    )]
    Missing { store: String },
    #[error("{origin}: {message}")]
    Unreadable { origin: String, message: String },
    #[error(
        "parameter SSM {name} (GALERI_PEPPER_PARAM) tidak bisa dipakai: {why}. (SSM parameter \
         {name} unusable: {detail}.)"
    )]
    Parameter {
        name: String,
        /// What went wrong and what to check, in Indonesian; never the parameter's value.
        why: String,
        /// The same for the English reader: the AWS error code or the connection failure.
        detail: String,
    },
    #[error(transparent)]
    Store(#[from] LedgerError),
}

/// What the store's check value said about the pepper.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PepperCheck {
    /// It matches the recorded check value.
    Verified,
    /// There was none; this pepper's is recorded now.
    Recorded,
    /// There was none and the caller only verifies (a Lambda, which may not write it).
    Unrecorded,
}

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

/// The pepper configured in the environment: `GALERI_PEPPER` (hex) if set, else the SSM
/// parameter named by `GALERI_PEPPER_PARAM`; `None` if neither is set. The second value says
/// where it came from, for messages.
pub async fn configured_pepper() -> Result<Option<(Pepper, String)>, PepperError> {
    if let Ok(text) = std::env::var(PEPPER_VARIABLE) {
        let pepper = Pepper::from_hex(&text).map_err(|error| PepperError::Unreadable {
            origin: PEPPER_VARIABLE.into(),
            message: error.to_string(),
        })?;
        return Ok(Some((pepper, PEPPER_VARIABLE.into())));
    }
    let Ok(name) = std::env::var(PEPPER_PARAMETER_VARIABLE) else {
        return Ok(None);
    };
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .load()
        .await;
    let region = config
        .region()
        .map_or_else(|| "(belum diatur)".to_string(), |region| region.to_string());
    let failed = |why: String, detail: String| PepperError::Parameter {
        name: name.clone(),
        why,
        // AWS messages end in a full stop; the message adds its own.
        detail: detail.trim_end_matches('.').to_string(),
    };
    let output = aws_sdk_ssm::Client::new(&config)
        .get_parameter()
        .name(&name)
        .with_decryption(true)
        .send()
        .await
        .map_err(|error| {
            let (why, detail) = ssm_failure(&error, &region);
            failed(why, detail)
        })?;
    let value = output
        .parameter()
        .and_then(|parameter| parameter.value())
        .ok_or_else(|| failed("parameter itu tidak berisi nilai".into(), "no value".into()))?;
    // The value is the secret: the message says what is wrong with it, never what it is.
    let pepper = Pepper::from_hex(value).map_err(|_| {
        failed(
            "isinya bukan pepper yang sah: pepper ditulis sebagai hex (0-9, a-f), minimal 32 \
             karakter (16 byte)"
                .into(),
            "the value is not a pepper: hex, at least 32 characters".into(),
        )
    })?;
    Ok(Some((pepper, format!("parameter SSM {name}"))))
}

/// Why GetParameter failed, for an admin: (Indonesian with what to check, English detail). The
/// SDK's own Display of an error ends in a `Debug` dump of its types, so it is not used whole.
fn ssm_failure<R: fmt::Debug + 'static>(
    error: &aws_sdk_ssm::error::SdkError<
        aws_sdk_ssm::operation::get_parameter::GetParameterError,
        R,
    >,
    region: &str,
) -> (String, String) {
    use aws_sdk_ssm::error::{ProvideErrorMetadata, SdkError};
    use aws_sdk_ssm::operation::get_parameter::GetParameterError;
    match error {
        SdkError::ServiceError(service) => {
            let detail = match (service.err().code(), service.err().message()) {
                (Some(code), Some(message)) => format!("{code}: {message}"),
                (Some(code), None) => code.to_string(),
                _ => error_chain(error),
            };
            let why = match service.err() {
                GetParameterError::ParameterNotFound(_) => format!(
                    "parameter itu tidak ada di region {region}; periksa namanya dan AWS_REGION"
                ),
                _ if service.err().code() == Some("AccessDeniedException") => {
                    "akses ditolak; peran atau pengguna AWS ini butuh izin ssm:GetParameter atas \
                     parameter itu dan kms:Decrypt atas kuncinya"
                        .to_string()
                }
                _ => "SSM menolak permintaan; lihat keterangan dalam bahasa Inggris".to_string(),
            };
            (why, detail)
        }
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_) | SdkError::ResponseError(_) => (
            format!(
                "layanan SSM di region {region} tidak terjangkau; periksa jaringan, AWS_REGION \
                 dan (bila diatur) AWS_ENDPOINT_URL_SSM"
            ),
            error_chain(error),
        ),
        _ => (
            "permintaan ke SSM gagal; lihat keterangan dalam bahasa Inggris".to_string(),
            error_chain(error),
        ),
    }
}

/// An error and its causes on one line, `: `-separated, each said once.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}

/// The pepper for `store`, checked against the store's check value: the configured one
/// ([`configured_pepper`]); else, for SQLite, the file `<db>.pepper`, which is created (mode
/// 0600, with a new random pepper) only for a store with neither a check value nor vouchers.
/// With `record`, a store without a check value gets this pepper's; without (a Lambda, whose
/// role may only read), it is left for the first admin command to record.
pub async fn load_pepper(
    spec: &StoreSpec,
    store: &dyn VoucherStore,
    record: bool,
) -> Result<(Pepper, PepperCheck), PepperError> {
    let (pepper, source) = match configured_pepper().await? {
        Some(configured) => configured,
        None => match spec {
            StoreSpec::Sqlite(path) => {
                let path = pepper_path(path);
                if !path.exists()
                    && (store.pepper_check().await?.is_some() || store.voucher_count().await? > 0)
                {
                    return Err(PepperError::LostFile {
                        path,
                        store: spec.to_string(),
                    });
                }
                let pepper = pepper_file(&path)?;
                (pepper, format!("berkas {}", path.display()))
            }
            StoreSpec::Dynamodb(_) => {
                return Err(PepperError::Missing {
                    store: spec.to_string(),
                })
            }
        },
    };
    let check =
        check_pepper(&pepper, store, record)
            .await?
            .ok_or_else(|| PepperError::Mismatch {
                origin: source,
                store: spec.to_string(),
            })?;
    Ok((pepper, check))
}

/// Compares `pepper` with the store's check value (recording it first if there is none and
/// `record` is set); `None` on a mismatch. Two processes recording at once agree on one value:
/// the store records only if none is there and answers the one that is.
pub async fn check_pepper(
    pepper: &Pepper,
    store: &dyn VoucherStore,
    record: bool,
) -> LedgerResult<Option<PepperCheck>> {
    let ours = pepper_check_value(pepper);
    let (recorded, outcome) = match store.pepper_check().await? {
        Some(recorded) => (recorded, PepperCheck::Verified),
        None if record => (
            store.record_pepper_check(&ours).await?,
            PepperCheck::Recorded,
        ),
        None => return Ok(Some(PepperCheck::Unrecorded)),
    };
    Ok((recorded == ours).then_some(outcome))
}

/// `vouchers.db` → `vouchers.db.pepper`.
pub fn pepper_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".pepper");
    PathBuf::from(name)
}

/// Reads the pepper file, or creates it (0600, never overwriting) with a new pepper.
fn pepper_file(path: &Path) -> Result<Pepper, PepperError> {
    let failed = |error: std::io::Error| PepperError::Unreadable {
        origin: format!("pepper file {}", path.display()),
        message: error.to_string(),
    };
    let invalid = |error: crate::code::PepperError| PepperError::Unreadable {
        origin: format!("pepper file {}", path.display()),
        message: error.to_string(),
    };
    match std::fs::read_to_string(path) {
        Ok(text) => return Pepper::from_hex(&text).map_err(invalid),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(failed(error)),
    }
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    let pepper = Pepper::generate().map_err(|error| PepperError::Unreadable {
        origin: "the random number generator".into(),
        message: error.to_string(),
    })?;
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
            Pepper::from_hex(&text).map_err(invalid)
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
