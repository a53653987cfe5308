//! Talking to the Secret API: where it is, the caller's JWT, the output
//! format, and the exit code each kind of failure gives.
//!
//! Exit codes: 0 done; 1 usage or input (bad arguments, unreadable files,
//! 400 or 413 from the service); 2 authentication or authorisation (no
//! token, 401, 403); 3 not found (404); 4 the server, Vault or the network
//! (5xx, unreachable).

use std::fmt;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use reqwest::Method;
use serde_json::Value;

use super::app::Output;

/// Usage or input error.
pub(crate) const EXIT_USAGE: u8 = 1;
/// No token, 401 or 403.
pub(crate) const EXIT_AUTH: u8 = 2;
/// 404.
pub(crate) const EXIT_NOT_FOUND: u8 = 3;
/// 5xx, or the service could not be reached.
pub(crate) const EXIT_SERVER: u8 = 4;

/// Where the Secret API is and who is calling it.
#[derive(Args, Clone)]
pub(crate) struct ApiArgs {
    /// The Secret API's base URL, e.g. `https://secret-api.internal`.
    #[arg(long, env = "QSEC_API", value_name = "URL")]
    api: String,
    /// The JWT to call with. Prefer QSEC_TOKEN or --token-file: a command
    /// line is visible to other users of the machine. Wins over --token-file.
    #[arg(long, env = "QSEC_TOKEN", hide_env_values = true, value_name = "JWT")]
    token: Option<String>,
    /// A file holding the JWT.
    #[arg(long, env = "QSEC_TOKEN_FILE", value_name = "FILE")]
    token_file: Option<PathBuf>,
    /// How to print the answer: for people, or the service's JSON for scripts.
    #[arg(long, value_enum, default_value_t = Output::Text)]
    pub(crate) output: Output,
    /// Seconds to wait for the Secret API.
    #[arg(long, default_value_t = 30, value_name = "SECONDS")]
    timeout: u64,
}

/// A failed command: what to say, and the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// A failure with exit code `code`.
    pub(crate) fn new(code: u8, message: impl Into<String>) -> Self {
        Self { code, message: message.into() }
    }

    /// A usage or input error (exit 1).
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(EXIT_USAGE, message)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// The exit code for an error a command returned: its [`Failure`]'s code,
/// else 1.
pub(crate) fn exit_code(error: &anyhow::Error) -> ExitCode {
    ExitCode::from(error.downcast_ref::<Failure>().map_or(EXIT_USAGE, |failure| failure.code))
}

/// A client of one Secret API, with the caller's token.
pub(crate) struct ApiClient {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl ApiClient {
    /// Reads the token and builds the HTTP client.
    pub(crate) fn new(args: &ApiArgs) -> Result<Self, Failure> {
        let token = match (&args.token, &args.token_file) {
            (Some(token), _) => token.trim().to_owned(),
            (None, Some(path)) => std::fs::read_to_string(path)
                .map_err(|e| Failure::new(EXIT_AUTH, format!("cannot read the token file {}: {e}", path.display())))?
                .trim()
                .to_owned(),
            (None, None) => String::new(),
        };
        if token.is_empty() {
            return Err(Failure::new(
                EXIT_AUTH,
                "no token: pass --token-file FILE, or set QSEC_TOKEN or QSEC_TOKEN_FILE",
            ));
        }
        let base = args.api.trim_end_matches('/').to_owned();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Failure::usage(format!("--api must be an http:// or https:// URL, not {base:?}")));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(args.timeout.max(1)))
            .build()
            .map_err(|e| Failure::new(EXIT_SERVER, format!("cannot set up HTTP: {e}")))?;
        Ok(Self { http, base, token })
    }

    /// Sends `method path` (with `body` as JSON) and returns the JSON answer
    /// of a 2xx, or the failure with the exit code its status calls for.
    pub(crate) async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value, Failure> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| Failure::new(EXIT_SERVER, format!("cannot reach the Secret API at {}: {e}", self.base)))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| Failure::new(EXIT_SERVER, format!("reading the Secret API's answer: {e}")))?;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if (200..300).contains(&status) {
            return Ok(json);
        }
        let message = json["message"].as_str().map_or_else(|| text.trim().to_owned(), str::to_owned);
        let rule = json["rule"].as_str().map(|rule| format!(" [rule: {rule}]")).unwrap_or_default();
        let code = match status {
            400 | 413 => EXIT_USAGE,
            401 | 403 => EXIT_AUTH,
            404 => EXIT_NOT_FOUND,
            _ => EXIT_SERVER,
        };
        Err(Failure::new(code, format!("the Secret API answered {status}: {message}{rule}")))
    }
}

/// `aws.stg.myapp` as the path `/v1/apps/aws/stg/myapp`.
pub(crate) fn app_path(app: &qsec_core::AppRef) -> String {
    format!("/v1/apps/{}/{}/{}", app.provider(), app.cluster(), app.app())
}

/// Runs `future` on a fresh runtime (the CLI is otherwise synchronous).
pub(crate) fn block_on<T>(future: impl std::future::Future<Output = Result<T, Failure>>) -> anyhow::Result<T> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(EXIT_SERVER, format!("starting the async runtime: {e}")))?;
    Ok(runtime.block_on(future)?)
}

/// Prints `json` pretty, for `--output json`.
pub(crate) fn print_json(json: &Value) {
    println!("{}", serde_json::to_string_pretty(json).unwrap_or_default());
}
