//! The one error type of `qsec-k8s`.

/// What can go wrong on qsec's Kubernetes side.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A qsec annotation on a pod has a value qsec cannot use.
    #[error("annotation {name}={value:?} is invalid: {reason}")]
    InvalidAnnotation {
        /// The annotation's name, e.g. `qsec.io/init-port`.
        name: &'static str,
        /// Its value.
        value: String,
        /// Why it was rejected and what is expected.
        reason: String,
    },
}

/// `Result` with qsec-k8s's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
