//! Reports over many records: redemptions in a period (settlement, by WIB day on GSI1),
//! every voucher's books (audit, one scan) and every voucher's ledger entries (transparency,
//! one scan).

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
