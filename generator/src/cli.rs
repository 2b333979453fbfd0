//! The command line: one subcommand per file under `cmd/`.

use crate::content::schema::{Schema, PRODUCER, PRODUCT};
use crate::content::table::{columns, Cells};
use clap::{Arg, ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Galeri: the catalog and vouchers of the Galeri Dekranasda Kabupaten Malang.
#[derive(Debug, Parser)]
#[command(name = "galeri", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check the content and build the static site into `public/`.
    Build(BuildArgs),
    /// Check the content and report every problem; writes nothing.
    Check(CheckArgs),
    /// Build the site and serve it with the voucher API at /api.
    Serve(ServeArgs),
    /// Issue and manage vouchers (admin).
    #[command(subcommand)]
    Vouchers(VouchersCommand),
    /// Check every voucher's books: face value = balance + redeemed − refunded.
    Audit(StoreArgs),
    /// Create, list and revoke staff tokens (admin).
    #[command(subcommand)]
    Tokens(TokensCommand),
    /// Load a build's `catalog.json` into the store as the price list.
    LoadCatalog(LoadCatalogArgs),
    /// Write a new, commented producer or product page (flags for every key; prompts in a
    /// terminal).
    #[command(subcommand)]
    New(NewCommand),
    /// Create or update product pages from a spreadsheet (CSV), all rows checked first.
    Import(ImportArgs),
    /// Write every product to a spreadsheet (CSV) that `import` reads back unchanged.
    Export(ExportArgs),
}

/// Where the content and theme are.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    /// Content folder.
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
    /// Theme folder.
    #[arg(long, default_value = "themes/default")]
    pub theme: PathBuf,
}

/// Language of messages: defined where messages are worded; `--lang id|en` parses it here.
pub use crate::content::diagnostics::Lang;

impl ValueEnum for Lang {
    fn value_variants<'a>() -> &'a [Self] {
        &[Lang::Id, Lang::En]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(match self {
            Lang::Id => "id",
            Lang::En => "en",
        }))
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Output folder; only changed files are written, after every check passed.
    #[arg(long, default_value = "public")]
    pub out: PathBuf,
    /// Overrides `base_url` of site.yaml.
    #[arg(long)]
    pub base_url: Option<String>,
    /// Language of error messages.
    #[arg(long, value_enum, default_value_t)]
    pub lang: Lang,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    /// Language of error messages.
    #[arg(long, value_enum, default_value_t)]
    pub lang: Lang,
}

/// Which voucher store: `sqlite:PATH` or `dynamodb:TABLE`.
#[derive(Debug, Args, Clone)]
pub struct StoreArgs {
    /// `sqlite:PATH` (default `sqlite:.galeri/vouchers.db`) or `dynamodb:TABLE`.
    #[arg(long, env = "GALERI_STORE")]
    pub store: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub source: SourceArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Output folder of the preview build; never `public/`, so a preview (with this server's
    /// address in its links) cannot be published by mistake.
    #[arg(long, default_value = ".galeri/preview")]
    pub out: PathBuf,
    /// Do not watch content/ and the theme: no rebuild on save, no reload script in pages (for
    /// the gallery server).
    #[arg(long)]
    pub no_watch: bool,
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
    /// Address to listen on (`0.0.0.0` for the gallery LAN; then use --tls-cert/--tls-key).
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// Demo mode: on an empty SQLite store, create demo vouchers and a demo cashier token
    /// (their secrets go to a 0600 file beside the database, never to the screen), and accept
    /// demo vouchers. Refused on a DynamoDB store.
    #[arg(long)]
    pub demo: bool,
    /// A reverse proxy (CIDR, e.g. `10.0.0.5/32` or `192.168.1.0/24`) whose forwarding header
    /// names the client; repeatable. Without it, forwarding headers are ignored.
    #[arg(long = "trusted-proxy", value_name = "CIDR")]
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// The forwarding header the trusted proxies write.
    #[arg(long, value_enum, default_value_t)]
    pub forwarded_header: ForwardedHeaderArg,
    /// PEM certificate (chain) for HTTPS; needs --tls-key.
    #[arg(long, value_name = "PEM", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS; needs --tls-cert.
    #[arg(long, value_name = "PEM", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
}

/// `--forwarded-header`: which header a trusted proxy writes (the other one is ignored, since a
/// proxy passes it through as the client wrote it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ForwardedHeaderArg {
    /// `X-Forwarded-For` (nginx, Caddy, Traefik).
    #[default]
    XForwardedFor,
    /// RFC 7239 `Forwarded`.
    Forwarded,
}

