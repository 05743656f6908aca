//! The front end: the command line ([`args`]), what each subcommand does
//! ([`commands`]) and the `check` report ([`check`]).

pub mod args;
pub mod check;
pub mod commands;

use std::process::ExitCode;

use clap::Parser;

use crate::config::ConfigSource;

/// The program: parses the command line, loads the configuration, starts
/// logging, runs the subcommand.
pub fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let source = ConfigSource {
        path: cli.config.clone(),
        database_url: cli.database_url.clone(),
    };
    let config = match source.load() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(commands::EXIT_CONFIG);
        }
    };
    crate::ops::logging::init(cli.verbose, config.log.format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(commands::execute(cli.command, source, config))
}
