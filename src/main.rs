//! The `bantop` binary: parses the command line, resolves it with the settings files into one
//! [`Settings`], and hands both to the library's dispatcher.

use bantop::cli::Cli;
use bantop::model::sanitize::sanitize;
use bantop::settings::Settings;
use clap::Parser;
use std::process::ExitCode;

/// mimalloc: a failure's captures are a few small strings, and filters are parsed into many
/// small nodes; glibc's allocator took a tenth of `bantop regex`'s time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = match bantop::settings::load(&bantop::settings::settings_files()) {
        Ok((file, warnings)) => {
            for warning in warnings {
                eprintln!("bantop: warning: {warning}");
            }
            file
        }
        Err(error) => return exit(Err(anyhow::Error::msg(error))),
    };
    let settings = Settings::resolve(&cli, file);
    let mut stdout = std::io::stdout().lock();
    exit(bantop::run::run(cli.command.as_ref(), &settings, &mut stdout).await)
}

/// The process exit status for a command's result; errors become one line on stderr.
fn exit(result: anyhow::Result<u8>) -> ExitCode {
    match result {
        Ok(status) => ExitCode::from(status),
        // A reader that went away (`bantop status | head`) is no error.
        Err(error)
            if error.chain().any(|cause| {
                cause
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(error) => {
            // One line with its causes, no backtrace: this is read by an operator. A cause may
            // quote fail2ban's reply or a log, so each line of it is defused.
            let message = format!("{error:#}");
            let lines: Vec<String> = message.lines().map(sanitize).collect();
            eprintln!("bantop: {}", lines.join("\n"));
            ExitCode::from(2)
        }
    }
}