#[derive(Debug, Subcommand)]
pub enum VouchersCommand {
    /// Issue a batch; the codes are written once, to `--out`, and never shown again.
    Issue(IssueArgs),
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    #[arg(long)]
    pub count: u32,
    /// Face value in whole rupiah, e.g. 50000.
    #[arg(long)]
    pub amount: i64,
    /// Last day the vouchers can be spent (YYYY-MM-DD, WIB).
    #[arg(long)]
    pub expires: String,
    /// Batch name (default: the expiry month, e.g. 2026-12, plus the unit).
    #[arg(long)]
    pub batch: Option<String>,
    /// Work unit (OPD) the batch is for.
    #[arg(long)]
    pub unit: Option<String>,
    /// CSV file for the codes; refused if it exists.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum TokensCommand {
    /// Create a token; prints the token alone on stdout.
    Create(TokenCreateArgs),
    /// List tokens (ids, roles, names; never the tokens).
    List(StoreArgs),
    /// Revoke a token by id.
    Revoke(TokenRevokeArgs),
}

#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// cashier, supervisor or admin.
    #[arg(long)]
    pub role: String,
    #[arg(long)]
    pub name: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    pub id: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct LoadCatalogArgs {
    /// The build's catalog.json.
    #[arg(long, default_value = "public/catalog.json")]
    pub catalog: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum NewCommand {
    /// A producer page: `content/producers/<slug>.md`.
    Producer(NewProducerArgs),
    /// A product page: `content/products/<producer>/<slug>.md` (needs `--producer`).
    Product(NewProductArgs),
}

/// What every `galeri new` takes besides the fields.
#[derive(Debug, Args, Clone)]
pub struct NewOptions {
    /// File name without `.md` (default: made from `--name`).
    #[arg(long)]
    pub slug: Option<String>,
    /// Content folder.
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
    /// Ask for the keys not given as flags, even when stdin is not a terminal.
    #[arg(long, short)]
    pub interactive: bool,
    /// Language of messages.
    #[arg(long, value_enum, default_value_t)]
    pub lang: Lang,
}

#[derive(Debug, Args)]
pub struct NewProducerArgs {
    #[command(flatten)]
    pub options: NewOptions,
    #[command(flatten)]
    pub fields: ProducerFields,
}

#[derive(Debug, Args)]
// For a new page the producer is its folder, not an override of it.
#[command(mut_arg("producer", |arg| arg.help(
    "Slug produsen: nama berkasnya di producers/ tanpa .md; halaman ditulis di products/<producer>/."
)))]
pub struct NewProductArgs {
    #[command(flatten)]
    pub options: NewOptions,
    #[command(flatten)]
    pub fields: ProductFields,
}

/// One `--flag VALUE` per column of `schema` (nested keys flattened: `--pirt`), help text from
/// the schema table; values are cells as in the spreadsheet (`45000`, `true`, `a, b`).
fn field_flags(command: clap::Command, schema: &'static Schema) -> clap::Command {
    command.args(columns(schema.fields).into_iter().map(|column| {
        Arg::new(column.name)
            .long(column.name.replace('_', "-"))
            .value_name(column.name.to_uppercase())
            .help(column.field.help)
    }))
}

fn field_values(matches: &ArgMatches, schema: &'static Schema) -> Cells {
    columns(schema.fields)
        .into_iter()
        .filter_map(|column| {
            matches
                .get_one::<String>(column.name)
                .map(|value| (column.path, value.clone()))
        })
        .collect()
}

/// Flags derived from a schema table (clap's derive needs fields known at compile time).
macro_rules! schema_flags {
    ($name:ident, $schema:expr) => {
        #[derive(Debug, Clone, Default)]
        pub struct $name {
            /// Given values by field path.
            pub cells: Cells,
        }

        impl FromArgMatches for $name {
            fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
                Ok($name {
                    cells: field_values(matches, &$schema),
                })
            }

            fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
                self.cells.extend(field_values(matches, &$schema));
                Ok(())
            }
        }

        impl Args for $name {
            fn augment_args(command: clap::Command) -> clap::Command {
                field_flags(command, &$schema)
            }

            fn augment_args_for_update(command: clap::Command) -> clap::Command {
                field_flags(command, &$schema)
            }
        }
    };
}

schema_flags!(ProducerFields, PRODUCER);
schema_flags!(ProductFields, PRODUCT);

/// Column separator of a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Separator {
    /// `,`
    #[default]
    Comma,
    /// `;`, what spreadsheets in the Indonesian locale write.
    Semicolon,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The spreadsheet, saved as CSV (UTF-8, with or without BOM; `,` or `;` detected).
    pub file: PathBuf,
    /// Content folder.
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
    /// Show what would change; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Language of messages.
    #[arg(long, value_enum, default_value_t)]
    pub lang: Lang,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The CSV file to write (replaced atomically).
    pub file: PathBuf,
    /// Content folder.
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
    /// Column separator.
    #[arg(long, value_enum, default_value_t)]
    pub separator: Separator,
    /// Language of messages.
    #[arg(long, value_enum, default_value_t)]
    pub lang: Lang,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_valid() {
        Cli::command().debug_assert();
    }
}
