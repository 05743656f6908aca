//! Entry point: parse the command line, load the configuration, start
//! logging, hand over.

use std::process::ExitCode;

use clap::Parser;
use vicidial_callbackd::cli::Cli;
use vicidial_callbackd::commands;
use vicidial_callbackd::config::ConfigSource;
use vicidial_callbackd::logging;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
    logging::init(cli.verbose, config.log.format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(commands::execute(cli.command, source, config))
}
