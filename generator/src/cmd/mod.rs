//! One module per subcommand. Each `run` returns the process exit code.

pub mod audit;
pub mod build;
pub mod check;
pub mod load_catalog;
pub mod serve;
pub mod tokens;
pub mod vouchers;
