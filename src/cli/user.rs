//! `smsgate user add|list|passwd|remove`: the desk's staff accounts, in the database the config
//! names. Safe while the service runs: the store is opened without the start-up recovery, and
//! SQLite serialises the writes.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use jiff::Timestamp;

use crate::config::Config;
use crate::desk::auth;
use crate::store::{Role, Store};

#[derive(Debug, Args)]
pub struct UserArgs {
    /// The TOML configuration whose `[storage] path` names the database (default: the
    /// defaults' smsgate.db in the working directory).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: UserCommand,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RoleArg {
    Admin,
    Agent,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from stdin (one line).
    Add {
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// List the users and their roles.
    List,
    /// Set a user's password (one line on stdin); ends their sessions.
    Passwd { name: String },
    /// Remove a user; ends their sessions.
    Remove { name: String },
}

/// A user name: 1 to 64 characters, no spaces or control characters (it appears in the audit
/// log as `desk:<name>` and in the login form).
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let n = name.chars().count();
    if n == 0 || n > 64 || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "user name {name:?}: 1 to 64 characters without spaces or control characters"
        ));
    }
    Ok(())
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
    let pw = line.trim_end_matches(['\n', '\r']).to_owned();
    if pw.is_empty() {
        return Err("no password on stdin (give it as one line)".to_owned());
    }
    Ok(pw)
}

pub fn run(args: UserArgs) -> ExitCode {
    match run_inner(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => super::fail(e),
    }
}

fn run_inner(args: UserArgs) -> Result<(), String> {
    let config = match &args.config {
        Some(p) => Config::load(p).map_err(|e| e.to_string())?,
        None => Config::parse("", std::path::Path::new("(defaults)")).map_err(|e| e.to_string())?,
    };
    let path = config.storage.path.clone();
    let rt = super::current_thread().map_err(|_| "cannot start the runtime".to_owned())?;
    let store = Store::open_beside_service(&path)
        .map_err(|e| format!("cannot open the database {}: {e}", path.display()))?;
    let now = Timestamp::now();
    let result = rt.block_on(async {
        match args.command {
            UserCommand::Add { name, role } => {
                check_name(&name)?;
                let hash = auth::hash_password(&read_password()?).map_err(|e| e.to_string())?;
                let role = match role {
                    RoleArg::Admin => Role::Admin,
                    RoleArg::Agent => Role::Agent,
                };
                let n = name.clone();
                store
                    .atomically(move |tx| {
                        tx.add_user(&n, role, &hash, now)?;
                        tx.audit("cli", "user.add", Some(&n), now)
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                println!("added {name} ({})", role.as_str());
            }
            UserCommand::List => {
                let users = store.list_users().await.map_err(|e| e.to_string())?;
                for u in users {
                    println!("{}\t{}", u.name, u.role.as_str());
                }
            }
            UserCommand::Passwd { name } => {
                let hash = auth::hash_password(&read_password()?).map_err(|e| e.to_string())?;
                let n = name.clone();
                store
                    .atomically(move |tx| {
                        tx.set_password(&n, &hash, now)?;
                        tx.audit("cli", "user.passwd", Some(&n), now)
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                println!("password changed for {name}; their sessions have ended");
            }
            UserCommand::Remove { name } => {
                let n = name.clone();
                let existed = store
                    .atomically(move |tx| {
                        let existed = tx.remove_user(&n)?;
                        if existed {
                            tx.audit("cli", "user.remove", Some(&n), now)?;
                        }
                        Ok(existed)
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                if !existed {
                    return Err(format!("no user {name}"));
                }
                println!("removed {name}");
            }
        }
        Ok::<(), String>(())
    });
    let _ = rt.block_on(store.close());
    result
}
