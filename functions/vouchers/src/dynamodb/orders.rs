//! Sales on several vouchers and online orders, each one `TransactWriteItems`: a sale (vouchers,
//! redemption, entries, idempotency record), placing an order (holds raised on its vouchers,
//! the order, the buyer's contact, idempotency record), moving or closing an order (closing
//! releases the holds and starts the clock on the buyer's contact) and completing one (holds
//! captured as a redemption). Every voucher is written on condition of the `seq` it was read
//! with, so `available = balance − held` never goes below zero and a capture or release
//! happens once. At most 5 vouchers: the largest transaction (a completed order) has
//! 4 + 2 × 5 = 14 items, well under DynamoDB's 100.

use super::items::*;
use super::keys::*;
use super::retry::{stale_pause, Layout, NextStep, MAX_STALE_RETRIES};
use super::*;
use crate::model::{Buyer, EntryKind, Fulfilment, Hold, Order, OrderStatus};
use crate::rules;
use crate::store::{CompleteOrderCommand, MoveOrderCommand, PlaceOrderCommand, SaleCommand};
use aws_sdk_dynamodb::types::{TransactWriteItem, Update};

/// A closed order keeps its buyer's contact this long (then DynamoDB's TTL deletes it).
const BUYER_CONTACT_RETENTION: chrono::Duration = chrono::Duration::days(90);

impl DynamoStore {
    /// Sets a voucher's balance and held amount, on condition that nothing touched it since it
    /// was read (and, with `require_active`, that it is not void).
    pub(super) fn voucher_set(
        &self,
        current: &StoredVoucher,
        balance_after: Money,
        held_after: Money,
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
            .update_expression("SET #balance = :balance, #held = :held, #seq = :next")
            .expression_attribute_names("#balance", "balance")
            .expression_attribute_names("#held", "held")
            .expression_attribute_names("#seq", "seq")
            .expression_attribute_values(":balance", money(balance_after))
            .expression_attribute_values(":held", money(held_after))
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

    /// The vouchers of `codes`, in order; `None` if one is unknown.
    async fn stored_vouchers(
        &self,
        codes: &[CodeHash],
    ) -> LedgerResult<Option<Vec<StoredVoucher>>> {
        let mut found = Vec::with_capacity(codes.len());
        for code in codes {
            match self.stored_voucher(code).await? {
                Some(voucher) => found.push(voucher),
                None => return Ok(None),
            }
        }
        Ok(Some(found))
    }

    pub(super) async fn stored_order(&self, id: &str) -> LedgerResult<Option<Order>> {
        match self.get(&order_partition(id)).await? {
            Some(item) => Ok(Some(order_from(&item)?)),
            None => Ok(None),
        }
    }

    /// The buyer's contact of an order, unless it has been pruned.
    async fn buyer_of(&self, order: &mut Order, now: DateTime<Utc>) -> LedgerResult<()> {
        if let Some(item) = self.get(&order_buyer_partition(&order.id)).await? {
            attach_buyer(order, &item, now)?;
        }
        Ok(())
    }
}

/// What the order item keeps of each hold: with its voucher.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredHold {
    voucher: CodeHash,
    code_hint: String,
    amount: Money,
}

