//! The Galeri catalog generator: `content/` (Markdown + YAML) and a theme become a static
//! catalog site. Also the staff/admin command line over the voucher ledger.

pub mod cli;
pub mod cmd;
pub mod content;
pub mod markdown;
pub mod output;
pub mod pdf;
pub mod preview;
pub mod render;
pub mod site;
pub mod transparency;
