//! Issuing one pod's SecretID — single use, short-lived, bound to the pod
//! IP, naming the pod in its metadata, response-wrapped — and destroying it
//! through its accessor when it must not be used.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use qsec_core::{IssuedSecretId, SecretIdRequest, WrappingToken};

use super::pod_view::PodView;
use super::tokens::AppAccess;
use crate::error::{Error, Result};

/// A wrapped SecretID and its accessor.
pub struct Issued {
    /// The wrapping token for `qsec-init`; never logged, never on the pod.
    pub wrapping_token: WrappingToken,
    /// The SecretID's accessor: what the pod's record and the logs show.
    pub accessor: String,
}

/// The `/32` (or `/128`) of `ip`.
pub fn host_cidr(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{ip}/32"),
        IpAddr::V6(_) => format!("{ip}/128"),
    }
}

/// Issues a SecretID for `pod` at `ip`.
pub async fn issue(access: &AppAccess, pod: &PodView, ip: IpAddr, ttl: Duration, wrap_ttl: Duration) -> Result<Issued> {
    let request = SecretIdRequest {
        approle_mount: access.approle_mount.clone(),
        role_name: access.role_name.clone(),
        metadata: BTreeMap::from([
            ("pod_namespace".to_owned(), pod.key.namespace.clone()),
            ("pod_name".to_owned(), pod.key.name.clone()),
            ("pod_uid".to_owned(), pod.uid.clone()),
        ]),
        cidr_list: vec![host_cidr(ip)],
        token_bound_cidrs: vec![host_cidr(ip)],
        num_uses: Some(1),
        ttl: Some(ttl),
        wrap_ttl: Some(wrap_ttl),
    };
    let action = || format!("issuing a SecretID of AppRole {} for pod {}", access.role_name, pod.key);
    let issued = access.vault.generate_secret_id(&request).await.map_err(Error::vault(action()))?;
    let accessor = issued.value.secret_id_accessor().map(str::to_owned);
    match (issued.value, accessor) {
        (IssuedSecretId::Wrapped(info), Some(accessor)) => Ok(Issued { wrapping_token: info.token, accessor }),
        (IssuedSecretId::Wrapped(_), None) => Err(Error::Vault {
            action: action(),
            source: Box::new(qsec_vault::Error::Decode {
                operation: "generate SecretID".into(),
                path: format!("auth/{}/role/{}/secret-id", access.approle_mount, access.role_name),
                reason: "the wrapped answer has no wrapped_accessor, so the SecretID could not be destroyed if needed; the wrapping token was dropped unused".into(),
            }),
        }),
        // Vault ignored X-Vault-Wrap-TTL: a SecretID in the clear is not delivered.
        (_, accessor) => {
            if let Some(accessor) = accessor {
                let _ = destroy(access, &accessor).await;
            }
            Err(Error::Vault {
                action: action(),
                source: Box::new(qsec_vault::Error::Decode {
                    operation: "generate SecretID".into(),
                    path: format!("auth/{}/role/{}/secret-id", access.approle_mount, access.role_name),
                    reason: "Vault did not wrap the SecretID as asked; it was destroyed".into(),
                }),
            })
        }
    }
}

/// Destroys the SecretID with `accessor`.
pub async fn destroy(access: &AppAccess, accessor: &str) -> Result<()> {
    access
        .vault
        .destroy_secret_id_accessor(&access.approle_mount, &access.role_name, accessor)
        .await
        .map_err(Error::vault(format!("destroying SecretID {accessor} of AppRole {}", access.role_name)))?;
    Ok(())
}
