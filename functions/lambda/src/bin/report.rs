//! Lambda: report (not yet written).
fn main() {}
