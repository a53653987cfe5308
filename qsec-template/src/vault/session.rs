//! One render's view of Vault: what the template asked for, what was
//! fetched, and the leases obtained.
//!
//! Template functions are synchronous and Vault is not, so a render runs in
//! passes: a function whose answer is not fetched yet records the request
//! and returns a placeholder; the renderer fetches every recorded request
//! at once, and renders again.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use qsec_core::VaultResponse;

/// A Vault call a template depends on. Each is made at most once per
/// scope: `dbUsername` and `dbPassword` of one role share one credential.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Request {
    /// `GET path`.
    Read(String),
    /// `POST path` with a JSON body (kept as canonical text so equal bodies
    /// compare equal).
    Write(String, String),
}

impl Request {
    pub(crate) fn write(path: String, body: &serde_json::Value) -> Self {
        // serde_json's maps are ordered, so this text is canonical.
        Self::Write(path, body.to_string())
    }

    pub(crate) fn path(&self) -> &str {
        match self {
            Self::Read(path) | Self::Write(path, _) => path,
        }
    }
}

/// What Vault answered: the response (`None` for 404 or 204), or an error
/// message already fit for a template author.
pub(crate) type Answer = Result<Option<VaultResponse>, String>;

/// The answers of one scope, shared by all templates rendered in it.
#[derive(Debug, Default)]
pub(crate) struct Scope {
    answers: Mutex<BTreeMap<Request, Answer>>,
}

impl Scope {
    pub(crate) fn answer(&self, request: &Request) -> Option<Answer> {
        self.answers.lock().unwrap_or_else(|p| p.into_inner()).get(request).cloned()
    }

    pub(crate) fn store(&self, request: Request, answer: Answer) {
        self.answers.lock().unwrap_or_else(|p| p.into_inner()).insert(request, answer);
    }

    /// Every value Vault returned in this scope, to keep out of errors.
    pub(crate) fn secret_values(&self) -> BTreeSet<String> {
        let mut secrets = BTreeSet::new();
        for response in self.answers.lock().unwrap_or_else(|p| p.into_inner()).values().flatten().flatten() {
            super::scrub::collect(response, &mut secrets);
        }
        secrets
    }
}

/// One pass of one template: the scope to read answers from, and the
/// requests it found missing.
#[derive(Debug)]
pub(crate) struct Pass {
    pub(crate) scope: Arc<Scope>,
    pub(crate) missing: Mutex<BTreeSet<Request>>,
}

impl Pass {
    pub(crate) fn new(scope: Arc<Scope>) -> Self {
        Self { scope, missing: Mutex::new(BTreeSet::new()) }
    }

    /// The requests this pass found missing.
    pub(crate) fn take_missing(&self) -> BTreeSet<Request> {
        std::mem::take(&mut *self.missing.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

thread_local! {
    /// The pass being rendered on this thread. Rendering is synchronous, so
    /// the Vault functions, called deep inside the engine, find it here.
    static CURRENT: RefCell<Option<Arc<Pass>>> = const { RefCell::new(None) };
}

/// Runs `render` with `pass` visible to the Vault functions.
pub(crate) fn with_pass<T>(pass: &Arc<Pass>, render: impl FnOnce() -> T) -> T {
    struct Reset(Option<Arc<Pass>>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let previous = self.0.take();
            CURRENT.with(|current| *current.borrow_mut() = previous);
        }
    }
    let previous = CURRENT.with(|current| current.borrow_mut().replace(pass.clone()));
    let _reset = Reset(previous);
    render()
}

/// The answer to `request` in the current pass: `Some` when fetched,
/// `None` (and the request recorded) when it still has to be fetched.
pub(crate) fn lookup(request: Request) -> Result<Option<Answer>, String> {
    CURRENT.with(|current| {
        let current = current.borrow();
        let pass = current.as_ref().ok_or("Vault functions work only when rendering through qsec's Vault renderer")?;
        match pass.scope.answer(&request) {
            Some(answer) => Ok(Some(answer)),
            None => {
                pass.missing.lock().unwrap_or_else(|p| p.into_inner()).insert(request);
                Ok(None)
            }
        }
    })
}
