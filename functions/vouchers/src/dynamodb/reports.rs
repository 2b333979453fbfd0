//! Reports over many records: redemptions and refunds in a period (settlement, by WIB day on
//! GSI1), ledger entries in a period, every voucher's books (audit, one scan) and every
//! voucher's ledger entries (transparency, one scan).

use super::items::*;
use super::keys::*;
use super::*;

pub(super) async fn redemptions_between(
    store: &DynamoStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<Redemption>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let first_day = wib_date(from);
    let last_day = wib_date(to - chrono::Duration::nanoseconds(1));
    // GSI1SK is `<created_at>#<id>`: `<to>#…` sorts after `<to>`, so BETWEEN keeps `to`
    // exclusive while `<from>#…` stays inside.
    let lower = s(timestamp(from));
    let upper = s(timestamp(to));
    let mut redemptions = Vec::new();
    for day in first_day.iter_days().take_while(|day| *day <= last_day) {
        let items = store
            .query_all(
                true,
                "GSI1PK = :day AND GSI1SK BETWEEN :from AND :to",
                &[],
                &[
                    (":day", s(day_partition(day))),
                    (":from", lower.clone()),
                    (":to", upper.clone()),
                ],
            )
            .await?;
        for item in &items {
            redemptions.push(StoredRedemption::from_item(item)?.redemption);
        }
    }
    Ok(redemptions)
}

