//! qsec's Kubernetes side: the annotations that tie a pod to its app, pod
//! injection, the Secret Controller and the admission webhook.
//!
//! ```
//! use std::collections::BTreeMap;
//! use qsec_k8s::annotations::{self, APPROLE, INIT_PORT};
//!
//! let pod_annotations = BTreeMap::from([
//!     (APPROLE.to_string(), "aws.stg.myapp".to_string()),
//!     (INIT_PORT.to_string(), "8100".to_string()),
//! ]);
//! let app = annotations::app_of(&pod_annotations)?.expect("annotated");
//! assert_eq!(app.to_string(), "aws.stg.myapp");
//! assert_eq!(annotations::init_port(&pod_annotations)?, 8100);
//! # Ok::<(), qsec_k8s::Error>(())
//! ```

pub mod annotations;
mod error;

pub use error::{Error, Result};
