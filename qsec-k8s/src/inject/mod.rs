//! The pod mutation shared by `qsec deploy render` and the admission
//! webhook: [`inject`] adds `qsec-init`, `qsec-refresh`, the two memory
//! volumes and the annotations to a pod spec, as [`InjectSettings`] say.
//!
//! ```
//! use k8s_openapi::api::core::v1::{Container, PodSpec};
//! use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
//! use qsec_k8s::inject::{self, InjectSettings, Injection};
//!
//! let mut metadata = ObjectMeta::default();
//! let mut spec = PodSpec {
//!     containers: vec![Container { name: "app".into(), image: Some("myapp:1".into()), ..Container::default() }],
//!     ..PodSpec::default()
//! };
//! let app = "aws.stg.myapp".parse()?;
//! let settings = InjectSettings::default();
//!
//! assert_eq!(inject::inject(&mut metadata, &mut spec, &app, &settings)?, Injection::Injected);
//! let init: Vec<_> = spec.init_containers.iter().flatten().map(|c| c.name.as_str()).collect();
//! assert_eq!(init, ["qsec-init", "qsec-refresh"]);
//! assert_eq!(metadata.annotations.as_ref().unwrap()["qsec.io/approle"], "aws.stg.myapp");
//!
//! // Again: nothing changes.
//! let before = spec.clone();
//! assert_eq!(inject::inject(&mut metadata, &mut spec, &app, &settings)?, Injection::AlreadyInjected);
//! assert_eq!(spec, before);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod args;
mod mutate;
pub mod names;
mod parts;
mod settings;
#[cfg(test)]
mod tests;

pub use args::InjectArgs;
pub use mutate::{Injection, inject};
pub use settings::{
    ConfigFrom, DEFAULT_CONFIG_MOUNT_PATH, DEFAULT_REFRESH_PORT, InjectSettings, MeshExclusion, ROLE_ID_KEY,
    SidecarMode, VERSION, VaultCa, config_map_name, role_id_secret_name,
};
