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
    /// Reports for the program's administrators: settlement per producer, daily close, and
    /// the public transparency figures.
    #[command(subcommand)]
    Report(ReportCommand),
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
    /// Shelf labels as an A4 PDF (21 a page, cut marks): name, producer, price, the SKU as a
    /// Code 128 barcode for the Kasir scanner, and a QR code of the product page.
    Labels(LabelsArgs),
    /// Print every content key with its type, rule and help (`--json` for tools).
    Schema(SchemaArgs),
}

#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print JSON (for tools and tests) instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct TransparencyArgs {
    /// The JSON file to write (replaced atomically); the build publishes it.
    #[arg(long, default_value = "content/data/transparency.json")]
    pub out: PathBuf,
    /// Content folder: each producer's kecamatan comes from its page.
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
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
    /// Void lost or leaked vouchers (codes from a file or standard input, or a whole batch);
    /// their remaining balance returns to the program.
    Void(VoidArgs),
    /// Mark the vouchers whose last day is before a date as expired and report the unspent
    /// balance returned to the program, per batch and unit.
    Expire(ExpireArgs),
    /// Voucher cards of a codes file as an A4 PDF (10 cards a page, cut marks, a QR code of
    /// each code); a file with a mistyped or altered code prints nothing.
    Print(PrintArgs),
}

#[derive(Debug, Args)]
pub struct VoidArgs {
    /// File of codes (the CSV `vouchers issue` wrote, or one code a line); `-` for standard
    /// input, which is also read when neither --codes nor --batch is given. Codes are never
    /// taken on the command line, so they stay out of shell history.
    #[arg(long, value_name = "FILE", conflicts_with = "batch")]
    pub codes: Option<PathBuf>,
    /// Void every voucher of this batch instead.
    #[arg(long)]
    pub batch: Option<String>,
    /// Why (kept on each voucher's ledger entry), e.g. "kartu hilang".
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct ExpireArgs {
    /// Vouchers whose last day (WIB) is before this date (YYYY-MM-DD, today at the latest).
    #[arg(long)]
    pub before: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Settlement per producer on events: sales on their WIB date, refunds as negative lines
    /// on theirs, so a closed period never changes.
    Settlement(SettlementArgs),
    /// The daily close: sales, refunds and voids of a day per cashier, voucher and cash, with
    /// the audit; exits non-zero on any discrepancy.
    Close(CloseArgs),
    /// Export the program's public figures (aggregates only: no code, name or voucher) for
    /// the `/transparansi/` page.
    Transparency(TransparencyArgs),
}

/// Format of the settlement report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ReportFormat {
    /// A spreadsheet, one row per producer and a total row.
    #[default]
    Csv,
    /// A printable page with a chart.
    Html,
}

#[derive(Debug, Args)]
pub struct SettlementArgs {
    /// First WIB date of the period (YYYY-MM-DD).
    #[arg(long)]
    pub from: String,
    /// Last WIB date of the period, included (YYYY-MM-DD).
    #[arg(long)]
    pub to: String,
    #[arg(long, value_enum, default_value_t)]
    pub format: ReportFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The WIB date to close (YYYY-MM-DD).
    #[arg(long)]
    pub date: String,
    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Args)]
pub struct PrintArgs {
    /// The codes file that `galeri vouchers issue --out` wrote.
    #[arg(long)]
    pub codes: PathBuf,
    /// The PDF to write (readable by you alone: it holds the codes).
    #[arg(long)]
    pub out: PathBuf,
    /// Content folder (the site's title and address printed on the cards).
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
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

#[derive(Debug, Args)]
pub struct LabelsArgs {
    /// Only products of this category (slug; repeatable).
    #[arg(long = "category", value_name = "SLUG")]
    pub categories: Vec<String>,
    /// Only products of this producer (slug; repeatable).
    #[arg(long = "producer", value_name = "SLUG")]
    pub producers: Vec<String>,
    /// The PDF to write.
    #[arg(long)]
    pub out: PathBuf,
    /// Content folder.
    #[arg(long, default_value = "content")]
    pub content: PathBuf,
    /// Overrides `base_url` of site.yaml (the address in the QR codes).
    #[arg(long)]
    pub base_url: Option<String>,
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
