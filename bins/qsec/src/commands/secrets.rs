//! `qsec secrets ...`: set, read, list the history of and roll back an
//! app's secrets, through the Secret API.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use clap::Subcommand;
use qsec_core::AppRef;
use reqwest::Method;
use serde_json::{Value, json};

use super::api::{ApiArgs, ApiClient, Failure, app_path, block_on, print_json};
use super::app::Output;

#[derive(Subcommand)]
pub(crate) enum SecretsCommand {
    /// Set a secret: its keys and values become its newest version.
    ///
    /// Each pair is KEY=VALUE, KEY=@FILE (the file's content, as is) or
    /// KEY=- (standard input, for at most one key).
    Set {
        /// The app, as PROVIDER.CLUSTER.APP.
        app: AppRef,
        /// The secret's name, e.g. db.
        name: String,
        /// KEY=VALUE, KEY=@FILE or KEY=-.
        #[arg(required = true, value_name = "KEY=VALUE")]
        pairs: Vec<String>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Print a secret's values (the newest version, or --version).
    Get {
        /// The app, as PROVIDER.CLUSTER.APP.
        app: AppRef,
        /// The secret's name.
        name: String,
        /// Read this version instead of the newest.
        #[arg(long, value_name = "N")]
        version: Option<u64>,
        /// Print only this key's value, as is.
        #[arg(long, value_name = "KEY")]
        key: Option<String>,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// List a secret's versions: when, by whom, deleted or not. No values.
    History {
        /// The app, as PROVIDER.CLUSTER.APP.
        app: AppRef,
        /// The secret's name.
        name: String,
        #[command(flatten)]
        api: ApiArgs,
    },
    /// Make an older version's values the newest version again.
    Rollback {
        /// The app, as PROVIDER.CLUSTER.APP.
        app: AppRef,
        /// The secret's name.
        name: String,
        /// The version to restore.
        version: u64,
        #[command(flatten)]
        api: ApiArgs,
    },
}

pub(crate) fn run(command: SecretsCommand) -> anyhow::Result<()> {
    match command {
        SecretsCommand::Set { app, name, pairs, api } => {
            let data = read_pairs(&pairs, &mut std::io::stdin().lock())?;
            let client = ApiClient::new(&api)?;
            let path = format!("{}/secrets/{name}", app_path(&app));
            let answer = block_on(async move { client.send(Method::PUT, &path, Some(&data)).await })?;
            match api.output {
                Output::Json => print_json(&answer),
                Output::Text => {
                    println!("{app} secret {name}: version {} set by {}", answer["version"], text(&answer["author"]))
                }
            }
        }
        SecretsCommand::Get { app, name, version, key, api } => {
            let client = ApiClient::new(&api)?;
            let query = version.map(|v| format!("?version={v}")).unwrap_or_default();
            let path = format!("{}/secrets/{name}{query}", app_path(&app));
            let answer = block_on(async move { client.send(Method::GET, &path, None).await })?;
            if let Some(key) = key {
                let value = answer["data"].get(&key).ok_or_else(|| {
                    Failure::new(super::api::EXIT_NOT_FOUND, format!("secret {name} has no key {key:?}"))
                })?;
                println!("{}", text(value));
                return Ok(());
            }
            match api.output {
                Output::Json => print_json(&answer),
                Output::Text => {
                    println!("# {app} secret {name}, version {} by {}", answer["version"], text(&answer["author"]));
                    for (key, value) in answer["data"].as_object().into_iter().flatten() {
                        println!("{key}={}", text(value));
                    }
                }
            }
        }
        SecretsCommand::History { app, name, api } => {
            let client = ApiClient::new(&api)?;
            let path = format!("{}/secrets/{name}/versions", app_path(&app));
            let answer = block_on(async move { client.send(Method::GET, &path, None).await })?;
            match api.output {
                Output::Json => print_json(&answer),
                Output::Text => print_history(&answer),
            }
        }
        SecretsCommand::Rollback { app, name, version, api } => {
            let client = ApiClient::new(&api)?;
            let path = format!("{}/secrets/{name}/rollback", app_path(&app));
            let body = json!({ "version": version });
            let answer = block_on(async move { client.send(Method::POST, &path, Some(&body)).await })?;
            match api.output {
                Output::Json => print_json(&answer),
                Output::Text => {
                    println!("{app} secret {name}: version {version} restored as version {}", answer["version"])
                }
            }
        }
    }
    Ok(())
}

/// Reads `KEY=VALUE`, `KEY=@FILE` and `KEY=-` pairs into a JSON object.
fn read_pairs(pairs: &[String], stdin: &mut dyn Read) -> Result<Value, Failure> {
    let mut data = BTreeMap::new();
    let mut stdin_used = false;
    for pair in pairs {
        let (key, value) = pair
            .split_once('=')
            .filter(|(key, _)| !key.is_empty())
            .ok_or_else(|| Failure::usage(format!("{pair:?} is not KEY=VALUE, KEY=@FILE or KEY=-")))?;
        let value = if value == "-" {
            if stdin_used {
                return Err(Failure::usage("only one key can be read from standard input (KEY=-)"));
            }
            stdin_used = true;
            let mut text = String::new();
            stdin.read_to_string(&mut text).map_err(|e| Failure::usage(format!("reading {key} from stdin: {e}")))?;
            text
        } else if let Some(file) = value.strip_prefix('@') {
            std::fs::read_to_string(Path::new(file))
                .map_err(|e| Failure::usage(format!("reading {key} from {file}: {e}")))?
        } else {
            value.to_owned()
        };
        if data.insert(key.to_owned(), Value::String(value)).is_some() {
            return Err(Failure::usage(format!("key {key:?} is given twice")));
        }
    }
    Ok(Value::Object(data.into_iter().collect()))
}

fn print_history(answer: &Value) {
    println!("{:<8} {:<32} {:<24} STATE", "VERSION", "CREATED", "AUTHOR");
    for version in answer["versions"].as_array().into_iter().flatten() {
        let state = if version["destroyed"] == true {
            "destroyed".to_owned()
        } else if version["deleted"] == true {
            "deleted".to_owned()
        } else if version["version"] == answer["current_version"] {
            "current".to_owned()
        } else {
            String::new()
        };
        let state = match version["restored_from"].as_u64() {
            Some(from) => format!("{state} (rollback to {from})").trim().to_owned(),
            None => state,
        };
        println!(
            "{:<8} {:<32} {:<24} {state}",
            version["version"],
            text(&version["created_time"]),
            version["author"].as_str().unwrap_or("-")
        );
    }
}

/// A JSON value as people read it: strings without quotes.
fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_values_files_and_stdin() {
        let dir = std::env::temp_dir().join(format!("qsec-secrets-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("pw.txt");
        std::fs::write(&file, "from-file\n").unwrap();
        let pairs = vec!["user=app".to_owned(), format!("pw=@{}", file.display()), "key=-".to_owned(), "eq=a=b".into()];
        let data = read_pairs(&pairs, &mut "from-stdin".as_bytes()).unwrap();
        assert_eq!(data, json!({"user": "app", "pw": "from-file\n", "key": "from-stdin", "eq": "a=b"}));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn refuses_bad_pairs() {
        for bad in [vec!["novalue"], vec!["=x"], vec!["a=1", "a=2"], vec!["a=-", "b=-"], vec!["a=@/no/such/file"]] {
            let pairs: Vec<String> = bad.iter().map(|s| s.to_string()).collect();
            assert!(read_pairs(&pairs, &mut "".as_bytes()).is_err(), "{bad:?}");
        }
    }
}
