//! Lambda: balance (not yet written).
fn main() {}
