//! What makes the sidecar stop: a signal, `POST /v1/quit`, the exit file
//! appearing, or the token entering its expiry margin. [`first_trigger`]
//! waits for whichever comes first.

use std::fmt;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use qsec_vault::RenewerStatus;
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::{Notify, watch};

use crate::error::{Error, Result};

/// How often the exit file is looked for.
const EXIT_FILE_POLL: Duration = Duration::from_secs(1);

/// Why the sidecar is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// SIGTERM: Kubernetes is stopping the pod.
    Sigterm,
    /// SIGINT: Ctrl-C.
    Sigint,
    /// `POST /v1/quit`: the job the pod runs is done.
    QuitRequested,
    /// The exit file appeared: the job the pod runs is done.
    ExitFile,
    /// The token cannot be renewed and is about to expire.
    TokenExpiring,
}

impl StopReason {
    /// True for a stop someone asked for (exit 0 once everything is
    /// revoked); false for the token expiring (exit non-zero regardless).
    pub fn requested(self) -> bool {
        self != Self::TokenExpiring
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sigterm => "SIGTERM",
            Self::Sigint => "SIGINT",
            Self::QuitRequested => "POST /v1/quit",
            Self::ExitFile => "the exit file appearing",
            Self::TokenExpiring => "the token expiring",
        })
    }
}

/// SIGTERM and SIGINT, caught from the moment this is built, so a signal
/// that arrives while the sidecar starts is not lost (nor kills it before
/// it could revoke anything).
pub struct Signals {
    terminate: Signal,
    interrupt: Signal,
}

impl Signals {
    /// Installs the handlers; needs a Tokio runtime.
    pub fn install() -> Result<Self> {
        let install = |kind| signal(kind).map_err(|e| Error::Signals(e.to_string()));
        Ok(Self { terminate: install(SignalKind::terminate())?, interrupt: install(SignalKind::interrupt())? })
    }

    /// Completes with the first signal received.
    pub async fn recv(mut self) -> StopReason {
        tokio::select! {
            _ = self.terminate.recv() => StopReason::Sigterm,
            _ = self.interrupt.recv() => StopReason::Sigint,
        }
    }
}

/// Completes with the first of: `external` (the signals, in the binary),
/// `quit` being notified, `exit_file` existing, or `status` reporting the
/// token as expiring.
pub(crate) async fn first_trigger(
    external: impl Future<Output = StopReason>,
    quit: &Notify,
    exit_file: Option<&Path>,
    status: watch::Receiver<RenewerStatus>,
) -> StopReason {
    tokio::select! {
        biased;
        reason = external => reason,
        () = quit.notified() => StopReason::QuitRequested,
        () = exit_file_appears(exit_file) => StopReason::ExitFile,
        () = token_expiring(status) => StopReason::TokenExpiring,
    }
}

/// Completes once `path` exists; never without a path.
async fn exit_file_appears(path: Option<&Path>) {
    let Some(path) = path else { return std::future::pending().await };
    let mut ticks = tokio::time::interval(EXIT_FILE_POLL);
    loop {
        ticks.tick().await;
        // A stat on a local volume is quick enough to do on the runtime
        // thread; a blocking-pool hop every second would cost a thread.
        if path.try_exists().unwrap_or(false) {
            return;
        }
    }
}

/// Completes once the renewer reports the token expiring; never if the
/// renewer is gone (it then reports nothing more).
async fn token_expiring(mut status: watch::Receiver<RenewerStatus>) {
    if status.wait_for(|s| s.token_expiring.is_some()).await.is_err() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use qsec_vault::Limit;

    use super::*;

    fn status() -> RenewerStatus {
        RenewerStatus {
            token_expires_at: SystemTime::now() + Duration::from_secs(300),
            token_limit: None,
            token_expiring: None,
            expiring_leases: vec![],
            renewals: 0,
            failures: 0,
        }
    }

    fn never() -> std::future::Pending<StopReason> {
        std::future::pending()
    }

    #[tokio::test(start_paused = true)]
    async fn an_external_trigger_wins() {
        let (_tx, rx) = watch::channel(status());
        let reason = first_trigger(async { StopReason::Sigterm }, &Notify::new(), None, rx).await;
        assert_eq!(reason, StopReason::Sigterm);
        assert!(reason.requested());
    }

    #[tokio::test(start_paused = true)]
    async fn a_quit_request_stops_even_if_sent_before_anyone_waits() {
        let (_tx, rx) = watch::channel(status());
        let quit = Notify::new();
        quit.notify_one();
        assert_eq!(first_trigger(never(), &quit, None, rx).await, StopReason::QuitRequested);
    }

    #[tokio::test(start_paused = true)]
    async fn the_exit_file_is_noticed_when_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("done");
        let (_tx, rx) = watch::channel(status());
        let writer = {
            let file = file.clone();
            tokio::spawn(async move {
                // Paused time: this "minute" passes at once, after a few polls.
                tokio::time::sleep(Duration::from_secs(60)).await;
                std::fs::write(file, "").unwrap();
            })
        };
        let reason = first_trigger(never(), &Notify::new(), Some(&file), rx).await;
        assert_eq!(reason, StopReason::ExitFile);
        assert!(file.exists());
        writer.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn the_token_expiring_stops_with_a_non_requested_reason() {
        let (tx, rx) = watch::channel(status());
        let quit = Notify::new();
        let trigger = first_trigger(never(), &quit, None, rx);
        tokio::pin!(trigger);
        tx.send_modify(|s| s.renewals = 5);
        tokio::select! {
            biased;
            _ = &mut trigger => panic!("a renewal is no reason to stop"),
            () = tokio::task::yield_now() => {}
        }
        tx.send_modify(|s| {
            s.token_limit = Some(Limit::MaxTtl);
            s.token_expiring = Some(Limit::MaxTtl);
        });
        let reason = trigger.await;
        assert_eq!(reason, StopReason::TokenExpiring);
        assert!(!reason.requested());
    }

    #[tokio::test(start_paused = true)]
    async fn a_gone_renewer_is_no_trigger() {
        let (tx, rx) = watch::channel(status());
        drop(tx);
        let quit = Notify::new();
        let trigger = first_trigger(never(), &quit, None, rx);
        tokio::pin!(trigger);
        tokio::select! {
            biased;
            _ = &mut trigger => panic!("nothing asked to stop"),
            () = tokio::time::sleep(Duration::from_secs(3600)) => {}
        }
        quit.notify_one();
        assert_eq!(trigger.await, StopReason::QuitRequested);
    }
}
