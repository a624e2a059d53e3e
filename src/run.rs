//! One place turns the resolved settings and the chosen subcommand into the call that does it:
//! the TUI (live or demo) or a one-shot command, and its exit status.

use crate::cli::{AclCommand, CliCommand};
use crate::commands::actions::{self, Places, WhitelistRequest};
use crate::commands::{OK, firewall};
use crate::engine::operator::operator_addresses;
use crate::engine::report::{ReportRequest, ReportSource};
use crate::posture::PostureInputs;
use crate::settings::Settings;
use crate::tui::UiOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Runs `command` (none: the live TUI) with `settings`, writing to `out`; the exit status.
pub async fn run(
    command: Option<&CliCommand>,
    settings: &Settings,
    out: &mut dyn Write,
) -> anyhow::Result<u8> {
    let places = Places {
        fail2ban_dir: &settings.fail2ban_dir,
        socket: &settings.socket,
        state_dir: &settings.state_dir,
    };
    let Some(command) = command else {
        let options = ui_options(settings)?;
        if settings.hosts_flag {
            return open_fleet(settings, options).await;
        }
        crate::tui::run_live(
            &settings.fail2ban_dir,
            &settings.socket,
            &settings.state_dir,
            options,
        )
        .await?;
        return Ok(OK);
    };
    match command {
        CliCommand::Demo { speed, dir } => {
            let dir = dir.clone().unwrap_or_else(default_demo_dir);
            crate::tui::run_demo(&dir, *speed, ui_options(settings)?).await?;
            Ok(OK)
        }
        CliCommand::Jails { json, jails } => {
            crate::commands::jails::run(&settings.fail2ban_dir, jails, *json, out)
        }
        CliCommand::Ports { json } => crate::commands::ports::run(Path::new("/proc"), *json, out),
        CliCommand::Check { asterisk_dir, json } => {
            let (ports, firewall) = crate::engine::exposure::ports_and_firewall(Path::new("/proc"));
            let ports = ports.map_err(|e| e.to_string());
            let operator = crate::engine::operator::ssh_client_address();
            let mut inputs = PostureInputs::from_server(
                settings.fail2ban_dir.clone(),
                Some(settings.socket.clone()),
                asterisk_dir.clone(),
                operator,
                ports,
                firewall,
            )
            .await;
            // The last day of the logs: what the attackers are after, what the jails miss.
            let report = ReportRequest {
                source: ReportSource::Server {
                    fail2ban_dir: settings.fail2ban_dir.clone(),
                    socket: settings.socket.clone(),
                    journal_file: None,
                },
                seconds: 86_400,
                now: Some(chrono::Utc::now().timestamp_micros() as f64 / 1e6),
                geoip: std::sync::Arc::new(crate::geoip::GeoIp::default()),
            };
            if settings.fail2ban_dir.is_dir() {
                inputs.report = Some(crate::engine::report::gather(report).await);
            }
            crate::commands::check::run(&inputs, *json, out)
        }
        CliCommand::Acl(AclCommand::Check {
            address,
            endpoint,
            asterisk_dir,
            json,
        }) => crate::commands::acl::run(asterisk_dir, *address, endpoint.as_deref(), *json, out),
        CliCommand::Events {
            json,
            from_start,
            journal_file,
            since,
            no_follow,
        } => {
            let request = crate::commands::events::EventsRequest {
                fail2ban_dir: settings.fail2ban_dir.clone(),
                from_start: *from_start,
                since: *since,
                follow: !*no_follow,
                journal_file: journal_file.clone(),
                json: *json,
                geoip: settings.geoip.clone(),
            };
            crate::commands::events::run(request, out).await
        }
        CliCommand::Inspect {
            address,
            since,
            journal_file,
            rdns,
            json,
        } => {
            let request = crate::engine::dossier::DossierRequest {
                address: *address,
                fail2ban_dir: settings.fail2ban_dir.clone(),
                socket: settings.socket.clone(),
                since: *since,
                journal_file: journal_file.clone(),
                now: chrono::Utc::now().timestamp_micros() as f64 / 1e6,
                geoip: std::sync::Arc::new(crate::commands::load_geoip(&settings.geoip).await?),
                reverse_dns: *rdns || settings.reverse_dns,
            };
            crate::commands::inspect::run(places, request, *json, out).await
        }
        CliCommand::Report {
            since,
            demo,
            dir,
            journal_file,
            json,
        } => {
            let mut geoip = settings.geoip.clone();
            let source = if *demo {
                let dir = dir.clone().unwrap_or_else(default_demo_dir);
                geoip.splice(0..0, crate::engine::DemoEngine::geoip_files(&dir));
                ReportSource::Demo(dir)
            } else {
                ReportSource::Server {
                    fail2ban_dir: settings.fail2ban_dir.clone(),
                    socket: settings.socket.clone(),
                    journal_file: journal_file.clone(),
                }
            };
            let request = ReportRequest {
                source,
                seconds: *since,
                now: (!*demo).then(|| chrono::Utc::now().timestamp_micros() as f64 / 1e6),
                geoip: std::sync::Arc::new(crate::commands::load_geoip(&geoip).await?),
            };
            crate::commands::report::run(request, *json, out).await
        }
        CliCommand::Regex {
            log,
            filter,
            json,
            now,
            datepattern,
            jobs,
            usedns,
        } => {
            let request = crate::commands::regex::RegexRequest {
                usedns: usedns.clone(),
                log: log.clone(),
                filter: filter.clone(),
                fail2ban_dir: settings.fail2ban_dir.clone(),
                now: *now,
                datepattern: datepattern.clone(),
                json: *json,
                jobs: *jobs,
            };
            crate::commands::regex::run(&request, out)
        }
        CliCommand::Status { json } => {
            let database = crate::fail2ban::database::database_path(&settings.fail2ban_dir);
            crate::commands::status::run(&settings.socket, database.as_deref(), *json, out).await
        }
        CliCommand::Unban {
            address,
            jail,
            own_set,
            json,
        } => actions::unban(places, *address, jail.as_deref(), *own_set, *json, out).await,
        CliCommand::Ban {
            address,
            duration,
            jail,
            force,
            reason,
            json,
        } => {
            let operators = operator_addresses(Path::new("/var/run/utmp"));
            match jail {
                Some(jail) => {
                    let single = address.prefix_len() == address.max_prefix_len();
                    if !single {
                        anyhow::bail!(
                            "fail2ban bans single addresses, not {address}: leave --jail out to ban the network in bantop's set"
                        );
                    }
                    actions::ban(places, address.addr(), jail, *force, &operators, *json, out).await
                }
                None => {
                    let request = firewall::ManualBanRequest {
                        net: *address,
                        seconds: *duration,
                        force: *force,
                        reason: reason.as_deref(),
                        json: *json,
                    };
                    firewall::ban(places, request, &operators, out).await
                }
            }
        }
        CliCommand::Firewall { json } => firewall::show(places, *json, out).await,
        CliCommand::Restore => firewall::restore(places, out),
        CliCommand::Restrict {
            port,
            allow,
            keep,
            rollback_after,
        } => {
            let request = crate::commands::restrict::RestrictRequest {
                port,
                allow,
                keep: *keep,
                rollback_after: *rollback_after,
            };
            crate::commands::restrict::restrict(places.state_dir, &request, out)
        }
        CliCommand::Unrestrict { port } => {
            crate::commands::restrict::unrestrict(places.state_dir, port, out)
        }
        CliCommand::RestrictWatchdog { at } => {
            crate::engine::restrictions::watch_until(places.state_dir, *at)?;
            Ok(OK)
        }
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
            actions::whitelist(places, request, out).await
        }
        CliCommand::Rescue {
            address,
            reason,
            json,
        } => actions::rescue(places, *address, reason.as_deref(), *json, out).await,
        CliCommand::Fleet { command: None } => open_fleet(settings, ui_options(settings)?).await,
        CliCommand::Fleet {
            command: Some(command),
        } => {
            let hosts = settings.hosts.as_deref();
            crate::commands::fleet::run(command, hosts, &settings.state_dir, out).await
        }
        CliCommand::Completions { shell } => {
            out.write_all(&crate::docs::completions::script(*shell))?;
            Ok(OK)
        }
    }
}

/// The TUI on every host of the settings' hosts file.
async fn open_fleet(settings: &Settings, options: UiOptions) -> anyhow::Result<u8> {
    let hosts = crate::commands::fleet::fleet_hosts(settings.hosts.as_deref(), &[])?;
    crate::tui::run_fleet(hosts, &settings.state_dir, options).await?;
    Ok(OK)
}

/// The theme and keys the settings name (read and checked now), and the refresh interval.
fn ui_options(settings: &Settings) -> anyhow::Result<UiOptions> {
    Ok(UiOptions {
        theme: crate::tui::choose_theme(settings.theme.as_deref())?,
        keymap: crate::tui::choose_keymap(settings.keymap.as_deref())?,
        refresh: settings.refresh,
        geoip: settings.geoip.clone(),
        reverse_dns: settings.reverse_dns,
        restrict_rollback: settings.restrict_rollback,
    })
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
