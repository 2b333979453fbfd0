//! Refunds: a supervisor reverses one redemption, once, in one `TransactWriteItems`.

use super::items::*;
use super::keys::*;
use super::retry::{Layout, NextStep, MAX_STALE_RETRIES};
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
        let mut current = Vec::with_capacity(redemption.payers.len());
        for payer in &redemption.payers {
            current.push(store.stored_voucher(payer).await?.ok_or_else(|| {
                LedgerError::Store(format!(
                    "voucher of redemption {} is missing",
                    command.redemption_id
                ))
            })?);
        }
        let vouchers = StoredVoucher::vouchers(&current);
        let (refund, balances) = rules::refund_each(command, &redemption.redemption, &vouchers)?;
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
        // A refund corrects a sale: it goes through on a void or expired voucher too. Each
        // share goes back on its own voucher. Vouchers first, as the retry layout expects.
        let mut items = Vec::with_capacity(2 + 2 * current.len());
        for (stored, balance_after) in current.iter().zip(&balances) {
            items.push(store.voucher_set(stored, *balance_after, stored.voucher.held, false)?);
        }
        let idempotency_index = items.len();
        items.push(store.idempotency_put(
            &idempotency,
            &command.request_hash,
            &refund,
            command.now,
        )?);
        items.push(TransactWriteItem::builder().update(mark_refunded).build());
        for ((stored, payment), balance_after) in current
            .iter()
            .zip(&redemption.redemption.payments)
            .zip(&balances)
        {
            let entry = LedgerEntry {
                at: command.now,
                kind: EntryKind::Refunded,
                amount: payment.amount,
                balance_after: *balance_after,
                reference: refund.id.clone(),
            };
            items.push(store.put(
                entry_item(&stored.voucher.code_hash, stored.seq + 1, &entry),
                None,
            )?);
        }
        // Last, so the positions `retry` reads cancellation reasons by stay as they are: the
        // refund's copy of the sale, filed under the refund's WIB day (settlement on events).
        let refunded = Redemption {
            refund: Some(refund.clone()),
            ..redemption.redemption.clone()
        };
        items.push(store.put(refund_item(&refunded, &redemption.payers)?, None)?);
        let layout = Layout {
            idempotency: Some(idempotency_index),
            record: Some(idempotency_index + 1),
            stale: (0..idempotency_index).collect(),
        };
        match store.transact(items).await {
            Ok(()) => return Ok(refund),
            // Refunded meanwhile (under another key): the top of the loop reads the
            // redemption again and answers `AlreadyRefunded`.
            Err(failure) => {
                match failure.next_step_with(
                    &layout,
                    &mut stale_retries,
                    &mut contention_retries,
                )? {
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
