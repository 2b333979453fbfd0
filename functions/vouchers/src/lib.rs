//! Galeri's voucher domain: money in whole rupiah, voucher codes, the ledger rules, and the
//! `VoucherStore` trait with its SQLite (embedded) and DynamoDB (production) implementations.
//! Nothing here knows about HTTP.

pub mod admin;
pub mod code;
pub mod config;
pub mod dynamodb;
pub mod error;
pub mod ledger;
pub mod model;
pub mod money;
pub mod rules;
pub mod sqlite;
pub mod store;

pub use code::{CodeError, CodeHash, Pepper, TypedCode, VoucherCode};
pub use error::{LedgerError, LedgerResult};
pub use ledger::{Ledger, RedeemRequest, RefundRequest};
pub use money::{format_rupiah, Money};
pub use store::VoucherStore;
