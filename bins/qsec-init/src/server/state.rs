//! The wait's state: which phase it is in, and how the result of one
//! delivery, or the deadline, ends it or not.

use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use qsec_core::AuthInfo;
use tokio::sync::oneshot;
use tracing::{info, warn};

use crate::error::Error;

/// Where the wait is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Listening for a delivery.
    Waiting,
    /// One delivery is being unwrapped and logged in with.
    Processing,
    /// A SecretID was accepted, Vault failed, or the wait ran out.
    Done,
}

/// How processing one delivery ended, for the answer to the controller.
pub(crate) enum Finished {
    /// It logged in: the wait is over.
    Accepted,
    /// Vault refused it; the wait goes on (unless the deadline passed meanwhile).
    Refused(String),
    /// Vault is unavailable, or processing broke: the wait is over.
    Failed(String),
}

struct Status {
    phase: Phase,
    /// Set when the deadline passes during processing: that delivery is the last.
    deadline_passed: bool,
    /// Why the latest delivery was refused, for the message if the wait runs out.
    last_refusal: Option<String>,
}

/// The state shared by the handlers and the task waiting for the outcome.
pub(crate) struct Wait {
    status: Mutex<Status>,
    outcome: Mutex<Option<oneshot::Sender<Result<AuthInfo, Error>>>>,
    waited: Duration,
    listen: SocketAddr,
}

impl Wait {
    /// A wait of `waited` on `listen`, and where its outcome will arrive.
    pub(crate) fn new(waited: Duration, listen: SocketAddr) -> (Wait, oneshot::Receiver<Result<AuthInfo, Error>>) {
        let (tx, rx) = oneshot::channel();
        let status = Status { phase: Phase::Waiting, deadline_passed: false, last_refusal: None };
        (Wait { status: Mutex::new(status), outcome: Mutex::new(Some(tx)), waited, listen }, rx)
    }

    fn status(&self) -> MutexGuard<'_, Status> {
        self.status.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn phase(&self) -> Phase {
        self.status().phase
    }

    /// Moves from waiting to processing; false if not waiting.
    pub(crate) fn try_begin(&self) -> bool {
        let mut status = self.status();
        let waiting = status.phase == Phase::Waiting;
        if waiting {
            status.phase = Phase::Processing;
        }
        waiting
    }

    /// The deadline passed: ends the wait now if nothing is being
    /// processed (returning why), else once the delivery in progress is
    /// done, whatever its result — abandoning a login midway could lose a
    /// fresh token.
    pub(crate) fn expire(&self) -> Option<Error> {
        let mut status = self.status();
        status.deadline_passed = true;
        if status.phase != Phase::Waiting {
            return None;
        }
        status.phase = Phase::Done;
        Some(self.gave_up(&mut status))
    }

    /// Records the result of processing one delivery.
    pub(crate) fn finish(&self, result: Result<AuthInfo, Error>) -> Finished {
        let mut status = self.status();
        match result {
            Ok(auth) => {
                status.phase = Phase::Done;
                self.send(Ok(auth));
                info!("SecretID accepted; no longer listening");
                Finished::Accepted
            }
            Err(error) if error.is_refusal() => {
                let message = error.to_string();
                warn!(reason = %message, "SecretID delivery refused");
                status.last_refusal = Some(message.clone());
                if status.deadline_passed {
                    status.phase = Phase::Done;
                    let gave_up = self.gave_up(&mut status);
                    self.send(Err(gave_up));
                } else {
                    status.phase = Phase::Waiting;
                }
                Finished::Refused(message)
            }
            Err(error) => {
                let message = error.to_string();
                status.phase = Phase::Done;
                self.send(Err(error));
                Finished::Failed(message)
            }
        }
    }

    fn gave_up(&self, status: &mut Status) -> Error {
        Error::NoSecretId { waited: self.waited, listen: self.listen, last_refusal: status.last_refusal.take() }
    }

    fn send(&self, outcome: Result<AuthInfo, Error>) {
        if let Some(tx) = self.outcome.lock().unwrap_or_else(PoisonError::into_inner).take() {
            let _ = tx.send(outcome);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal() -> Error {
        Error::Refused { step: "AppRole login", reason: "invalid secret id".into(), hint: "deliver a new one" }
    }

    fn wait() -> (Wait, oneshot::Receiver<Result<AuthInfo, Error>>) {
        Wait::new(Duration::from_secs(60), "127.0.0.1:8099".parse().unwrap())
    }

    #[test]
    fn a_refusal_keeps_waiting_and_one_delivery_is_processed_at_a_time() {
        let (wait, mut rx) = wait();
        assert!(wait.try_begin());
        assert!(!wait.try_begin(), "a second delivery while processing");
        assert_eq!(wait.phase(), Phase::Processing);
        assert!(matches!(wait.finish(Err(refusal())), Finished::Refused(_)));
        assert_eq!(wait.phase(), Phase::Waiting);
        assert!(rx.try_recv().is_err(), "no outcome yet");
    }

    #[test]
    fn the_deadline_during_processing_makes_that_delivery_the_last() {
        let (wait, mut rx) = wait();
        assert!(wait.try_begin());
        assert!(wait.expire().is_none(), "processing is not cut short");
        assert!(matches!(wait.finish(Err(refusal())), Finished::Refused(_)));
        assert_eq!(wait.phase(), Phase::Done);
        let outcome = rx.try_recv().unwrap().unwrap_err().to_string();
        assert!(
            outcome.starts_with("no SecretID was accepted within 1m; the last delivery: AppRole login"),
            "{outcome}"
        );
    }

    #[test]
    fn the_deadline_while_waiting_ends_the_wait_at_once() {
        let (wait, _rx) = wait();
        let error = wait.expire().expect("nothing is processed");
        assert!(error.to_string().starts_with("no SecretID was delivered within 1m"), "{error}");
        assert!(!wait.try_begin(), "no delivery after the deadline");
    }

    #[test]
    fn unavailability_ends_the_wait_with_its_error() {
        let (wait, mut rx) = wait();
        assert!(wait.try_begin());
        let unavailable = Error::VaultUnavailable { step: "AppRole login", reason: "connection refused".into() };
        assert!(matches!(wait.finish(Err(unavailable)), Finished::Failed(_)));
        assert!(matches!(rx.try_recv().unwrap(), Err(Error::VaultUnavailable { .. })));
    }
}