/// Redemptions refunded in `[from, to)`: the refund copies on GSI1 under `RDAY#<WIB day>`,
/// one query per day of the period, as for the sales.
pub(super) async fn refunds_between(
    store: &DynamoStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<Redemption>> {
    if from >= to {
        return Ok(Vec::new());
    }
    let first_day = wib_date(from);
    let last_day = wib_date(to - chrono::Duration::nanoseconds(1));
    let lower = s(timestamp(from));
    let upper = s(timestamp(to));
    let mut redemptions = Vec::new();
    for day in first_day.iter_days().take_while(|day| *day <= last_day) {
        let items = store
            .query_all(
                true,
                "GSI1PK = :day AND GSI1SK BETWEEN :from AND :to",
                &[],
                &[
                    (":day", s(refund_day_partition(day))),
                    (":from", lower.clone()),
                    (":to", upper.clone()),
                ],
            )
            .await?;
        for item in &items {
            redemptions.push(StoredRedemption::from_item(item)?.redemption);
        }
    }
    Ok(redemptions)
}

/// Every ledger entry made in `[from, to)` with its voucher: one scan of the entries and
/// vouchers (entries have no time index; the daily close runs the audit's scan anyway).
pub(super) async fn entries_between(
    store: &DynamoStore,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> LedgerResult<Vec<VoucherEntry>> {
    let items = store.scan_records(&["voucher", "entry"]).await?;
    let mut vouchers: HashMap<String, Voucher> = HashMap::new();
    let mut entries: Vec<(String, String, LedgerEntry)> = Vec::new();
    for item in &items {
        if text(item, "record")? == "voucher" {
            let voucher = StoredVoucher::from_item(item)?.voucher;
            vouchers.insert(voucher_partition(&voucher.code_hash), voucher);
            continue;
        }
        let entry = entry_from(item)?;
        if entry.at >= from && entry.at < to {
            entries.push((text(item, PARTITION_KEY)?, text(item, SORT_KEY)?, entry));
        }
    }
    // Oldest first; on equal times, in the voucher's own order (the sort key is its `seq`).
    entries.sort_by(|a, b| (a.2.at, &a.0, &a.1).cmp(&(b.2.at, &b.0, &b.1)));
    entries
        .into_iter()
        .map(|(partition, _, entry)| {
            let voucher = vouchers.get(&partition).ok_or_else(|| {
                LedgerError::Store(format!("entry of a missing voucher {partition}"))
            })?;
            Ok(VoucherEntry {
                hint: voucher.hint.clone(),
                batch: voucher.batch.clone(),
                unit: voucher.unit.clone(),
                entry,
            })
        })
        .collect()
}

pub(super) async fn books(store: &DynamoStore) -> LedgerResult<Vec<VoucherBooks>> {
    let items = store.scan_records(&["voucher", "redemption"]).await?;
    let mut vouchers = Vec::new();
    // Per voucher hash: (redeemed, refunded), summed from the redemption records.
    let mut sums: HashMap<String, (Money, Money)> = HashMap::new();
    for item in &items {
        if text(item, "record")? == "voucher" {
            vouchers.push(StoredVoucher::from_item(item)?.voucher);
            continue;
        }
        let stored = StoredRedemption::from_item(item)?;
        let sum = sums
            .entry(stored.voucher.0.clone())
            .or_insert((Money::ZERO, Money::ZERO));
        sum.0 = sum
            .0
            .checked_add(stored.redemption.voucher_paid)
            .ok_or_else(|| LedgerError::Store("redeemed sum overflows".into()))?;
        if let Some(refund) = &stored.redemption.refund {
            sum.1 = sum
                .1
                .checked_add(refund.voucher_amount)
                .ok_or_else(|| LedgerError::Store("refunded sum overflows".into()))?;
        }
    }
    vouchers.sort_by(|a, b| {
        (&a.batch, a.issued_at, &a.hint, &a.code_hash).cmp(&(
            &b.batch,
            b.issued_at,
            &b.hint,
            &b.code_hash,
        ))
    });
    Ok(vouchers
        .into_iter()
        .map(|voucher| {
            let (redeemed, refunded) = sums
                .get(voucher.code_hash.as_str())
                .copied()
                .unwrap_or((Money::ZERO, Money::ZERO));
            VoucherBooks {
                hint: voucher.hint,
                batch: voucher.batch,
                face_value: voucher.face_value,
                balance: voucher.balance,
                redeemed,
                refunded,
            }
        })
        .collect())
}

pub(super) async fn batches(store: &DynamoStore) -> LedgerResult<Vec<NewBatch>> {
    let mut batches = store
        .scan_records(&["batch"])
        .await?
        .iter()
        .map(|item| {
            let count = integer(item, "count")?;
            Ok(NewBatch {
                name: text(item, "name")?,
                unit: optional_text(item, "unit")?,
                count: u32::try_from(count)
                    .map_err(|_| LedgerError::Store(format!("batch count {count}")))?,
                amount: money_of(item, "amount")?,
                expires_on: date_of(item, "expires_on")?,
            })
        })
        .collect::<LedgerResult<Vec<_>>>()?;
    batches.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(batches)
}

pub(super) async fn ledgers(store: &DynamoStore) -> LedgerResult<Vec<VoucherLedger>> {
    let items = store.scan_records(&["voucher", "entry"]).await?;
    // By partition (`V#<hash>`): the voucher's batch and its entries with their sort keys
    // (`E#<seq>`, zero-padded, so text order is ledger order). The hash is dropped at the end.
    #[derive(Default)]
    struct Found {
        batch: Option<String>,
        entries: Vec<(String, LedgerEntry)>,
    }
    let mut by_voucher: HashMap<String, Found> = HashMap::new();
    for item in &items {
        let partition = text(item, PARTITION_KEY)?;
        let slot = by_voucher.entry(partition).or_default();
        if text(item, "record")? == "voucher" {
            slot.batch = Some(text(item, "batch")?);
        } else {
            slot.entries
                .push((text(item, SORT_KEY)?, entry_from(item)?));
        }
    }
    by_voucher
        .into_values()
        .map(|Found { batch, mut entries }| {
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Ok(VoucherLedger {
                batch: batch
                    .ok_or_else(|| LedgerError::Store("ledger entries without a voucher".into()))?,
                entries: entries.into_iter().map(|(_, entry)| entry).collect(),
            })
        })
        .collect()
}
