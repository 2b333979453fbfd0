//! `/transparansi/`: the program's figures from `content/data/transparency.json`, as tables and
//! inline SVG charts that need no JavaScript. The charts' geometry is computed here, in whole
//! SVG units; the template draws it and writes every figure as text in a table beside it.

use super::{Page, Renderer};
use crate::content::{kecamatan, Library};
use crate::render::filters::format_date;
use crate::render::strings::Strings;
use crate::render::urls;
use crate::transparency::{Cell, Month, Names, Transparency};
use galeri_vouchers::store::wib_date;
use serde::Serialize;

/// Width of every chart's view box; the page scales it to the column.
const WIDTH: i64 = 360;
/// Months drawn in the monthly chart (the table lists them all).
const CHART_MONTHS: usize = 12;
/// Height of the monthly chart's bars at their largest.
const COLUMN_HEIGHT: i64 = 150;
/// Space above the bars and below them (for the month labels).
const COLUMN_TOP: i64 = 8;
const COLUMN_LABELS: i64 = 30;
/// One row of a bar chart: the name on one line, the bar and its figure on the next.
const ROW_HEIGHT: i64 = 36;
/// Longest bar of a bar chart, leaving room for its figure.
const BAR_MAX: i64 = 250;

/// Names of category and kecamatan slugs, and of the merged row, for the page and its CSV.
pub fn names(library: &Library, strings: &Strings) -> Names {
    Names {
        categories: library
            .categories
            .iter()
            .map(|category| (category.slug.clone(), category.name.clone()))
            .collect(),
        kecamatan: kecamatan::KECAMATAN
            .iter()
            .map(|name| (kecamatan::slug(name), (*name).to_owned()))
            .collect(),
        other: strings.transparency.other.clone(),
    }
}

/// A month's three columns (issued, spent, outstanding) in the monthly chart.
#[derive(Debug, Serialize)]
struct ColumnGroup {
    month: String,
    /// Centre of the group, for its label.
    x_label: i64,
    /// The year is written under January and under the first month drawn.
    show_year: bool,
    columns: Vec<Column>,
}

#[derive(Debug, Serialize)]
struct Column {
    x: i64,
    y: i64,
    width: i64,
    height: i64,
    /// `issued`, `spent` or `outstanding`: the CSS class that colours it.
    series: &'static str,
}

#[derive(Debug, Serialize)]
struct ColumnChart {
    width: i64,
    height: i64,
    baseline: i64,
    groups: Vec<ColumnGroup>,
}

fn column_chart(months: &[Month]) -> ColumnChart {
    let shown = &months[months.len().saturating_sub(CHART_MONTHS)..];
    let largest = shown
        .iter()
        .flat_map(|month| [month.issued, month.spent, month.outstanding])
        .max()
        .unwrap_or(0)
        .max(1);
    let count = i64::try_from(shown.len().max(1)).unwrap_or(1);
    let group_width = (WIDTH - 8) / count;
    let column_width = ((group_width - 6) / 3).max(1);
    let baseline = COLUMN_TOP + COLUMN_HEIGHT;
    let groups = shown
        .iter()
        .enumerate()
        .map(|(position, month)| {
            let left = 4 + i64::try_from(position).unwrap_or(0) * group_width + 3;
            let columns = [
                ("issued", month.issued),
                ("spent", month.spent),
                ("outstanding", month.outstanding),
            ]
            .into_iter()
            .enumerate()
            .map(|(index, (series, value))| {
                let height = scaled(value, largest, COLUMN_HEIGHT);
                Column {
                    x: left + i64::try_from(index).unwrap_or(0) * column_width,
                    y: baseline - height,
                    width: column_width,
                    height,
                    series,
                }
            })
            .collect();
            ColumnGroup {
                month: month.month.clone(),
                x_label: left + column_width * 3 / 2,
                show_year: position == 0 || month.month.ends_with("-01"),
                columns,
            }
        })
        .collect();
    ColumnChart {
        width: WIDTH,
        height: baseline + COLUMN_LABELS,
        baseline,
        groups,
    }
}

