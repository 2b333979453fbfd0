//! Lambda: history (not yet written).
fn main() {}
