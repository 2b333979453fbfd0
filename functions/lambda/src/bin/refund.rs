//! Lambda: refund (not yet written).
fn main() {}