/// `value` of `largest`, on a scale of `length` units (never negative; a figure above zero
/// stays visible).
fn scaled(value: i64, largest: i64, length: i64) -> i64 {
    if value <= 0 {
        return 0;
    }
    let exact = i128::from(value) * i128::from(length) / i128::from(largest.max(1));
    i64::try_from(exact).unwrap_or(length).clamp(1, length)
}

/// One category or kecamatan: its name, figures and bar.
#[derive(Debug, Serialize)]
struct BarRow {
    name: String,
    value: i64,
    voucher: i64,
    /// Baseline of the name, top of the bar, its length, and where its figure starts.
    y_name: i64,
    y_bar: i64,
    bar: i64,
    x_figure: i64,
    y_figure: i64,
}

#[derive(Debug, Serialize)]
struct BarChart {
    width: i64,
    height: i64,
    rows: Vec<BarRow>,
}

/// The sales of the whole period by category or by kecamatan.
#[derive(Debug, Serialize)]
struct Breakdown {
    /// `kategori` or `kecamatan`.
    key: &'static str,
    chart: BarChart,
}

/// Bars of the voucher part per cell, largest first (the merged row last).
fn bar_chart(cells: &[Cell], names: &Names, kecamatan: bool) -> BarChart {
    let largest = cells
        .iter()
        .map(|cell| cell.voucher)
        .max()
        .unwrap_or(0)
        .max(1);
    let rows = cells
        .iter()
        .enumerate()
        .map(|(position, cell)| {
            let top = i64::try_from(position).unwrap_or(0) * ROW_HEIGHT;
            let bar = scaled(cell.voucher, largest, BAR_MAX);
            BarRow {
                name: names.of(cell.slug.as_deref(), kecamatan),
                value: cell.value,
                voucher: cell.voucher,
                y_name: top + 13,
                y_bar: top + 18,
                bar,
                x_figure: bar + 6,
                y_figure: top + 28,
            }
        })
        .collect();
    BarChart {
        width: WIDTH,
        height: i64::try_from(cells.len()).unwrap_or(0) * ROW_HEIGHT + 4,
        rows,
    }
}

/// The page of the content's figures.
pub fn render(renderer: &Renderer<'_>, data: &Transparency) -> Page {
    let strings = &renderer.strings.transparency;
    let names = names(renderer.library, renderer.strings);
    let mut context = renderer.context();
    let months: Vec<&Month> = data.months.iter().rev().collect();
    context.insert("months", &months);
    context.insert("totals", &data.totals());
    context.insert("monthly_chart", &column_chart(&data.months));
    // The template words each breakdown by its key.
    let breakdowns: Vec<Breakdown> = [("kategori", false), ("kecamatan", true)]
        .into_iter()
        .map(|(key, kecamatan)| Breakdown {
            key,
            chart: bar_chart(&data.period_cells(kecamatan), &names, kecamatan),
        })
        .collect();
    context.insert("breakdowns", &breakdowns);
    context.insert("generated_on", &format_date(wib_date(data.generated_at)));
    context.insert("min_producers", &data.min_producers_per_cell);
    context.insert("chart_months", &CHART_MONTHS.min(data.months.len()));
    context.insert("csv_url", urls::TRANSPARENCY_CSV);
    Page::new(
        urls::TRANSPARENCY.into(),
        "transparansi.html",
        strings.title.clone(),
        context,
    )
    .described(strings.description.clone())
}

#[cfg(test)]
// Tests may panic: a panic is a failed test.
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_small_figures_stay_visible() {
        assert_eq!(scaled(50, 100, 250), 125);
        assert_eq!(scaled(1, 1_000_000, 250), 1);
        assert_eq!(scaled(-5, 100, 250), 0);
        assert_eq!(scaled(0, 0, 250), 0);
        let cells = [
            Cell {
                slug: Some("kopi".into()),
                value: 300,
                voucher: 200,
            },
            Cell {
                slug: None,
                value: 100,
                voucher: 50,
            },
        ];
        let names = Names {
            other: "Lainnya".into(),
            ..Names::default()
        };
        let chart = bar_chart(&cells, &names, false);
        assert_eq!(chart.rows[0].bar, BAR_MAX);
        assert_eq!(chart.rows[1].bar, BAR_MAX / 4);
        assert_eq!(chart.rows[1].name, "Lainnya");
        assert_eq!(chart.rows[1].y_bar, ROW_HEIGHT + 18);
    }
}
