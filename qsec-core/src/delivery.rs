//! The SecretID delivery protocol between the controller and `qsec-init`.
//!
//! `qsec-init` listens on [`DEFAULT_INIT_PORT`]: `GET` [`HEALTH_PATH`]
//! answers 200 while it waits; `POST` [`DELIVERY_PATH`] takes one
//! [`SecretIdDelivery`] as JSON, at most [`MAX_DELIVERY_BYTES`] long.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::secret::{SecretId, WrappingToken};

/// The port `qsec-init` listens on unless the pod says otherwise.
pub const DEFAULT_INIT_PORT: u16 = 8099;

/// Answers 200 while `qsec-init` waits for its SecretID.
pub const HEALTH_PATH: &str = "/healthz";

/// Where the controller POSTs the SecretID.
pub const DELIVERY_PATH: &str = "/v1/secret-id";

/// The largest delivery body accepted; larger ones get 413.
pub const MAX_DELIVERY_BYTES: usize = 16 * 1024;

/// One SecretID, as the controller delivers it: in the clear, or (better)
/// response-wrapped, so only `qsec-init` can ever see it.
///
/// ```
/// use qsec_core::delivery::SecretIdDelivery;
///
/// let wrapped: SecretIdDelivery = serde_json::from_str(r#"{"wrapped_secret_id": "s.abc"}"#)?;
/// assert!(matches!(wrapped, SecretIdDelivery::Wrapped { .. }));
/// assert!(serde_json::from_str::<SecretIdDelivery>(r#"{"secret_id": "x", "wrapped_secret_id": "y"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Serialize, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum SecretIdDelivery {
    /// `{"secret_id": "..."}`.
    Plain {
        /// The SecretID.
        secret_id: SecretId,
    },
    /// `{"wrapped_secret_id": "..."}`: a wrapping token whose
    /// `creation_path` must be the app's AppRole secret-id path.
    Wrapped {
        /// The wrapping token.
        wrapped_secret_id: WrappingToken,
    },
}

impl fmt::Debug for SecretIdDelivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Plain { .. } => "SecretIdDelivery::Plain([redacted])",
            Self::Wrapped { .. } => "SecretIdDelivery::Wrapped([redacted])",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_exactly_one_known_field() {
        let plain: SecretIdDelivery = serde_json::from_str(r#"{"secret_id":"s-1"}"#).unwrap();
        assert!(matches!(&plain, SecretIdDelivery::Plain { secret_id } if secret_id.expose_secret() == "s-1"));
        for bad in [r#"{}"#, r#"{"secret":"x"}"#, r#"{"secret_id":1}"#, r#"{"secret_id":"x","extra":1}"#, r#"[]"#] {
            assert!(serde_json::from_str::<SecretIdDelivery>(bad).is_err(), "{bad} should be refused");
        }
        assert_eq!(format!("{plain:?}"), "SecretIdDelivery::Plain([redacted])");
        let round = serde_json::to_string(&plain).unwrap();
        assert_eq!(round, r#"{"secret_id":"s-1"}"#);
    }
}
