//! The example app the demo deploys (examples/myapp, embedded so the demo
//! runs from any directory) and the deployer's output read back: the
//! Deployment's pod template made into one pod, its ConfigMaps and Secrets.

use std::path::Path;

use anyhow::{Context, bail};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Pod, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

/// The app, as the deployer and the pod name it.
pub(crate) const APP: &str = "aws.stg.myapp";

/// examples/myapp as its team keeps it: the workload and the config dir.
const FILES: &[(&str, &str)] = &[
    ("deployment.yaml", include_str!("../../../../../examples/myapp/deployment.yaml")),
    ("config/local.yml.tmpl", include_str!("../../../../../examples/myapp/config/local.yml.tmpl")),
    ("config/staging.yml", include_str!("../../../../../examples/myapp/config/staging.yml")),
    ("config/production.yml", include_str!("../../../../../examples/myapp/config/production.yml")),
];

/// Writes examples/myapp under `dir`.
pub(crate) fn write_example(dir: &Path) -> anyhow::Result<()> {
    for (name, text) in FILES {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// What `qsec deploy render --config-from configmap` wrote.
pub(crate) struct Rendered {
    pub(crate) deployment: Deployment,
    pub(crate) config_maps: Vec<ConfigMap>,
    pub(crate) secrets: Vec<Secret>,
}

impl Rendered {
    /// Reads `manifests.yaml`.
    pub(crate) fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let mut deployment = None;
        let (mut config_maps, mut secrets) = (Vec::new(), Vec::new());
        for document in qsec_k8s::workloads::parse_documents(&text)? {
            let kind = document.get("kind").and_then(|kind| kind.as_str()).unwrap_or_default().to_owned();
            let parse = |what: &str| format!("{}: a {what} that does not parse", path.display());
            match kind.as_str() {
                "Deployment" => {
                    deployment = Some(serde_yaml_ng::from_value(document).with_context(|| parse("Deployment"))?)
                }
                "ConfigMap" => {
                    config_maps.push(serde_yaml_ng::from_value(document).with_context(|| parse("ConfigMap"))?)
                }
                "Secret" => secrets.push(serde_yaml_ng::from_value(document).with_context(|| parse("Secret"))?),
                _ => {}
            }
        }
        let Some(deployment) = deployment else { bail!("{}: no Deployment", path.display()) };
        Ok(Self { deployment, config_maps, secrets })
    }

    /// One pod of the Deployment, as its ReplicaSet would create it.
    pub(crate) fn pod(&self, suffix: &str) -> anyhow::Result<Pod> {
        let name = self.deployment.metadata.name.clone().context("the Deployment has no name")?;
        let spec = self.deployment.spec.as_ref().context("the Deployment has no spec")?;
        let template = spec.template.clone();
        let meta = template.metadata.unwrap_or_default();
        Ok(Pod {
            metadata: ObjectMeta {
                name: Some(format!("{name}-{suffix}")),
                namespace: self.deployment.metadata.namespace.clone(),
                labels: meta.labels,
                annotations: meta.annotations,
                ..ObjectMeta::default()
            },
            spec: template.spec,
            status: None,
        })
    }
}