fn order_item(order: &Order) -> LedgerResult<Item> {
    let created_at = timestamp(order.created_at);
    let mut item = keyed(&order_partition(&order.id), META, "order");
    item.insert("id".into(), s(&order.id));
    item.insert("status".into(), s(order.status.as_str()));
    item.insert("created_at".into(), s(&created_at));
    item.insert("hold_ends_at".into(), s(timestamp(order.expires_at)));
    item.insert("fulfilment".into(), s(order.fulfilment.as_str()));
    if let Some(office) = &order.office {
        item.insert("office".into(), s(office));
    }
    let items = serde_json::to_string(&order.items).map_err(LedgerError::store)?;
    item.insert("items".into(), s(items));
    item.insert("total".into(), money(order.total));
    item.insert("held".into(), money(order.held));
    item.insert("cash_due".into(), money(order.cash_due));
    let holds: Vec<StoredHold> = order
        .holds
        .iter()
        .map(|hold| StoredHold {
            voucher: hold.voucher.clone(),
            code_hint: hold.code_hint.clone(),
            amount: hold.amount,
        })
        .collect();
    let holds = serde_json::to_string(&holds).map_err(LedgerError::store)?;
    item.insert("holds".into(), s(holds));
    item.insert("token_salt".into(), s(&order.token_salt));
    item.insert(
        INDEX_PARTITION_KEY.into(),
        s(order_status_partition(order.status)),
    );
    item.insert(
        INDEX_SORT_KEY.into(),
        s(format!("{created_at}#{}", order.id)),
    );
    Ok(item)
}

pub(super) fn order_from(item: &Item) -> LedgerResult<Order> {
    let status = text(item, "status")?;
    let fulfilment = text(item, "fulfilment")?;
    let holds: Vec<StoredHold> = serde_json::from_str(&text(item, "holds")?)
        .map_err(|error| LedgerError::Store(format!("order holds unreadable: {error}")))?;
    Ok(Order {
        id: text(item, "id")?,
        status: OrderStatus::parse(&status)
            .ok_or_else(|| LedgerError::Store(format!("unknown order status {status}")))?,
        created_at: time_of(item, "created_at")?,
        expires_at: time_of(item, "hold_ends_at")?,
        closed_at: optional_text(item, "closed_at")?
            .map(|at| parse_time(&at))
            .transpose()?,
        fulfilment: Fulfilment::parse(&fulfilment)
            .ok_or_else(|| LedgerError::Store(format!("unknown fulfilment {fulfilment}")))?,
        office: optional_text(item, "office")?,
        items: serde_json::from_str(&text(item, "items")?)
            .map_err(|error| LedgerError::Store(format!("order items unreadable: {error}")))?,
        total: money_of(item, "total")?,
        held: money_of(item, "held")?,
        cash_due: money_of(item, "cash_due")?,
        holds: holds
            .into_iter()
            .map(|hold| Hold {
                voucher: hold.voucher,
                code_hint: hold.code_hint,
                amount: hold.amount,
            })
            .collect(),
        redemption_id: optional_text(item, "redemption_id")?,
        buyer: None,
        note: None,
        token_salt: text(item, "token_salt")?,
    })
}

fn buyer_item(order: &Order) -> Option<Item> {
    let buyer = order.buyer.as_ref()?;
    let mut item = keyed(&order_buyer_partition(&order.id), META, "order-buyer");
    item.insert("name".into(), s(&buyer.name));
    item.insert("whatsapp".into(), s(&buyer.whatsapp));
    if let Some(note) = &order.note {
        item.insert("note".into(), s(note));
    }
    Some(item)
}

fn attach_buyer(order: &mut Order, item: &Item, now: DateTime<Utc>) -> LedgerResult<()> {
    // TTL deletes within days, not to the second: an item past its time is gone already.
    if let Some(AttributeValue::N(_)) = item.get(EXPIRES_AT) {
        if integer(item, EXPIRES_AT)? < now.timestamp() {
            return Ok(());
        }
    }
    order.buyer = Some(Buyer {
        name: text(item, "name")?,
        whatsapp: text(item, "whatsapp")?,
        office: order.office.clone(),
    });
    order.note = optional_text(item, "note")?;
    Ok(())
}

