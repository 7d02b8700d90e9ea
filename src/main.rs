//! The `nightdesk` command: parses the command line and wires the parts together.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use nightdesk::cli;

/// Keyboard-driven on-call console: tickets, alerts and backup findings of many tenants in
/// one queue, sorted by what breaches its SLA first.
#[derive(Parser, Debug)]
#[command(name = "nightdesk", disable_version_flag = true)]
struct Args {
    /// Config file (default: $XDG_CONFIG_HOME/nightdesk/config.toml).
    #[arg(long, global = true, env = "NIGHTDESK_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// UI language: en, de or auto (from LANG).
    #[arg(long, global = true, value_name = "LANG")]
    lang: Option<String>,
    /// Theme name (night, day, high-contrast, mono or a user theme).
    #[arg(long, global = true, value_name = "NAME")]
    theme: Option<String>,
    /// Keymap preset (default, vim, emacs); the user keymap file still applies on top.
    #[arg(long, global = true, value_name = "PRESET")]
    keymap: Option<String>,
    /// Print the version and the config, data and log paths in use.
    #[arg(short = 'V', long)]
    version: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run on the built-in demo world: no config and no network needed.
    Demo {
        /// Seed of the demo world (same seed, same world).
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Let time run N times faster than real time.
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Virtual start time of the world (RFC 3339), default now.
        #[arg(long, value_name = "TIME")]
        start: Option<String>,
    },
    /// Write a commented starter config to the config path.
    Init {
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Read every configured source once and print the merged queue (exit 1 if a source failed).
    List {
        /// Print JSON (items in SLA order with their nearest clock, and source health).
        #[arg(long)]
        json: bool,
    },
    /// Export the audit log of actions taken from nightdesk.
    Audit {
        /// From this long ago (`24h`, `7d`) or this instant (RFC 3339).
        #[arg(long, default_value = "24h", value_name = "AGE|TIME")]
        since: String,
        /// Only this tenant's entries.
        #[arg(long, value_name = "ID")]
        tenant: Option<String>,
        /// csv or json.
        #[arg(long, default_value = "csv")]
        format: String,
        /// The demo's audit log instead of the real one.
        #[arg(long)]
        demo: bool,
    },
    /// Check the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Notifications.
    Notify {
        #[command(subcommand)]
        command: NotifyCommand,
    },
    /// Check keymap files.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Print shell completions to stdout.
    Completions {
        /// bash, zsh, fish, elvish or powershell
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Validate the config file and reach every source; one line per problem or source.
    Check {
        /// Only validate the file; do not contact the sources.
        #[arg(long)]
        offline: bool,
    },
}

#[derive(Subcommand, Debug)]
enum NotifyCommand {
    /// Send one test notification, to see whether this terminal (and tmux) shows it.
    Test {
        /// desktop, bell, osc777 or osc9 (repeatable); default: the channels of the rules.
        #[arg(long = "channel", value_name = "NAME")]
        channels: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// Check a keymap file (default: the user keymap) for unknown actions, bad keys,
    /// prefix clashes and duplicates.
    Check {
        /// The file to check.
        file: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let globals = cli::Globals {
        config: args.config,
        lang: args.lang,
        theme: args.theme,
        keymap: args.keymap,
    };
    if args.version {
        return cli::version(&globals);
    }
    let result = match args.command {
        None => cli::run_configured(&globals),
        Some(Command::Demo { seed, speed, start }) => {
            cli::run_demo(&globals, seed, speed, start.as_deref())
        }
        Some(Command::Init { force }) => cli::init(&globals, force),
        Some(Command::Config {
            command: ConfigCommand::Check { offline },
        }) => cli::config_check(&globals, offline),
        Some(Command::List { json }) => cli::list(&globals, json),
        Some(Command::Audit {
            since,
            tenant,
            format,
            demo,
        }) => cli::audit(&globals, &since, tenant.as_deref(), &format, demo),
        Some(Command::Notify {
            command: NotifyCommand::Test { channels },
        }) => cli::notify_test(&globals, &channels),
        Some(Command::Keys {
            command: KeysCommand::Check { file },
        }) => cli::keys_check(&globals, file),
        Some(Command::Completions { shell }) => {
            clap_complete::generate(
                shell,
                &mut Args::command(),
                "nightdesk",
                &mut std::io::stdout(),
            );
            Ok(ExitCode::SUCCESS)
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nightdesk: {e:#}");
            ExitCode::from(2)
        }
    }
}
