//! The `bantop` binary: parses the command line, merges it with the settings files, and calls
//! into the library.

use bantop::cli::{AclCommand, Cli, CliCommand};
use bantop::commands::actions::{self, Places, WhitelistRequest};
use bantop::commands::firewall;
use bantop::fail2ban::server::socket_path;
use bantop::model::sanitize::sanitize;
use bantop::posture::PostureInputs;
use bantop::tui::UiOptions;
use clap::Parser;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

/// mimalloc: a failure's captures are a few small strings, and filters are parsed into many
/// small nodes; glibc's allocator took a tenth of `bantop regex`'s time on them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match bantop::settings::load(&bantop::settings::settings_files()) {
        Ok((settings, warnings)) => {
            for warning in warnings {
                eprintln!("bantop: warning: {warning}");
            }
            settings
        }
        Err(error) => return exit(Err(anyhow::Error::msg(error))),
    };
    let fail2ban_dir = cli
        .fail2ban_dir
        .clone()
        .or(settings.fail2ban_dir.clone())
        .unwrap_or_else(|| PathBuf::from("/etc/fail2ban"));
    let socket = socket_path(
        cli.socket.as_deref().or(settings.socket.as_deref()),
        &fail2ban_dir,
    );
    let state_dir = cli
        .state_dir
        .clone()
        .or(settings.state_dir.clone())
        .unwrap_or_else(|| PathBuf::from(bantop::engine::audit::DEFAULT_STATE_DIR));
    let places = Places {
        fail2ban_dir: &fail2ban_dir,
        socket: &socket,
        state_dir: &state_dir,
    };
    let ui = || -> anyhow::Result<UiOptions> {
        Ok(UiOptions {
            theme: bantop::tui::choose_theme(cli.theme.as_deref().or(settings.theme.as_deref()))?,
            keymap: bantop::tui::choose_keymap(
                cli.keymap.as_deref().or(settings.keymap.as_deref()),
            )?,
            refresh: Duration::from_secs(settings.refresh_seconds.unwrap_or(5)),
        })
    };
    let mut stdout = std::io::stdout().lock();
    let Some(command) = cli.command.as_ref() else {
        let result = match ui() {
            Ok(options) => bantop::tui::run_live(&fail2ban_dir, &socket, &state_dir, options)
                .await
                .map(|()| bantop::commands::OK),
            Err(error) => Err(error),
        };
        return exit(result);
    };
    let result = match command {
        CliCommand::Demo { speed, dir } => {
            let dir = dir.clone().unwrap_or_else(default_demo_dir);
            match ui() {
                Ok(options) => bantop::tui::run_demo(&dir, *speed, options)
                    .await
                    .map(|()| bantop::commands::OK),
                Err(error) => Err(error),
            }
        }
        CliCommand::Ports { json } => {
            bantop::commands::ports::run(Path::new("/proc"), *json, &mut stdout)
        }
        CliCommand::Check { asterisk_dir, json } => {
            let ports =
                bantop::ports::listening_ports(Path::new("/proc")).map_err(|e| e.to_string());
            let operator = bantop::engine::operator::ssh_client_address();
            let inputs = PostureInputs::from_server(
                fail2ban_dir.clone(),
                Some(socket.clone()),
                asterisk_dir.clone(),
                operator,
                ports,
            )
            .await;
            bantop::commands::check::run(&inputs, *json, &mut stdout)
        }
        CliCommand::Acl(AclCommand::Check {
            address,
            endpoint,
            asterisk_dir,
            json,
        }) => bantop::commands::acl::run(
            asterisk_dir,
            *address,
            endpoint.as_deref(),
            *json,
            &mut stdout,
        ),
        CliCommand::Events {
            json,
            from_start,
            journal_file,
        } => {
            let request = bantop::commands::events::EventsRequest {
                fail2ban_dir: fail2ban_dir.clone(),
                from_start: *from_start,
                journal_file: journal_file.clone(),
                json: *json,
            };
            bantop::commands::events::run(request, &mut stdout).await
        }
        CliCommand::Regex {
            log,
            filter,
            json,
            now,
            datepattern,
            jobs,
        } => {
            let request = bantop::commands::regex::RegexRequest {
                log: log.clone(),
                filter: filter.clone(),
                fail2ban_dir: fail2ban_dir.clone(),
                now: *now,
                datepattern: datepattern.clone(),
                json: *json,
                jobs: *jobs,
            };
            bantop::commands::regex::run(&request, &mut stdout)
        }
        CliCommand::Status { json } => {
            let database = bantop::fail2ban::database::database_path(&fail2ban_dir);
            bantop::commands::status::run(&socket, database.as_deref(), *json, &mut stdout).await
        }
        CliCommand::Unban {
            address,
            jail,
            own_set,
            json,
        } => {
            actions::unban(
                places,
                *address,
                jail.as_deref(),
                *own_set,
                *json,
                &mut stdout,
            )
            .await
        }
        CliCommand::Ban {
            address,
            duration,
            jail,
            force,
            reason,
            json,
        } => {
            let operators =
                bantop::engine::operator::operator_addresses(Path::new("/var/run/utmp"));
            match jail {
                Some(jail) => {
                    let single = address.prefix_len() == address.max_prefix_len();
                    if single {
                        actions::ban(
                            places,
                            address.addr(),
                            jail,
                            *force,
                            &operators,
                            *json,
                            &mut stdout,
                        )
                        .await
                    } else {
                        Err(anyhow::anyhow!(
                            "fail2ban bans single addresses, not {address}: leave --jail out to ban the network in bantop's set"
                        ))
                    }
                }
                None => {
                    let request = firewall::ManualBanRequest {
                        net: *address,
                        seconds: *duration,
                        force: *force,
                        reason: reason.as_deref(),
                        json: *json,
                    };
                    firewall::ban(places, request, &operators, &mut stdout).await
                }
            }
        }
        CliCommand::Firewall { json } => firewall::show(places, *json, &mut stdout).await,
        CliCommand::Restore => firewall::restore(places, &mut stdout),
        CliCommand::Whitelist {
            entry,
            jails,
            remove,
            force,
            reason,
            json,
        } => {
            let request = WhitelistRequest {
                entry: *entry,
                jails: jails.clone(),
                remove: *remove,
                force: *force,
                reason: reason.as_deref(),
                json: *json,
            };
            actions::whitelist(places, request, &mut stdout).await
        }
        CliCommand::Rescue {
            address,
            reason,
            json,
        } => actions::rescue(places, *address, reason.as_deref(), *json, &mut stdout).await,
    };
    exit(result)
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

/// `./demo` when it holds a scenario, else the demo of the source tree bantop was built from.
fn default_demo_dir() -> PathBuf {
    let local = PathBuf::from("demo");
    if local.join("scenario.toml").is_file() {
        local
    } else {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("demo")
    }
}
