//! The program's public figures (`content/data/transparency.json`): what `galeri report
//! transparency` exports from the voucher ledger and what the build publishes at
//! `/transparansi/`, with its CSV. Aggregates only: per WIB month the rupiah issued, spent,
//! refunded, voided, expired and still outstanding, and the sales by category and kecamatan.
//! No code, hint, hash, token, staff or product name, id or per-voucher row ever enters it.
//!
//! The format (version 1) is documented in `content/README.md#transparency`. Decisions:
//! - Months are WIB calendar months, and every figure counts on the date of its own event
//!   (a refund in December is a December figure even for a November sale), so a closed
//!   month's figures never change once published.
//! - Sales by category and kecamatan hold the net value of goods (voucher and cash) and the
//!   net voucher part, split over a sale's lines in proportion (`ledger::allocate`, as the
//!   settlement does), so a month's voucher parts sum to `spent − refunded` exactly.
//! - Small cells: a category or kecamatan with fewer than [`MIN_PRODUCERS`] producers in a
//!   month would show those producers' takings, so it is merged into one "other" row (slug
//!   `null`); when that row itself has too few producers, the next smallest cells join it.
//! - Demo vouchers (`DEMO-…` batches) and their sales are left out: they are not money.

use anyhow::Context;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use galeri_vouchers::ledger::allocate;
use galeri_vouchers::model::{is_demo_batch, EntryKind, Redemption, VoucherLedger};
use galeri_vouchers::store::wib_date;
use galeri_vouchers::{Money, VoucherStore};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The value of `format`.
pub const FORMAT: &str = "galeri-transparansi";
/// The version this program writes and reads.
pub const VERSION: u32 = 1;
/// Where the export goes inside the content folder, and where the build looks for it.
pub const CONTENT_PATH: &str = "data/transparency.json";
/// Fewest producers behind a published category or kecamatan figure of a month.
pub const MIN_PRODUCERS: usize = 3;

/// The whole export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transparency {
    /// Always [`FORMAT`].
    pub format: String,
    /// Always [`VERSION`] for this program.
    pub version: u32,
    pub generated_at: DateTime<Utc>,
    /// `IDR`: every amount is whole rupiah.
    pub currency: String,
    /// The small-cell threshold the export applied ([`MIN_PRODUCERS`]).
    pub min_producers_per_cell: usize,
    /// Oldest first, one per WIB month from the first issue to the export's month, with no
    /// gaps.
    pub months: Vec<Month>,
}

/// One WIB calendar month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Month {
    /// `YYYY-MM`.
    pub month: String,
    /// False for the month the export was made in (its figures may still grow).
    pub complete: bool,
    /// Vouchers issued in the month.
    pub vouchers_issued: u64,
    /// Face value issued.
    pub issued: i64,
    /// Paid by vouchers at the till.
    pub spent: i64,
    /// Voucher money returned to vouchers by refunds.
    pub refunded: i64,
    /// Balance of vouchers voided in the month: returned to the program.
    pub voided: i64,
    /// Balance of vouchers marked expired in the month: returned to the program.
    pub expired: i64,
    /// Balance still on live vouchers at the end of the month (at export time for the
    /// current month): issued − spent + refunded − voided − expired, summed from the start.
    pub outstanding: i64,
    /// Net value of goods sold (voucher and cash parts; refunds subtracted in their month).
    pub sales_value: i64,
    /// Producers whose net sales in the month are above zero: the gallery pays them.
    pub producers_paid: u64,
    /// Largest voucher part first; the merged small cells, if any, last.
    pub by_category: Vec<Cell>,
    pub by_kecamatan: Vec<Cell>,
}

/// Sales of one category or kecamatan in one month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    /// Category or kecamatan slug; `null` for the merged small cells (and sales of producers
    /// no longer in the content).
    pub slug: Option<String>,
    /// Net value of goods (voucher and cash), rupiah; negative when refunds outweigh sales.
    pub value: i64,
    /// Net part paid by vouchers, rupiah.
    pub voucher: i64,
}

