//! The delivery record a pod carries in [`SECRET_ID_DELIVERY`]: which
//! SecretID (by accessor, never the SecretID) went to which run of its
//! `qsec-init`, when, from which controller, and how far it got.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::annotations::SECRET_ID_DELIVERY;

/// How far a delivery got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryState {
    /// A SecretID was issued and the pod claimed for it; the POST may or may
    /// not have happened (the controller may have stopped in between).
    Issued,
    /// `qsec-init` accepted it.
    Delivered,
    /// The POST failed or was refused; the SecretID was destroyed and a new
    /// delivery may be tried.
    Failed,
}

/// The record, as JSON in the annotation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRecord {
    /// How far it got.
    pub state: DeliveryState,
    /// The SecretID's accessor.
    pub accessor: String,
    /// When the state was reached (RFC 3339).
    pub time: String,
    /// The controller replica that did it.
    pub controller: String,
    /// The `qsec-init` container run it was for (its container ID), so a
    /// restarted `qsec-init` gets a new SecretID and the same run never two.
    pub init_container: String,
}

impl DeliveryRecord {
    /// A record in `state`, stamped now.
    pub fn new(state: DeliveryState, accessor: &str, controller: &str, init_container: &str) -> Self {
        Self {
            state,
            accessor: accessor.to_owned(),
            time: jiff::Timestamp::now().to_string(),
            controller: controller.to_owned(),
            init_container: init_container.to_owned(),
        }
    }

    /// The record on a pod; an unreadable one counts as a delivery to an
    /// unknown run (so nothing is delivered twice on a doubt).
    pub fn of(annotations: &BTreeMap<String, String>) -> Option<Self> {
        let text = annotations.get(SECRET_ID_DELIVERY)?;
        Some(serde_json::from_str(text).unwrap_or_else(|_| Self {
            state: DeliveryState::Issued,
            accessor: String::new(),
            time: String::new(),
            controller: String::new(),
            init_container: String::new(),
        }))
    }

    /// Whether this record rules out a delivery to the `qsec-init` run
    /// `init_container`: it does for the same run unless that delivery failed.
    /// An unreadable record rules out every run.
    pub fn blocks(&self, init_container: &str) -> bool {
        if self.init_container.is_empty() {
            return true;
        }
        self.init_container == init_container && self.state != DeliveryState::Failed
    }

    /// The annotation value.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_blocks_its_own_run_unless_failed() {
        let issued = DeliveryRecord::new(DeliveryState::Issued, "acc-1", "ctl-a", "c-1");
        assert!(issued.blocks("c-1"));
        assert!(!issued.blocks("c-2"), "a restarted qsec-init needs a new SecretID");
        let failed = DeliveryRecord { state: DeliveryState::Failed, ..issued.clone() };
        assert!(!failed.blocks("c-1"));
        let annotations = BTreeMap::from([(SECRET_ID_DELIVERY.to_owned(), issued.to_json())]);
        assert_eq!(DeliveryRecord::of(&annotations), Some(issued));
        let garbled = BTreeMap::from([(SECRET_ID_DELIVERY.to_owned(), "{not json".to_owned())]);
        assert!(DeliveryRecord::of(&garbled).unwrap().blocks("anything"));
    }
}
