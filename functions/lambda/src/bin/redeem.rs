//! Lambda: redeem (not yet written).
fn main() {}