/// Why an export cannot be read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl Transparency {
    /// Reads and checks an export.
    pub fn parse(text: &str) -> Result<Transparency, ParseError> {
        let data: Transparency = serde_json::from_str(text).map_err(|error| {
            let message = error.to_string();
            // serde_json appends " at line L column C"; the position is reported on its own.
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.clone(), |(text, _)| text.to_owned());
            ParseError {
                line: error.line(),
                column: error.column(),
                message,
            }
        })?;
        let whole = |message: String| ParseError {
            line: 1,
            column: 1,
            message,
        };
        if data.format != FORMAT {
            return Err(whole(format!(
                "`format` must be {FORMAT:?} (got {:?})",
                data.format
            )));
        }
        if data.version != VERSION {
            return Err(whole(format!(
                "`version` {} is not the one this program reads ({VERSION})",
                data.version
            )));
        }
        Ok(data)
    }

    /// Sums of the months: the program since its start.
    pub fn totals(&self) -> Totals {
        let mut totals = Totals::default();
        for month in &self.months {
            totals.vouchers_issued += month.vouchers_issued;
            totals.issued += month.issued;
            totals.spent += month.spent;
            totals.refunded += month.refunded;
            totals.voided += month.voided;
            totals.expired += month.expired;
            totals.sales_value += month.sales_value;
            totals.outstanding = month.outstanding;
        }
        totals
    }

    /// The published cells of every month added up per slug (the merged rows stay merged):
    /// the whole period, derived from the monthly figures so it reveals nothing they hide.
    pub fn period_cells(&self, kecamatan: bool) -> Vec<Cell> {
        let mut sums: BTreeMap<Option<String>, (i64, i64)> = BTreeMap::new();
        for month in &self.months {
            let cells = if kecamatan {
                &month.by_kecamatan
            } else {
                &month.by_category
            };
            for cell in cells {
                let sum = sums.entry(cell.slug.clone()).or_default();
                sum.0 += cell.value;
                sum.1 += cell.voucher;
            }
        }
        sorted_cells(
            sums.into_iter()
                .map(|(slug, (value, voucher))| Cell {
                    slug,
                    value,
                    voucher,
                })
                .collect(),
        )
    }
}

/// The program since its start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub vouchers_issued: u64,
    pub issued: i64,
    pub spent: i64,
    pub refunded: i64,
    pub voided: i64,
    pub expired: i64,
    /// At the end of the last month.
    pub outstanding: i64,
    pub sales_value: i64,
}

/// Largest voucher part first (then slug), the merged row last.
fn sorted_cells(mut cells: Vec<Cell>) -> Vec<Cell> {
    cells.sort_by(|a, b| {
        (a.slug.is_none(), std::cmp::Reverse(a.voucher), &a.slug).cmp(&(
            b.slug.is_none(),
            std::cmp::Reverse(b.voucher),
            &b.slug,
        ))
    });
    cells
}

/// `YYYY-MM` of a WIB date.
fn month_key(date: NaiveDate) -> String {
    format!("{:04}-{:02}", date.year(), date.month())
}

/// The month after `YYYY-MM`.
fn next_month(key: &str) -> Option<String> {
    let first = NaiveDate::parse_from_str(&format!("{key}-01"), "%Y-%m-%d").ok()?;
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some(month_key(next))
}

/// What one month accumulates before the small-cell rule.
#[derive(Default)]
struct MonthSums {
    vouchers_issued: u64,
    issued: i128,
    spent: i128,
    refunded: i128,
    voided: i128,
    expired: i128,
    /// Per producer: net value.
    producers: BTreeMap<String, i128>,
    categories: BTreeMap<Option<String>, CellSums>,
    kecamatan: BTreeMap<Option<String>, CellSums>,
}

#[derive(Default, Clone)]
struct CellSums {
    value: i128,
    voucher: i128,
    producers: BTreeSet<String>,
}

impl CellSums {
    fn add(&mut self, other: &CellSums) {
        self.value += other.value;
        self.voucher += other.voucher;
        self.producers.extend(other.producers.iter().cloned());
    }
}

