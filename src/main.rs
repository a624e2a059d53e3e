//! The `bantop` binary: parses the command line and calls into the library.

use bantop::cli::{AclCommand, Cli, CliCommand};
use bantop::posture::PostureInputs;
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut stdout = std::io::stdout().lock();
    let result = match cli.command {
        CliCommand::Demo { speed, dir } => {
            let dir = dir.unwrap_or_else(default_demo_dir);
            bantop::tui::run_demo(&dir, speed)
                .await
                .map(|()| bantop::commands::OK)
        }
        CliCommand::Ports { json } => {
            bantop::commands::ports::run(Path::new("/proc"), json, &mut stdout)
        }
        CliCommand::Check {
            fail2ban_dir,
            socket,
            asterisk_dir,
            json,
        } => {
            let ports =
                bantop::ports::listening_ports(Path::new("/proc")).map_err(|e| e.to_string());
            let operator = bantop::tui::ssh_client_address();
            let inputs =
                PostureInputs::from_server(fail2ban_dir, socket, asterisk_dir, operator, ports);
            bantop::commands::check::run(&inputs, json, &mut stdout)
        }
        CliCommand::Acl(AclCommand::Check {
            address,
            endpoint,
            asterisk_dir,
            json,
        }) => bantop::commands::acl::run(
            &asterisk_dir,
            address,
            endpoint.as_deref(),
            json,
            &mut stdout,
        ),
    };
    match result {
        Ok(status) => ExitCode::from(status),
        Err(error) => {
            // One line with its causes, no backtrace: this is read by an operator.
            eprintln!("bantop: {error:#}");
            ExitCode::from(2)
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