impl DynamoStore {
    /// Moves the order item from `from` to `to`'s status, on condition it is still in `from`'s.
    fn order_update(&self, from: &Order, to: &Order) -> LedgerResult<TransactWriteItem> {
        let mut set = vec!["#status = :status", "#gsi = :gsi"];
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(order_partition(&from.id)))
            .key(SORT_KEY, s(META))
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#gsi", INDEX_PARTITION_KEY)
            .expression_attribute_values(":status", s(to.status.as_str()))
            .expression_attribute_values(":from", s(from.status.as_str()))
            .expression_attribute_values(":gsi", s(order_status_partition(to.status)));
        if let Some(closed_at) = to.closed_at {
            set.push("closed_at = :closed_at");
            update = update.expression_attribute_values(":closed_at", s(timestamp(closed_at)));
        }
        if let Some(redemption) = &to.redemption_id {
            set.push("redemption_id = :redemption");
            update = update.expression_attribute_values(":redemption", s(redemption));
        }
        let update = update
            .update_expression(format!("SET {}", set.join(", ")))
            .condition_expression("#status = :from")
            .build()
            .map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Starts the 90 days after which TTL deletes the buyer's contact of a closed order.
    fn buyer_expiry(
        &self,
        order: &Order,
        closed_at: DateTime<Utc>,
    ) -> LedgerResult<TransactWriteItem> {
        let update = Update::builder()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(order_buyer_partition(&order.id)))
            .key(SORT_KEY, s(META))
            .update_expression("SET #expires_at = :at")
            .expression_attribute_names("#expires_at", EXPIRES_AT)
            .expression_attribute_values(
                ":at",
                n((closed_at + BUYER_CONTACT_RETENTION).timestamp()),
            )
            // An Update would create a missing item: only an existing contact gets a clock.
            .condition_expression("attribute_exists(PK)")
            .build()
            .map_err(LedgerError::store)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

/// Whether the order (read first) and its vouchers (read after) are from different moments:
/// an open order's holds are on its vouchers, so a voucher holding less means the order was
/// closed in between. Read both again.
fn torn(order: &Order, vouchers: &[StoredVoucher]) -> bool {
    order.status.is_open()
        && vouchers
            .iter()
            .zip(&order.holds)
            .any(|(stored, hold)| stored.voucher.held < hold.amount)
}

/// Counts a re-read after a torn read, and pauses as after a changed voucher.
async fn stale_read(stale_retries: &mut u32) -> LedgerResult<()> {
    *stale_retries += 1;
    if *stale_retries > MAX_STALE_RETRIES {
        return Err(LedgerError::Busy);
    }
    tokio::time::sleep(stale_pause(*stale_retries)).await;
    Ok(())
}

pub(super) async fn sell(store: &DynamoStore, command: &SaleCommand) -> LedgerResult<Redemption> {
    let idempotency = idempotency_partition("redeem", &command.idempotency_key);
    let codes: Vec<CodeHash> = command
        .vouchers
        .iter()
        .map(|(code, _)| code.clone())
        .collect();
    let mut stale_retries = 0;
    let mut contention_retries = 0;
    loop {
        let decided = store
            .stored_vouchers(&codes)
            .await?
            .ok_or(LedgerError::UnknownCode)
            .and_then(|current| {
                let vouchers = StoredVoucher::vouchers(&current);
                rules::sale(command, &vouchers)
                    .map(|(redemption, shares)| (current, redemption, shares))
            });
        let (current, redemption, shares) = match decided {
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
        let payers: Vec<CodeHash> = current
            .iter()
            .zip(&shares)
            .filter(|(_, share)| !share.is_zero())
            .map(|(stored, _)| stored.voucher.code_hash.clone())
            .collect();
        let mut items = vec![
            store.idempotency_put(
                &idempotency,
                &command.request_hash,
                &redemption,
                command.now,
            )?,
            store.put(
                sale_item(&redemption, &payers)?,
                Some("attribute_not_exists(PK)"),
            )?,
        ];
        let first_voucher = items.len();
        // Every voucher is written (even one that pays nothing), so a void or a hold placed
        // meanwhile on any of them cancels the sale: all or nothing.
        for (stored, share) in current.iter().zip(&shares) {
            let balance_after = stored
                .voucher
                .balance
                .checked_sub(*share)
                .ok_or_else(|| LedgerError::Store("balance underflow".into()))?;
            items.push(store.voucher_set(stored, balance_after, stored.voucher.held, true)?);
        }
        let layout = Layout {
            idempotency: Some(0),
            record: Some(1),
            stale: (first_voucher..items.len()).collect(),
        };
        for (stored, share) in current.iter().zip(&shares) {
            if share.is_zero() {
                continue;
            }
            let entry = LedgerEntry {
                at: command.now,
                kind: EntryKind::Redeemed,
                amount: *share,
                balance_after: stored
                    .voucher
                    .balance
                    .checked_sub(*share)
                    .unwrap_or_default(),
                reference: redemption.id.clone(),
            };
            items.push(store.put(
                entry_item(&stored.voucher.code_hash, stored.seq + 1, &entry),
                None,
            )?);
        }
        let failure = match store.transact(items).await {
            Ok(()) => return Ok(redemption),
            Err(failure) => failure,
        };
        match failure.next_step_with(&layout, &mut stale_retries, &mut contention_retries)? {
            NextStep::IdempotencyTaken => {
                if let Some(stored) = store
                    .stored_response(&idempotency, &command.request_hash, command.now)
                    .await?
                {
                    return Ok(stored);
                }
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

pub(super) async fn place_order(
    store: &DynamoStore,
    command: &PlaceOrderCommand,
) -> LedgerResult<Order> {
    let idempotency = idempotency_partition("order", &command.idempotency_key);
    let codes: Vec<CodeHash> = command
        .vouchers
        .iter()
        .map(|(code, _)| code.clone())
        .collect();
    let now = command.order.created_at;
    let mut stale_retries = 0;
    let mut contention_retries = 0;
    loop {
        let decided = store
            .stored_vouchers(&codes)
            .await?
            .ok_or(LedgerError::UnknownCode)
            .and_then(|current| {
                let vouchers = StoredVoucher::vouchers(&current);
                rules::place_order(command, &vouchers)
                    .map(|(order, amounts)| (current, order, amounts))
            });
        let (current, order, amounts) = match decided {
            Ok(decided) => decided,
            Err(refusal) => {
                return match store
                    .stored_response(&idempotency, &command.request_hash, now)
                    .await?
                {
                    Some(stored) => Ok(stored),
                    None => Err(refusal),
                };
            }
        };
        let mut items = vec![
            store.idempotency_put(&idempotency, &command.request_hash, &order, now)?,
            store.put(order_item(&order)?, Some("attribute_not_exists(PK)"))?,
        ];
        if let Some(buyer) = buyer_item(&order) {
            items.push(store.put(buyer, None)?);
        }
        let first_voucher = items.len();
        for (stored, amount) in current.iter().zip(&amounts) {
            let held_after = stored
                .voucher
                .held
                .checked_add(*amount)
                .ok_or_else(|| LedgerError::Store("hold overflow".into()))?;
            items.push(store.voucher_set(stored, stored.voucher.balance, held_after, true)?);
        }
        let layout = Layout {
            idempotency: Some(0),
            record: Some(1),
            stale: (first_voucher..items.len()).collect(),
        };
        let failure = match store.transact(items).await {
            Ok(()) => return Ok(order),
            Err(failure) => failure,
        };
        match failure.next_step_with(&layout, &mut stale_retries, &mut contention_retries)? {
            NextStep::IdempotencyTaken => {
                if let Some(stored) = store
                    .stored_response(&idempotency, &command.request_hash, now)
                    .await?
                {
                    return Ok(stored);
                }
            }
            NextStep::Retry(pause) => tokio::time::sleep(pause).await,
            NextStep::RecordTaken => {
                return Err(LedgerError::Store(format!(
                    "order id {} already exists",
                    order.id
                )))
            }
        }
    }
}

pub(super) async fn order(store: &DynamoStore, id: &str) -> LedgerResult<Option<Order>> {
    let Some(mut order) = store.stored_order(id).await? else {
        return Ok(None);
    };
    store.buyer_of(&mut order, Utc::now()).await?;
    Ok(Some(order))
}

/// Open orders whose hold has ended, from the queue partitions only (no buyer contact read).
pub(super) async fn due_orders(
    store: &DynamoStore,
    now: DateTime<Utc>,
) -> LedgerResult<Vec<Order>> {
    let mut due = queued(store, &OrderStatus::OPEN).await?;
    due.retain(|order| order.expires_at <= now);
    Ok(due)
}

/// The orders in these statuses as the queue index holds them, oldest first, without buyers.
async fn queued(store: &DynamoStore, statuses: &[OrderStatus]) -> LedgerResult<Vec<Order>> {
    let mut orders = Vec::new();
    for status in statuses {
        let items = store
            .query_all(
                true,
                "GSI1PK = :status",
                &[],
                &[(":status", s(order_status_partition(*status)))],
            )
            .await?;
        for item in &items {
            orders.push(order_from(item)?);
        }
    }
    orders.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(orders)
}

pub(super) async fn orders(
    store: &DynamoStore,
    statuses: &[OrderStatus],
) -> LedgerResult<Vec<Order>> {
    let mut orders = queued(store, statuses).await?;
    let keys: Vec<Item> = orders
        .iter()
        .map(|order| {
            HashMap::from([
                (
                    PARTITION_KEY.to_string(),
                    s(order_buyer_partition(&order.id)),
                ),
                (SORT_KEY.to_string(), s(META)),
            ])
        })
        .collect();
    let mut buyers: HashMap<String, Item> = HashMap::new();
    for item in store.batch_get(keys).await? {
        buyers.insert(text(&item, PARTITION_KEY)?, item);
    }
    let now = Utc::now();
    for order in &mut orders {
        if let Some(item) = buyers.get(&order_buyer_partition(&order.id)) {
            attach_buyer(order, item, now)?;
        }
    }
    orders.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
    Ok(orders)
}

pub(super) async fn move_order(
    store: &DynamoStore,
    command: &MoveOrderCommand,
) -> LedgerResult<Order> {
    let mut stale_retries = 0;
    let mut contention_retries = 0;
    loop {
        let mut order = store
            .stored_order(&command.order_id)
            .await?
            .ok_or(LedgerError::UnknownOrder)?;
        store.buyer_of(&mut order, command.now).await?;
        let Some(moved) = rules::move_order(&order, command.to, &command.only_from, command.now)?
        else {
            return Ok(order);
        };
        let mut items = vec![store.order_update(&order, &moved)?];
        if !moved.status.is_open() {
            let codes: Vec<CodeHash> = order
                .holds
                .iter()
                .map(|hold| hold.voucher.clone())
                .collect();
            let current = store.stored_vouchers(&codes).await?.ok_or_else(|| {
                LedgerError::Store(format!("a voucher of order {} is missing", order.id))
            })?;
            if torn(&order, &current) {
                stale_read(&mut stale_retries).await?;
                continue;
            }
            for (stored, hold) in current.iter().zip(&order.holds) {
                let held_after = stored
                    .voucher
                    .held
                    .checked_sub(hold.amount)
                    .ok_or_else(|| {
                        LedgerError::Store(format!(
                            "voucher …{} holds less than order {} placed",
                            hold.code_hint, order.id
                        ))
                    })?;
                items.push(store.voucher_set(stored, stored.voucher.balance, held_after, false)?);
            }
            if order.buyer.is_some() {
                items.push(store.buyer_expiry(&order, command.now)?);
            }
        }
        // The order first: its status condition failing means someone moved it meanwhile, so
        // read again (the rules then answer what that move allows).
        let layout = Layout {
            idempotency: None,
            record: None,
            stale: (0..items.len()).collect(),
        };
        match store.transact(items).await {
            Ok(()) => return Ok(moved),
            Err(failure) => {
                match failure.next_step_with(
                    &layout,
                    &mut stale_retries,
                    &mut contention_retries,
                )? {
                    NextStep::Retry(pause) => tokio::time::sleep(pause).await,
                    NextStep::IdempotencyTaken | NextStep::RecordTaken => {}
                }
            }
        }
    }
}

pub(super) async fn complete_order(
    store: &DynamoStore,
    command: &CompleteOrderCommand,
) -> LedgerResult<Redemption> {
    let idempotency = idempotency_partition("complete", &command.idempotency_key);
    let mut stale_retries = 0;
    let mut contention_retries = 0;
    loop {
        if let Some(stored) = store
            .stored_response(&idempotency, &command.request_hash, command.now)
            .await?
        {
            return Ok(stored);
        }
        let mut order = store
            .stored_order(&command.order_id)
            .await?
            .ok_or(LedgerError::UnknownOrder)?;
        store.buyer_of(&mut order, command.now).await?;
        let codes: Vec<CodeHash> = order
            .holds
            .iter()
            .map(|hold| hold.voucher.clone())
            .collect();
        let current = store.stored_vouchers(&codes).await?.ok_or_else(|| {
            LedgerError::Store(format!("a voucher of order {} is missing", order.id))
        })?;
        if torn(&order, &current) {
            stale_read(&mut stale_retries).await?;
            continue;
        }
        let vouchers = StoredVoucher::vouchers(&current);
        let (redemption, shares) = rules::capture(command, &order, &vouchers)?;
        let mut done = order.clone();
        done.status = OrderStatus::Selesai;
        done.closed_at = Some(command.now);
        done.redemption_id = Some(redemption.id.clone());
        let payers: Vec<CodeHash> = current
            .iter()
            .zip(&shares)
            .filter(|(_, share)| !share.is_zero())
            .map(|(stored, _)| stored.voucher.code_hash.clone())
            .collect();
        let mut items = vec![
            store.idempotency_put(
                &idempotency,
                &command.request_hash,
                &redemption,
                command.now,
            )?,
            store.put(
                sale_item(&redemption, &payers)?,
                Some("attribute_not_exists(PK)"),
            )?,
            store.order_update(&order, &done)?,
        ];
        for ((stored, hold), share) in current.iter().zip(&order.holds).zip(&shares) {
            let balance_after = stored
                .voucher
                .balance
                .checked_sub(*share)
                .ok_or_else(|| LedgerError::Store("balance underflow".into()))?;
            let held_after = stored
                .voucher
                .held
                .checked_sub(hold.amount)
                .ok_or_else(|| LedgerError::Store("hold underflow".into()))?;
            items.push(store.voucher_set(stored, balance_after, held_after, true)?);
        }
        let layout = Layout {
            idempotency: Some(0),
            record: Some(1),
            stale: (2..items.len()).collect(),
        };
        for (stored, share) in current.iter().zip(&shares) {
            if share.is_zero() {
                continue;
            }
            let entry = LedgerEntry {
                at: command.now,
                kind: EntryKind::Redeemed,
                amount: *share,
                balance_after: stored
                    .voucher
                    .balance
                    .checked_sub(*share)
                    .unwrap_or_default(),
                reference: redemption.id.clone(),
            };
            items.push(store.put(
                entry_item(&stored.voucher.code_hash, stored.seq + 1, &entry),
                None,
            )?);
        }
        if order.buyer.is_some() {
            items.push(store.buyer_expiry(&order, command.now)?);
        }
        let failure = match store.transact(items).await {
            Ok(()) => return Ok(redemption),
            Err(failure) => failure,
        };
        match failure.next_step_with(&layout, &mut stale_retries, &mut contention_retries)? {
            // The loop reads the stored answer first.
            NextStep::IdempotencyTaken => {}
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
