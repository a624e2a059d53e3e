//! The `bantop` binary: parses the command line and calls into the library.

use bantop::cli::{Cli, CliCommand};
use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        CliCommand::Demo { speed, dir } => {
            let dir = dir.unwrap_or_else(default_demo_dir);
            bantop::tui::run_demo(&dir, speed).await
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line with its causes, no backtrace: this is read by an operator.
            eprintln!("bantop: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `./demo` when it holds a scenario, else the demo of the source tree bantop was built from.
fn default_demo_dir() -> PathBuf {
    let local = PathBuf::from("demo");
    if local.join("scenario.toml").is_file() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo")
    }
}
