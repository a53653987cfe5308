//! The pod annotations through which qsec's components find each other.

use std::collections::BTreeMap;

use qsec_core::AppRef;

use crate::error::{Error, Result};

/// Names the app (an [`AppRef`]) a pod belongs to; the controller delivers
/// SecretIDs to pods that carry it.
pub const APPROLE: &str = "qsec.io/approle";

/// The port `qsec-init` listens on for its SecretID, when not the default.
pub const INIT_PORT: &str = "qsec.io/init-port";

/// Set by the controller: the record of the SecretID delivered to the pod
/// (JSON: state, SecretID accessor, time, controller, init container; never
/// the SecretID), so no pod incarnation is delivered to twice.
pub const SECRET_ID_DELIVERY: &str = "qsec.io/secret-id-delivery";

/// Asks the admission webhook to inject qsec into a pod (`"true"`).
pub const INJECT: &str = "qsec.io/inject";

/// Per pod: the init image to use instead of the generic one, typically the
/// app's own image built by `qsec deploy render`, with config and RoleID
/// baked in (so the pod needs neither ConfigMap nor Secret).
pub const INIT_IMAGE: &str = "qsec.io/init-image";

/// Per pod: where the app containers find the rendered config files.
pub const CONFIG_PATH: &str = "qsec.io/config-path";

/// Istio: inbound ports its proxy leaves alone (comma-separated).
pub const ISTIO_EXCLUDE_INBOUND_PORTS: &str = "traffic.sidecar.istio.io/excludeInboundPorts";

/// Istio: outbound ports its proxy leaves alone (comma-separated).
pub const ISTIO_EXCLUDE_OUTBOUND_PORTS: &str = "traffic.sidecar.istio.io/excludeOutboundPorts";

/// The port `qsec-init` listens on unless [`INIT_PORT`] says otherwise.
pub use qsec_core::delivery::DEFAULT_INIT_PORT;

/// The app a pod belongs to: `None` when it has no [`APPROLE`] annotation,
/// an error when the annotation is not a valid app reference.
pub fn app_of(annotations: &BTreeMap<String, String>) -> Result<Option<AppRef>> {
    let Some(value) = annotations.get(APPROLE) else {
        return Ok(None);
    };
    value.parse().map(Some).map_err(|error| Error::InvalidAnnotation {
        name: APPROLE,
        value: value.clone(),
        reason: match error {
            qsec_core::Error::InvalidAppRef { problem, .. } => problem.to_string(),
            other => other.to_string(),
        },
    })
}

/// The port `qsec-init` listens on: [`INIT_PORT`] if set, else [`DEFAULT_INIT_PORT`].
pub fn init_port(annotations: &BTreeMap<String, String>) -> Result<u16> {
    let Some(value) = annotations.get(INIT_PORT) else {
        return Ok(DEFAULT_INIT_PORT);
    };
    match value.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(Error::InvalidAnnotation {
            name: INIT_PORT,
            value: value.clone(),
            reason: "expected a port number from 1 to 65535".into(),
        }),
    }
}

/// Whether the pod asks the webhook for injection: [`INJECT`] parsed as Go's
/// `strconv.ParseBool` does (Vault's injector does the same), absent = no.
pub fn inject_requested(annotations: &BTreeMap<String, String>) -> Result<bool> {
    match annotations.get(INJECT).map(|value| value.trim()) {
        None => Ok(false),
        Some("1" | "t" | "T" | "true" | "TRUE" | "True") => Ok(true),
        Some("0" | "f" | "F" | "false" | "FALSE" | "False") => Ok(false),
        Some(_) => Err(Error::InvalidAnnotation {
            name: INJECT,
            value: annotations[INJECT].clone(),
            reason: "expected \"true\" or \"false\"".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn annotated(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn unannotated_pods_are_not_ours() {
        assert!(app_of(&annotated(&[("other", "x")])).unwrap().is_none());
        assert_eq!(init_port(&annotated(&[])).unwrap(), DEFAULT_INIT_PORT);
    }

    #[test]
    fn bad_values_are_named_with_the_rule() {
        let error = app_of(&annotated(&[(APPROLE, "aws.stg.*")])).unwrap_err().to_string();
        assert_eq!(
            error,
            r#"annotation qsec.io/approle="aws.stg.*" is invalid: '*' is a Vault policy glob and would grant other apps' paths"#
        );
        for bad in ["0", "65536", "http", "-1", ""] {
            let error = init_port(&annotated(&[(INIT_PORT, bad)])).unwrap_err().to_string();
            assert!(error.contains("port number from 1 to 65535"), "{bad}: {error}");
        }
    }

    #[test]
    fn inject_reads_like_go_bools() {
        assert!(!inject_requested(&annotated(&[])).unwrap());
        assert!(inject_requested(&annotated(&[(INJECT, "true")])).unwrap());
        assert!(inject_requested(&annotated(&[(INJECT, "1")])).unwrap());
        assert!(!inject_requested(&annotated(&[(INJECT, "false")])).unwrap());
        let error = inject_requested(&annotated(&[(INJECT, "yes")])).unwrap_err().to_string();
        assert_eq!(error, r#"annotation qsec.io/inject="yes" is invalid: expected "true" or "false""#);
    }
}
