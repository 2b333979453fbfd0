//! Refunds: a supervisor reverses one redemption, once, in one `TransactWriteItems`.

use super::items::*;
use super::keys::*;
use super::retry::{NextStep, MAX_STALE_RETRIES};
use super::*;
use crate::model::EntryKind;
use crate::rules;
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

pub(super) async fn refund(store: &DynamoStore, command: &RefundCommand) -> LedgerResult<Refund> {
    let idempotency = idempotency_partition("refund", &command.idempotency_key);
    let mut stale_retries = 0;
    let mut contention_retries = 0;
    loop {
        let (stored, redemption) = tokio::try_join!(
            store.stored_response::<Refund>(&idempotency, &command.request_hash, command.now),
            store.stored_redemption(&command.redemption_id),
        )?;
        if let Some(stored) = stored {
            return Ok(stored);
        }
        let redemption = redemption.ok_or(LedgerError::UnknownRedemption)?;
        if let Some(refund) = &redemption.redemption.refund {
            // Decided before reading the voucher, which may be gone from a restore.
            return Err(LedgerError::AlreadyRefunded {
                refund_id: refund.id.clone(),
            });
        }
        let current = store
            .stored_voucher(&redemption.voucher)
            .await?
            .ok_or_else(|| {
                LedgerError::Store(format!(
                    "voucher of redemption {} is missing",
                    command.redemption_id
                ))
            })?;
        let refund = rules::refund(command, &redemption.redemption, &current.voucher)?;
        let (paid, balance_after) = (refund.voucher_amount, refund.balance_after);
        let entry = LedgerEntry {
            at: command.now,
            kind: EntryKind::Refunded,
            amount: paid,
            balance_after,
            reference: refund.id.clone(),
        };
        let mark_refunded = Update::builder()
            .table_name(&store.table)
            .key(
                PARTITION_KEY,
                s(redemption_partition(&command.redemption_id)),
            )
            .key(SORT_KEY, s(META))
            .update_expression(
                "SET refund_id = :id, refund_supervisor = :supervisor, \
                     refund_created_at = :at, refund_voucher_amount = :voucher_amount, \
                     refund_cash_amount = :cash_amount, refund_balance_after = :balance_after",
            )
            .condition_expression("attribute_exists(PK) AND attribute_not_exists(refund_id)")
            .expression_attribute_values(":id", s(&refund.id))
            .expression_attribute_values(":supervisor", s(&refund.supervisor))
            .expression_attribute_values(":at", s(timestamp(refund.created_at)))
            .expression_attribute_values(":voucher_amount", money(refund.voucher_amount))
            .expression_attribute_values(":cash_amount", money(refund.cash_amount))
            .expression_attribute_values(":balance_after", money(refund.balance_after))
            .build()
            .map_err(LedgerError::store)?;
        let refunded = Redemption {
            refund: Some(refund.clone()),
            ..redemption.redemption.clone()
        };
        // A refund corrects a sale: it goes through on a void or expired voucher too.
        let items = vec![
            store.voucher_update(&current, balance_after, false)?,
            store.idempotency_put(&idempotency, &command.request_hash, &refund, command.now)?,
            TransactWriteItem::builder().update(mark_refunded).build(),
            store.put(
                entry_item(&redemption.voucher, current.seq + 1, &entry),
                None,
            )?,
            // Last, so the positions `retry` reads cancellation reasons by stay as they are.
            store.put(refund_item(&refunded, &redemption.voucher)?, None)?,
        ];
        match store.transact(items).await {
            Ok(()) => return Ok(refund),
            // Refunded meanwhile (under another key): the top of the loop reads the
            // redemption again and answers `AlreadyRefunded`.
            Err(failure) => {
                match failure.next_step(&mut stale_retries, &mut contention_retries)? {
                    // The top of the loop reads the idempotency record.
                    NextStep::IdempotencyTaken => {}
                    NextStep::Retry(pause) => tokio::time::sleep(pause).await,
                    NextStep::RecordTaken => {
                        // Counted like a stale read so that this loop is bounded too.
                        stale_retries += 1;
                        if stale_retries > MAX_STALE_RETRIES {
                            return Err(LedgerError::Busy);
                        }
                    }
                }
            }
        }
    }
}
