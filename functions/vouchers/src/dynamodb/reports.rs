//! Reports over many records: redemptions in a period (settlement, by WIB day on GSI1) and
//! every voucher's books (audit, one scan).

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
    let items = store
        .scan_records(&["voucher", "redemption", "order"])
        .await?;
    let mut vouchers = Vec::new();
    // Per voucher hash: (redeemed, refunded), summed from the redemptions' payments, and what
    // open orders hold on it.
    let mut sums: HashMap<String, (Money, Money)> = HashMap::new();
    let mut holds: HashMap<String, Money> = HashMap::new();
    let overflow = || LedgerError::Store("books sum overflows".into());
    for item in &items {
        match text(item, "record")?.as_str() {
            "voucher" => vouchers.push(StoredVoucher::from_item(item)?.voucher),
            "order" => {
                let order = super::orders::order_from(item)?;
                if order.status.is_open() {
                    for hold in &order.holds {
                        let sum = holds.entry(hold.voucher.0.clone()).or_insert(Money::ZERO);
                        *sum = sum.checked_add(hold.amount).ok_or_else(overflow)?;
                    }
                }
            }
            _ => {
                let stored = StoredRedemption::from_item(item)?;
                let refunded = stored.redemption.refund.is_some();
                for (payer, payment) in stored.payers.iter().zip(&stored.redemption.payments) {
                    let sum = sums
                        .entry(payer.0.clone())
                        .or_insert((Money::ZERO, Money::ZERO));
                    sum.0 = sum.0.checked_add(payment.amount).ok_or_else(overflow)?;
                    if refunded {
                        sum.1 = sum.1.checked_add(payment.amount).ok_or_else(overflow)?;
                    }
                }
            }
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
                open_holds: holds
                    .get(voucher.code_hash.as_str())
                    .copied()
                    .unwrap_or(Money::ZERO),
                held: voucher.held,
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
