//! The `galeri` binary: parses the command line and runs one subcommand.

use clap::Parser;
use galeri::cli::{Cli, Command, NewCommand, ReportCommand, TokensCommand, VouchersCommand};
use galeri::cmd;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Build(args) => cmd::build::run(args),
        Command::Check(args) => cmd::check::run(args),
        Command::Serve(args) => cmd::serve::run(args),
        Command::Vouchers(VouchersCommand::Issue(args)) => cmd::vouchers::issue(args),
        Command::Vouchers(VouchersCommand::Print(args)) => cmd::print::run(args),
        Command::Audit(args) => cmd::audit::run(args),
        Command::Vouchers(VouchersCommand::Void(args)) => cmd::void::run(args),
        Command::Vouchers(VouchersCommand::Expire(args)) => cmd::expire::run(args),
        Command::Report(ReportCommand::Settlement(args)) => cmd::report::settlement(args),
        Command::Report(ReportCommand::Close(args)) => cmd::report::close(args),
        Command::Tokens(TokensCommand::Create(args)) => cmd::tokens::create(args),
        Command::Tokens(TokensCommand::List(args)) => cmd::tokens::list(args),
        Command::Tokens(TokensCommand::Revoke(args)) => cmd::tokens::revoke(args),
        Command::LoadCatalog(args) => cmd::load_catalog::run(args),
        Command::New(NewCommand::Producer(args)) => cmd::new::producer(args),
        Command::New(NewCommand::Product(args)) => cmd::new::product(args),
        Command::Import(args) => cmd::import::run(args),
        Command::Export(args) => cmd::export::run(args),
        Command::Report(ReportCommand::Transparency(args)) => cmd::transparency::run(args),
        Command::Labels(args) => cmd::labels::run(args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            // The whole cause chain, so "could not read X: permission denied" reaches the user.
            eprintln!("galeri: {error:#}");
            ExitCode::FAILURE
        }
    }
}
