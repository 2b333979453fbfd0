//! A measuring stick for benchmarks: how fast this file system commits durably.

use super::rows::sql_error;
use super::schema::{begin, connect};
use crate::error::LedgerResult;
use rusqlite::Connection;
use std::path::Path;

/// The ceiling for any store on this file system: single-row transactions, one after another,
/// on a connection with the store's durability settings, in a scratch database. The benchmark
/// compares redemptions per second with its rate. The connection stays open so the WAL keeps
/// its size, as the store's does (a fresh WAL grows on every commit, which costs more).
pub struct CommitProbe {
    connection: Connection,
    next: i64,
}

impl CommitProbe {
    pub fn open(path: &Path) -> LedgerResult<CommitProbe> {
        let connection = connect(path)?;
        connection
            .execute_batch(
                "CREATE TABLE IF NOT EXISTS commit_probe (id INTEGER PRIMARY KEY, at INTEGER)",
            )
            .map_err(sql_error)?;
        Ok(CommitProbe {
            connection,
            next: 0,
        })
    }

    /// Time taken by `commits` durable commits.
    pub fn time(&mut self, commits: usize) -> LedgerResult<std::time::Duration> {
        let started = std::time::Instant::now();
        for _ in 0..commits {
            let transaction = begin(&mut self.connection)?;
            transaction
                .execute("INSERT INTO commit_probe (at) VALUES (?1)", [self.next])
                .map_err(sql_error)?;
            transaction.commit().map_err(sql_error)?;
            self.next += 1;
        }
        Ok(started.elapsed())
    }
}
