//! Galeri's end-to-end suites in one test binary (as mdBook keeps them): each module is one
//! feature, over fixture folders, real SQLite files and DynamoDB Local. One binary links the
//! AWS SDK once instead of once per suite.

mod api_support;

mod admin_cli;
mod api_address;
mod api_admin;
mod api_cli;
mod api_concurrency;
mod api_http;
mod api_openapi;
mod api_orders;
mod infra_template;
mod ledger_crash;
mod ledger_dynamodb;
mod ledger_sqlite;
mod report_transparency;
mod site_budget;
mod site_build;
mod site_check;
mod site_incremental;
mod site_links;
mod site_preview;
mod site_transparency;
mod staff_import;
mod staff_new;
mod staff_print;
mod staff_support;