/// Aggregates the ledger into the export. `ledgers` and `redemptions` are everything the
/// store holds (redemptions with their refunds); `kecamatan_of` maps a producer slug to its
/// kecamatan slug (from the content); `now` is the export time.
pub fn aggregate(
    ledgers: &[VoucherLedger],
    redemptions: &[Redemption],
    kecamatan_of: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> anyhow::Result<Transparency> {
    let mut months: BTreeMap<String, MonthSums> = BTreeMap::new();
    let month_of = |at: DateTime<Utc>| month_key(wib_date(at));

    for ledger in ledgers
        .iter()
        .filter(|ledger| !is_demo_batch(&ledger.batch))
    {
        // Whether the voucher is still live: money refunded onto a voided or expired voucher
        // cannot be spent, so it returns to the program at once, under the same heading.
        let mut dead: Option<EntryKind> = None;
        for entry in &ledger.entries {
            let sums = months.entry(month_of(entry.at)).or_default();
            let amount = i128::from(entry.amount.rupiah());
            match entry.kind {
                EntryKind::Issued => {
                    sums.vouchers_issued += 1;
                    sums.issued += amount;
                }
                EntryKind::Redeemed => sums.spent += amount,
                EntryKind::Refunded => {
                    sums.refunded += amount;
                    match dead {
                        Some(EntryKind::Voided) => sums.voided += amount,
                        Some(_) => sums.expired += amount,
                        None => {}
                    }
                }
                // The balance stays, frozen, on a voided or expired voucher (for the audit);
                // what it held when it died returns to the program, once: a voucher voided
                // after it was marked expired returns nothing more. (`balance_after` rather
                // than `amount`, which ledgers written before void returned the balance
                // left at zero.)
                EntryKind::Voided | EntryKind::Expired if dead.is_none() => {
                    let returned = i128::from(entry.balance_after.rupiah());
                    if entry.kind == EntryKind::Voided {
                        sums.voided += returned;
                    } else {
                        sums.expired += returned;
                    }
                    dead = Some(entry.kind);
                }
                EntryKind::Voided | EntryKind::Expired => {}
            }
        }
    }

    for redemption in redemptions.iter().filter(|redemption| !redemption.demo) {
        let totals: Vec<Money> = redemption.items.iter().map(|item| item.total).collect();
        let shares = allocate(redemption.voucher_paid, &totals)
            .with_context(|| format!("splitting sale {}", redemption.id))?;
        // The sale counts in its month; its refund, if any, as negative lines in the refund's.
        let mut events = vec![(month_of(redemption.created_at), 1)];
        if let Some(refund) = &redemption.refund {
            events.push((month_of(refund.created_at), -1));
        }
        for (month, sign) in events {
            let sums = months.entry(month).or_default();
            for (item, share) in redemption.items.iter().zip(&shares) {
                let value = sign * i128::from(item.total.rupiah());
                let voucher = sign * i128::from(share.rupiah());
                *sums.producers.entry(item.producer.clone()).or_default() += value;
                let kecamatan = kecamatan_of.get(&item.producer).cloned();
                for (cells, key) in [
                    (&mut sums.categories, Some(item.category.clone())),
                    (&mut sums.kecamatan, kecamatan),
                ] {
                    let cell = cells.entry(key).or_default();
                    cell.value += value;
                    cell.voucher += voucher;
                    cell.producers.insert(item.producer.clone());
                }
            }
        }
    }

    let current = month_key(wib_date(now));
    let mut out = Vec::new();
    let mut outstanding: i128 = 0;
    if let Some(first) = months.keys().next().cloned() {
        let last = months
            .keys()
            .next_back()
            .cloned()
            .unwrap_or_default()
            .max(current.clone());
        let mut key = first;
        loop {
            let sums = months.remove(&key).unwrap_or_default();
            outstanding += sums.issued - sums.spent + sums.refunded - sums.voided - sums.expired;
            out.push(Month {
                complete: key < current,
                vouchers_issued: sums.vouchers_issued,
                issued: rupiah(sums.issued)?,
                spent: rupiah(sums.spent)?,
                refunded: rupiah(sums.refunded)?,
                voided: rupiah(sums.voided)?,
                expired: rupiah(sums.expired)?,
                outstanding: rupiah(outstanding)?,
                sales_value: rupiah(sums.producers.values().sum())?,
                producers_paid: sums.producers.values().filter(|net| **net > 0).count() as u64,
                by_category: publish(sums.categories)?,
                by_kecamatan: publish(sums.kecamatan)?,
                month: key.clone(),
            });
            if key >= last {
                break;
            }
            key = next_month(&key).context("month out of range")?;
        }
    }
    Ok(Transparency {
        format: FORMAT.into(),
        version: VERSION,
        generated_at: now,
        currency: "IDR".into(),
        min_producers_per_cell: MIN_PRODUCERS,
        months: out,
    })
}

/// Reads the whole ledger from `store` as of `now` and aggregates it: the export itself,
/// without the file. Entries and sales after `now` (made while this reads) are left out of
/// both reads alike, so the sales breakdown always sums to what the ledger says was spent.
pub async fn export(
    store: &dyn VoucherStore,
    kecamatan_of: &HashMap<String, String>,
    now: DateTime<Utc>,
) -> anyhow::Result<Transparency> {
    let mut ledgers = store
        .ledgers()
        .await
        .context("reading the ledger entries")?;
    for ledger in &mut ledgers {
        ledger.entries.retain(|entry| entry.at <= now);
    }
    // Nothing can be sold before the first voucher was issued.
    let first = ledgers
        .iter()
        .flat_map(|ledger| ledger.entries.iter().map(|entry| entry.at))
        .min();
    let mut redemptions = match first {
        Some(first) => store
            .redemptions_between(first, now + chrono::Duration::nanoseconds(1))
            .await
            .context("reading the sales")?,
        None => Vec::new(),
    };
    for redemption in &mut redemptions {
        if redemption
            .refund
            .as_ref()
            .is_some_and(|refund| refund.created_at > now)
        {
            redemption.refund = None;
        }
    }
    aggregate(&ledgers, &redemptions, kecamatan_of, now)
}

fn rupiah(value: i128) -> anyhow::Result<i64> {
    i64::try_from(value).context("a total is out of range")
}

/// The small-cell rule over one month's cells of one kind (see the module notes).
fn publish(cells: BTreeMap<Option<String>, CellSums>) -> anyhow::Result<Vec<Cell>> {
    let mut other = cells.get(&None).cloned().unwrap_or_default();
    let mut kept: Vec<(String, CellSums)> = cells
        .into_iter()
        .filter_map(|(slug, sums)| slug.map(|slug| (slug, sums)))
        .collect();
    // Smallest first: fewest producers, then smallest voucher part.
    kept.sort_by(|a, b| {
        (a.1.producers.len(), a.1.voucher.abs(), &a.0).cmp(&(
            b.1.producers.len(),
            b.1.voucher.abs(),
            &b.0,
        ))
    });
    let mut kept: std::collections::VecDeque<(String, CellSums)> = kept.into();
    while let Some((_, sums)) = kept.front() {
        let small = sums.producers.len() < MIN_PRODUCERS;
        let other_too_small = !other.producers.is_empty() && other.producers.len() < MIN_PRODUCERS;
        if !small && !other_too_small {
            break;
        }
        if let Some((_, sums)) = kept.pop_front() {
            other.add(&sums);
        }
    }
    let mut out = kept
        .into_iter()
        .map(|(slug, sums)| {
            Ok(Cell {
                slug: Some(slug),
                value: rupiah(sums.value)?,
                voucher: rupiah(sums.voucher)?,
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if !other.producers.is_empty() {
        out.push(Cell {
            slug: None,
            value: rupiah(other.value)?,
            voucher: rupiah(other.voucher)?,
        });
    }
    Ok(sorted_cells(out))
}

/// The figures as one CSV table (UTF-8, comma, a header row): one row per figure, so every
/// number of the JSON appears exactly once. Columns: `bulan` (`YYYY-MM`), `bagian`
/// (`ringkasan`, `kategori`, `kecamatan`), `kode` (the figure for a summary row; the slug, or
/// `lainnya` for merged cells), `nama` (the category or kecamatan name), `besaran`
/// (`jumlah` or `rupiah` for summary rows; `rupiah_nilai` or `rupiah_voucher` for sales),
/// `angka`.
pub fn to_csv(data: &Transparency, names: &Names) -> anyhow::Result<String> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["bulan", "bagian", "kode", "nama", "besaran", "angka"])?;
    for month in &data.months {
        let summary: [(&str, &str, i128); 9] = [
            (
                "voucher_diterbitkan",
                "jumlah",
                i128::from(month.vouchers_issued),
            ),
            ("diterbitkan", "rupiah", i128::from(month.issued)),
            ("dibelanjakan", "rupiah", i128::from(month.spent)),
            ("dikembalikan", "rupiah", i128::from(month.refunded)),
            ("dibatalkan", "rupiah", i128::from(month.voided)),
            ("kedaluwarsa", "rupiah", i128::from(month.expired)),
            ("beredar", "rupiah", i128::from(month.outstanding)),
            ("nilai_penjualan", "rupiah", i128::from(month.sales_value)),
            (
                "produsen_dibayar",
                "jumlah",
                i128::from(month.producers_paid),
            ),
        ];
        for (code, unit, value) in summary {
            writer.write_record([
                month.month.as_str(),
                "ringkasan",
                code,
                "",
                unit,
                &value.to_string(),
            ])?;
        }
        for (part, cells, kecamatan) in [
            ("kategori", &month.by_category, false),
            ("kecamatan", &month.by_kecamatan, true),
        ] {
            for cell in cells {
                let code = cell.slug.as_deref().unwrap_or(OTHER_CODE);
                let name = names.of(cell.slug.as_deref(), kecamatan);
                for (unit, value) in [
                    ("rupiah_nilai", cell.value),
                    ("rupiah_voucher", cell.voucher),
                ] {
                    writer.write_record([
                        month.month.as_str(),
                        part,
                        code,
                        name.as_str(),
                        unit,
                        &value.to_string(),
                    ])?;
                }
            }
        }
    }
    let bytes = writer.into_inner().context("writing the CSV")?;
    String::from_utf8(bytes).context("the CSV is not UTF-8")
}

/// The CSV's `kode` of the merged small cells.
pub const OTHER_CODE: &str = "lainnya";

/// Display names of category and kecamatan slugs (from the content), and the label of the
/// merged row (from the theme).
#[derive(Debug, Clone, Default)]
pub struct Names {
    pub categories: HashMap<String, String>,
    pub kecamatan: HashMap<String, String>,
    pub other: String,
}

impl Names {
    /// The name of a slug, the slug itself when the content no longer has it.
    pub fn of(&self, slug: Option<&str>, kecamatan: bool) -> String {
        let Some(slug) = slug else {
            return self.other.clone();
        };
        let table = if kecamatan {
            &self.kecamatan
        } else {
            &self.categories
        };
        table.get(slug).cloned().unwrap_or_else(|| slug.to_owned())
    }
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn cell(producers: &[&str], voucher: i128) -> CellSums {
        CellSums {
            value: voucher * 2,
            voucher,
            producers: producers.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn small_cells_merge_until_the_merged_row_is_large_enough_too() {
        let mut cells = BTreeMap::new();
        cells.insert(Some("kopi".into()), cell(&["a", "b", "c", "d"], 900));
        cells.insert(Some("batik".into()), cell(&["e", "f", "g"], 500));
        cells.insert(Some("madu".into()), cell(&["h"], 100));
        // One small cell alone (1 producer) would be readable as `total − the rest`: the
        // smallest published cell (batik, 3 producers) joins it.
        let published = publish(cells).unwrap();
        assert_eq!(
            published,
            vec![
                Cell {
                    slug: Some("kopi".into()),
                    value: 1800,
                    voucher: 900
                },
                Cell {
                    slug: None,
                    value: 1200,
                    voucher: 600
                },
            ]
        );
        // Large enough cells stay as they are; nothing merged, no `null` row.
        let mut cells = BTreeMap::new();
        cells.insert(Some("kopi".into()), cell(&["a", "b", "c"], 900));
        assert_eq!(publish(cells).unwrap().len(), 1);
        // Everything small: one merged row.
        let mut cells = BTreeMap::new();
        cells.insert(Some("kopi".into()), cell(&["a"], 900));
        cells.insert(Some("madu".into()), cell(&["b"], 100));
        assert_eq!(
            publish(cells).unwrap(),
            vec![Cell {
                slug: None,
                value: 2000,
                voucher: 1000
            }]
        );
    }

    #[test]
    fn months_follow_each_other_across_years() {
        assert_eq!(next_month("2026-12").as_deref(), Some("2027-01"));
        assert_eq!(next_month("2026-01").as_deref(), Some("2026-02"));
    }
}
