//! Redemptions: one sale paid from one voucher in one `TransactWriteItems`, and read back.

use super::items::*;
use super::keys::*;
use super::retry::NextStep;
use super::*;
use crate::model::EntryKind;
use crate::rules;

pub(super) async fn redeem(
    store: &DynamoStore,
    command: &RedeemCommand,
) -> LedgerResult<Redemption> {
    let idempotency = idempotency_partition("redeem", &command.idempotency_key);
    let mut stale_retries = 0;
    let mut contention_retries = 0;
    loop {
        // Decide with the shared rules. A refusal first looks for a stored answer under the
        // key: a retried redemption gets its first answer even after the balance dropped to
        // zero. On the way to a write, the transaction checks the key itself, which saves a
        // read on every sale.
        let decided = store
            .stored_voucher(&command.voucher)
            .await?
            .ok_or(LedgerError::UnknownCode)
            .and_then(|current| decide_redemption(command, current));
        let (current, redemption) = match decided {
            Ok(decided) => decided,
            Err(refusal) => {
                return match store
                    .stored_response(&idempotency, &command.request_hash, command.now)
                    .await?
                {
                    Some(stored) => Ok(stored),
                    None => Err(refusal),
                };
            }
        };
        let (voucher_paid, balance_after) = (redemption.voucher_paid, redemption.balance_after);
        let entry = LedgerEntry {
            at: command.now,
            kind: EntryKind::Redeemed,
            amount: voucher_paid,
            balance_after,
            reference: redemption.id.clone(),
        };
        let items = vec![
            store.voucher_update(&current, balance_after, true)?,
            store.idempotency_put(
                &idempotency,
                &command.request_hash,
                &redemption,
                command.now,
            )?,
            store.put(
                redemption_item(&redemption, &command.voucher)?,
                Some("attribute_not_exists(PK)"),
            )?,
            store.put(entry_item(&command.voucher, current.seq + 1, &entry), None)?,
        ];
        let failure = match store.transact(items).await {
            Ok(()) => return Ok(redemption),
            Err(failure) => failure,
        };
        match failure.next_step(&mut stale_retries, &mut contention_retries)? {
            NextStep::IdempotencyTaken => {
                if let Some(stored) = store
                    .stored_response(&idempotency, &command.request_hash, command.now)
                    .await?
                {
                    return Ok(stored);
                }
                // The record expired and went away meanwhile: decide afresh.
            }
            NextStep::Retry(pause) => tokio::time::sleep(pause).await,
            NextStep::RecordTaken => {
                return Err(LedgerError::Store(format!(
                    "redemption id {} already exists",
                    redemption.id
                )))
            }
        }
    }
}

pub(super) async fn redemption(store: &DynamoStore, id: &str) -> LedgerResult<Option<Redemption>> {
    Ok(store
        .stored_redemption(id)
        .await?
        .map(|stored| stored.redemption))
}

impl DynamoStore {
    pub(super) async fn stored_redemption(
        &self,
        id: &str,
    ) -> LedgerResult<Option<StoredRedemption>> {
        match self.get(&redemption_partition(id)).await? {
            Some(item) => Ok(Some(StoredRedemption::from_item(&item)?)),
            None => Ok(None),
        }
    }
}

/// The redemption the shared rules allow on this voucher as read, with the voucher it was
/// decided on (its `seq` guards the write).
pub(super) fn decide_redemption(
    command: &RedeemCommand,
    current: StoredVoucher,
) -> LedgerResult<(StoredVoucher, Redemption)> {
    let redemption = rules::redemption(command, &current.voucher)?;
    Ok((current, redemption))
}
