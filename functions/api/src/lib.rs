//! The voucher HTTP API.
