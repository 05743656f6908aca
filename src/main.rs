//! Entry point: parse the command line, load the configuration, hand over.

use std::process::ExitCode;

use clap::Parser;
use vicidial_callbackd::cli::Cli;
use vicidial_callbackd::commands;
use vicidial_callbackd::config::Config;

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::init_logging(cli.verbose);
    let config = match Config::load(cli.config.as_deref(), cli.database_url.as_deref()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(commands::execute(cli.command, config))
}
