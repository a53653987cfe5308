//! [`LeaseStore`]: the hand-over from the init container to the refresh sidecar.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use crate::app_ref::AppRef;
use crate::error::Result;
use crate::response::{AuthInfo, Lease};
use crate::secret::VaultToken;

/// The version of [`LeaseBundle`]'s format; bumped on incompatible changes.
pub const LEASE_BUNDLE_FORMAT: u32 = 1;

/// The app token as the refresh sidecar needs it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredToken {
    /// The token.
    pub token: VaultToken,
    /// Its accessor, safe to log.
    pub accessor: String,
    /// Seconds it was valid for when obtained or last renewed.
    pub lease_duration: u64,
    /// Whether it can be renewed.
    pub renewable: bool,
    /// Unix time (seconds) when it was obtained or last renewed.
    pub obtained_at: u64,
}

impl StoredToken {
    /// The token of a login or renewal that happened at `obtained_at`.
    pub fn from_auth(auth: &AuthInfo, obtained_at: u64) -> Self {
        Self {
            token: auth.client_token.clone(),
            accessor: auth.accessor.clone(),
            lease_duration: auth.lease_duration,
            renewable: auth.renewable,
            obtained_at,
        }
    }

    /// Unix time (seconds) when it expires unless renewed.
    pub fn expires_at(&self) -> u64 {
        self.obtained_at.saturating_add(self.lease_duration)
    }
}

/// Everything the init container obtained that must be kept alive, and
/// revoked when the pod stops.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LeaseBundle {
    /// [`LEASE_BUNDLE_FORMAT`] when written.
    pub format: u32,
    /// The app the token belongs to.
    pub app: Option<AppRef>,
    /// The app's token.
    pub token: StoredToken,
    /// Leases on dynamic secrets (database, AWS, ...).
    pub leases: Vec<Lease>,
}

impl LeaseBundle {
    /// A bundle in the current format.
    pub fn new(app: Option<AppRef>, token: StoredToken, leases: Vec<Lease>) -> Self {
        Self { format: LEASE_BUNDLE_FORMAT, app, token, leases }
    }
}

/// Persists a [`LeaseBundle`] between the init container and the refresh
/// sidecar (on a shared in-memory volume, for the file store).
///
/// What a caller may rely on:
/// - `save` replaces the whole bundle atomically: a concurrent `load` sees
///   the old bundle or the new one, never a mix, and nothing is readable by
///   other users.
/// - `load` answers `Ok(None)` when nothing was saved (or it was removed),
///   and an error naming the location for a bundle it cannot read or whose
///   format it does not know.
/// - `remove` succeeds when there is nothing to remove.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Saves `bundle`, replacing what was there.
    async fn save(&self, bundle: &LeaseBundle) -> Result<()>;

    /// Loads the saved bundle, if any.
    async fn load(&self) -> Result<Option<LeaseBundle>>;

    /// Removes the saved bundle (after everything in it was revoked).
    async fn remove(&self) -> Result<()>;
}
