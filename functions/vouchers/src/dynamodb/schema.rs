//! The table: created with its index and TTL where no template made it (DynamoDB Local,
//! a first `galeri serve` on `dynamodb:`), and waited for until active.

use super::requests::{error_code, error_message, sdk_failure};
use super::*;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, IndexStatus, KeySchemaElement, KeyType,
    Projection, ProjectionType, ScalarAttributeType, TableStatus, TimeToLiveSpecification,
};
use std::time::Duration;

impl DynamoStore {
    /// Creates the table (on demand, with GSI1 and TTL on `expires_at`) and waits until it and
    /// its index are active. A table that another process is creating at the same time is
    /// waited for, not an error. In AWS the SAM template creates the table instead.
    pub async fn create_table(&self) -> LedgerResult<()> {
        let string_attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(LedgerError::store)
        };
        let key = |name: &str, key_type: KeyType| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(key_type)
                .build()
                .map_err(LedgerError::store)
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(INDEX_NAME)
            .key_schema(key(INDEX_PARTITION_KEY, KeyType::Hash)?)
            .key_schema(key(INDEX_SORT_KEY, KeyType::Range)?)
            .projection(
                Projection::builder()
                    .projection_type(ProjectionType::All)
                    .build(),
            )
            .build()
            .map_err(LedgerError::store)?;
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(string_attribute(PARTITION_KEY)?)
            .attribute_definitions(string_attribute(SORT_KEY)?)
            .attribute_definitions(string_attribute(INDEX_PARTITION_KEY)?)
            .attribute_definitions(string_attribute(INDEX_SORT_KEY)?)
            .key_schema(key(PARTITION_KEY, KeyType::Hash)?)
            .key_schema(key(SORT_KEY, KeyType::Range)?)
            .global_secondary_indexes(index)
            .send()
            .await;
        if let Err(error) = created {
            if error_code(&error) != Some("ResourceInUseException") {
                return Err(sdk_failure("create table", error));
            }
        }
        self.wait_until_active().await?;
        let ttl = TimeToLiveSpecification::builder()
            .attribute_name(EXPIRES_AT)
            .enabled(true)
            .build()
            .map_err(LedgerError::store)?;
        let enabled = self
            .client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(ttl)
            .send()
            .await;
        match enabled {
            Ok(_) => Ok(()),
            // A concurrent creator enabled it first.
            Err(error) if error_message(&error).contains("already enabled") => Ok(()),
            Err(error) => Err(sdk_failure("enable TTL", error)),
        }
    }

    /// Deletes the table (tests clean up after themselves; nothing in the product calls this).
    pub async fn delete_table(&self) -> LedgerResult<()> {
        self.client
            .delete_table()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|error| sdk_failure("delete table", error))?;
        Ok(())
    }

    pub(super) async fn wait_until_active(&self) -> LedgerResult<()> {
        // AWS takes seconds to tens of seconds; DynamoDB Local is immediate.
        for _ in 0..600 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|error| sdk_failure("describe table", error))?;
            if let Some(table) = described.table() {
                let table_active = table.table_status() == Some(&TableStatus::Active);
                let indexes_active = table
                    .global_secondary_indexes()
                    .iter()
                    .all(|index| index.index_status() == Some(&IndexStatus::Active));
                if table_active && indexes_active {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(LedgerError::Store(format!(
            "table {} did not become active within 2 minutes",
            self.table
        )))
    }
}

pub(super) async fn prepare(store: &DynamoStore) -> LedgerResult<()> {
    let described = store
        .client
        .describe_table()
        .table_name(&store.table)
        .send()
        .await;
    match described {
        Ok(_) => store.wait_until_active().await,
        Err(error) if error_code(&error) == Some("ResourceNotFoundException") => {
            store.create_table().await
        }
        Err(error) => Err(sdk_failure("describe table", error)),
    }
}
