//! Vouchers: issuing a batch, reading and listing them, voiding and expiring one, and their
//! ledger entries.

use super::items::*;
use super::keys::*;
use super::requests::sdk_failure;
use super::retry::{
    backoff, is_contention, reason_is, TransactFailure, CONDITIONAL_CHECK_FAILED,
    MAX_CONTENTION_RETRIES, MAX_STALE_RETRIES,
};
use super::*;
use crate::model::EntryKind;
use crate::rules;
use aws_sdk_dynamodb::types::{DeleteRequest, TransactWriteItem, Update, WriteRequest};

/// TransactWriteItems takes at most 100 items.
pub(super) const TRANSACTION_LIMIT: usize = 100;

impl DynamoStore {
    /// Moves the voucher's balance, on condition that nothing touched it since it was read
    /// (`seq` changes with every write to the voucher).
    pub(super) fn voucher_update(
        &self,
        current: &StoredVoucher,
        balance_after: Money,
        require_active: bool,
    ) -> LedgerResult<TransactWriteItem> {
        let mut condition = "#seq = :seq".to_string();
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(
                PARTITION_KEY,
                s(voucher_partition(&current.voucher.code_hash)),
            )
            .key(SORT_KEY, s(META))
            .update_expression("SET #balance = :balance, #seq = :next")
            .expression_attribute_names("#balance", "balance")
            .expression_attribute_names("#seq", "seq")
            .expression_attribute_values(":balance", money(balance_after))
            .expression_attribute_values(":seq", n(current.seq))
            .expression_attribute_values(":next", n(current.seq + 1));
        if require_active {
            condition.push_str(" AND #status = :active");
            update = update
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", s(status_text(VoucherStatus::Active)));
        }
        let update = update
            .condition_expression(condition)
            .build()
            .map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

impl DynamoStore {
    pub(super) async fn stored_voucher(
        &self,
        code: &CodeHash,
    ) -> LedgerResult<Option<StoredVoucher>> {
        match self.get(&voucher_partition(code)).await? {
            Some(item) => Ok(Some(StoredVoucher::from_item(&item)?)),
            None => Ok(None),
        }
    }
}

impl DynamoStore {
    /// Removes what a failed batch insert had already written (best effort: the error that
    /// made us roll back is the one reported).
    pub(super) async fn roll_back_batch(&self, written: Vec<Item>) {
        let requests: LedgerResult<Vec<WriteRequest>> = written
            .into_iter()
            .map(|key| {
                DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map(|delete| WriteRequest::builder().delete_request(delete).build())
                    .map_err(LedgerError::store)
            })
            .collect();
        let outcome = match requests {
            Ok(requests) => self.batch_write(requests).await,
            Err(error) => Err(error),
        };
        if let Err(error) = outcome {
            tracing::error!(%error, "rolling back a failed batch insert failed; audit the batch");
        }
    }
}

pub(super) async fn insert_batch(
    store: &DynamoStore,
    batch: &NewBatch,
    vouchers: &[(CodeHash, String)],
    now: DateTime<Utc>,
) -> LedgerResult<()> {
    let issued_at = timestamp(now);
    let mut marker = keyed(&batch_partition(&batch.name), META, "batch");
    marker.insert("name".into(), s(&batch.name));
    if let Some(unit) = &batch.unit {
        marker.insert("unit".into(), s(unit));
    }
    marker.insert("count".into(), n(i64::from(batch.count)));
    marker.insert("amount".into(), money(batch.amount));
    marker.insert("expires_on".into(), s(batch.expires_on.to_string()));
    marker.insert("created_at".into(), s(&issued_at));

    // The marker goes first, in the first transaction, so a duplicate name fails before
    // anything else is written.
    let mut writes = vec![(marker, true)];
    for (code_hash, hint) in vouchers {
        let voucher = Voucher {
            code_hash: code_hash.clone(),
            hint: hint.clone(),
            face_value: batch.amount,
            balance: batch.amount,
            status: VoucherStatus::Active,
            expires_on: batch.expires_on,
            batch: batch.name.clone(),
            unit: batch.unit.clone(),
            issued_at: now,
        };
        writes.push((voucher_item(&voucher, 1), true));
        let entry = LedgerEntry {
            at: now,
            kind: EntryKind::Issued,
            amount: batch.amount,
            balance_after: batch.amount,
            reference: batch.name.clone(),
        };
        writes.push((entry_item(code_hash, 1, &entry), false));
    }

    let mut written: Vec<Item> = Vec::new();
    for (position, chunk) in writes.chunks(TRANSACTION_LIMIT).enumerate() {
        let items = chunk
            .iter()
            .map(|(item, new_only)| {
                store.put(item.clone(), new_only.then_some("attribute_not_exists(PK)"))
            })
            .collect::<LedgerResult<Vec<_>>>()?;
        let mut attempt = 0;
        let outcome = loop {
            match store.transact(items.clone()).await {
                Ok(()) => break Ok(()),
                Err(TransactFailure::Canceled(reasons)) => {
                    let contention = reasons.iter().any(|code| is_contention(code));
                    if position == 0 && reason_is(&reasons, 0, CONDITIONAL_CHECK_FAILED) {
                        break Err(LedgerError::DuplicateBatch(batch.name.clone()));
                    }
                    if contention && attempt < MAX_CONTENTION_RETRIES {
                        attempt += 1;
                        backoff(attempt).await;
                        continue;
                    }
                    break Err(if contention {
                        LedgerError::Busy
                    } else {
                        // A code hash that already exists: 60+ random bits make this a bug
                        // or a replayed batch, never chance.
                        LedgerError::Store(format!(
                            "batch insert cancelled: {}",
                            reasons.join(", ")
                        ))
                    });
                }
                Err(TransactFailure::Busy(_)) if attempt < MAX_CONTENTION_RETRIES => {
                    attempt += 1;
                    backoff(attempt).await;
                }
                Err(TransactFailure::Busy(_)) => break Err(LedgerError::Busy),
                Err(TransactFailure::Other(error)) => break Err(error),
            }
        };
        if let Err(error) = outcome {
            store.roll_back_batch(written).await;
            return Err(error);
        }
        written.extend(chunk.iter().filter_map(|(item, _)| item_key(item)));
    }
    Ok(())
}

pub(super) async fn voucher(store: &DynamoStore, code: &CodeHash) -> LedgerResult<Option<Voucher>> {
    Ok(store
        .stored_voucher(code)
        .await?
        .map(|stored| stored.voucher))
}

pub(super) async fn voucher_count(store: &DynamoStore) -> LedgerResult<u64> {
    // Called once when `galeri serve` starts; a counted scan is cheaper than keeping a
    // counter item that every batch insert would have to update.
    let mut count: u64 = 0;
    let mut start: Option<Item> = None;
    loop {
        let output = store
            .client
            .scan()
            .table_name(&store.table)
            .consistent_read(true)
            .select(aws_sdk_dynamodb::types::Select::Count)
            .filter_expression("#record = :voucher")
            .expression_attribute_names("#record", "record")
            .expression_attribute_values(":voucher", s("voucher"))
            .set_exclusive_start_key(start.take())
            .send()
            .await
            .map_err(|error| sdk_failure("count vouchers", error))?;
        count += u64::try_from(output.count).unwrap_or(0);
        match output.last_evaluated_key {
            Some(key) if !key.is_empty() => start = Some(key),
            _ => return Ok(count),
        }
    }
}

pub(super) async fn void_with_reason(
    store: &DynamoStore,
    code: &CodeHash,
    reason: &str,
    now: DateTime<Utc>,
) -> LedgerResult<VoidOutcome> {
    for _ in 0..=MAX_STALE_RETRIES {
        let current = store
            .stored_voucher(code)
            .await?
            .ok_or(LedgerError::UnknownCode)?;
        let Some(entry) = rules::void(&current.voucher, reason, current.expired_marked, now) else {
            return Ok(VoidOutcome {
                voucher: current.voucher,
                newly_voided: false,
                returned: Money::ZERO,
            });
        };
        let update = store.marking_update(
            code,
            current.seq,
            "SET #status = :void, #seq = :next",
            &[("#status", "status")],
            vec![(":void", s(status_text(VoucherStatus::Void)))],
        )?;
        let items = vec![
            update,
            store.put(entry_item(code, current.seq + 1, &entry), None)?,
        ];
        match store.transact(items).await {
            Ok(()) => {
                return Ok(VoidOutcome {
                    voucher: Voucher {
                        status: VoucherStatus::Void,
                        ..current.voucher
                    },
                    newly_voided: true,
                    returned: entry.amount,
                })
            }
            Err(TransactFailure::Other(error)) => return Err(error),
            Err(failure) => failure.pause_before_retry(1).await,
        }
    }
    Err(LedgerError::Busy)
}

pub(super) async fn expire_voucher(
    store: &DynamoStore,
    code: &CodeHash,
    now: DateTime<Utc>,
) -> LedgerResult<Option<LedgerEntry>> {
    for _ in 0..=MAX_STALE_RETRIES {
        let current = store
            .stored_voucher(code)
            .await?
            .ok_or(LedgerError::UnknownCode)?;
        let Some(entry) = rules::expire(&current.voucher, current.expired_marked, now) else {
            return Ok(None);
        };
        let update = store.marking_update(
            code,
            current.seq,
            "SET #expired_at = :at, #seq = :next",
            &[("#expired_at", "expired_at")],
            vec![(":at", s(timestamp(now)))],
        )?;
        let items = vec![
            update,
            store.put(entry_item(code, current.seq + 1, &entry), None)?,
        ];
        match store.transact(items).await {
            Ok(()) => return Ok(Some(entry)),
            Err(TransactFailure::Other(error)) => return Err(error),
            Err(failure) => failure.pause_before_retry(1).await,
        }
    }
    Err(LedgerError::Busy)
}

impl DynamoStore {
    /// An update of the voucher's item (`expression` must also `SET #seq = :next`) on
    /// condition that nothing touched it since it was read at `seq`.
    fn marking_update(
        &self,
        code: &CodeHash,
        seq: i64,
        expression: &str,
        names: &[(&str, &str)],
        values: Vec<(&str, AttributeValue)>,
    ) -> LedgerResult<TransactWriteItem> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(voucher_partition(code)))
            .key(SORT_KEY, s(META))
            .update_expression(expression)
            .condition_expression("#seq = :seq")
            .expression_attribute_names("#seq", "seq")
            .expression_attribute_values(":seq", n(seq))
            .expression_attribute_values(":next", n(seq + 1));
        for (placeholder, name) in names {
            update = update.expression_attribute_names(*placeholder, *name);
        }
        for (placeholder, value) in values {
            update = update.expression_attribute_values(placeholder, value);
        }
        let update = update.build().map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

pub(super) async fn list_vouchers(
    store: &DynamoStore,
    batch: Option<&str>,
) -> LedgerResult<Vec<Voucher>> {
    // A scan: listing is an administrator's occasional job (void a batch, expire), not a
    // request path.
    let mut vouchers = store
        .scan_records(&["voucher"])
        .await?
        .iter()
        .map(|item| StoredVoucher::from_item(item).map(|stored| stored.voucher))
        .filter(|voucher| match (voucher, batch) {
            (Ok(voucher), Some(batch)) => voucher.batch == batch,
            _ => true,
        })
        .collect::<LedgerResult<Vec<_>>>()?;
    vouchers.sort_by(|a, b| {
        (&a.batch, a.issued_at, &a.hint, &a.code_hash).cmp(&(
            &b.batch,
            b.issued_at,
            &b.hint,
            &b.code_hash,
        ))
    });
    Ok(vouchers)
}

pub(super) async fn history(
    store: &DynamoStore,
    code: &CodeHash,
) -> LedgerResult<Vec<LedgerEntry>> {
    let items = store
        .query_all(
            false,
            "PK = :voucher AND begins_with(SK, :entries)",
            &[],
            &[
                (":voucher", s(voucher_partition(code))),
                (":entries", s("E#")),
            ],
        )
        .await?;
    items.iter().map(entry_from).collect()
}
