//! Turning [`Settings`] into the parts of the flow: the app's plan, the
//! Vault client configuration, the logins and the hand-over.

use std::path::Path;

use qsec_core::{AppPlan, KvMount, KvVersion, QsecLayout, RoleId};
use qsec_template::VaultFunctionsConfig;
use qsec_template::config_dir::{CheckCommand, ConfigDirOptions};
use qsec_vault::VaultConfig;
use serde_json::{Map, Value, json};

use crate::error::{Error, one_line};
use crate::handover::Handover;
use crate::login::{AppRoleLogin, KubernetesLogin};
use crate::settings::Settings;

impl Settings {
    /// The layout: the `--layout` file or the design's default, with
    /// `--role-separator`, `--kv-version` and `--approle-mount` applied.
    pub fn layout(&self) -> Result<QsecLayout, Error> {
        let mut layout = match &self.layout {
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| Error::settings("--layout", read_error(path, e)))?;
                serde_json::from_str(&text)
                    .map_err(|e| Error::settings("--layout", format!("{} is not a qsec layout: {e}", path.display())))?
            }
            None => QsecLayout::default(),
        };
        if let Some(separator) = &self.role_separator {
            layout.naming.role_separator.clone_from(separator);
        }
        if let Some(mount) = &self.approle_mount {
            layout.naming.approle_mount = mount.trim_matches('/').to_owned();
        }
        if let Some(version) = self.kv_version {
            let version = if version == 1 { KvVersion::V1 } else { KvVersion::V2 };
            match layout.policies.kv_mounts.iter_mut().find(|mount| mount.path == "secret") {
                Some(mount) => mount.version = version,
                None => layout.policies.kv_mounts.push(KvMount { path: "secret".into(), version }),
            }
        }
        layout.validate().map_err(|e| Error::settings("layout", e))?;
        Ok(layout)
    }

    /// The app's plan under [`Settings::layout`], its AppRole renamed by
    /// `--role-name` if given.
    pub fn plan(&self) -> Result<AppPlan, Error> {
        let mut plan = self.layout()?.plan(&self.app).map_err(|e| Error::settings("--app", e))?;
        if let Some(name) = &self.role_name {
            let name = name.trim();
            if name.is_empty() || name.contains('/') {
                return Err(Error::settings("--role-name", format!("{name:?} is not an AppRole name")));
            }
            plan.names.approle = name.to_owned();
        }
        Ok(plan)
    }

    /// The Vault client's configuration: `--vault-addr` and `--vault-cacert`
    /// (`VAULT_ADDR`, `VAULT_CACERT`) and the vault CLI's other `VAULT_*`
    /// variables, except `VAULT_TOKEN`: `qsec-init` only ever uses the token
    /// it logs in for.
    pub fn vault_config(&self) -> Result<VaultConfig, Error> {
        VaultConfig::from_lookup(|name| match name {
            "VAULT_ADDR" => self.vault_addr.clone(),
            "VAULT_CACERT" => self.vault_cacert.as_ref().map(|path| path.display().to_string()),
            "VAULT_TOKEN" => None,
            other => std::env::var(other).ok(),
        })
        .map(|config| match self.vault_source_ip {
            Some(ip) => config.with_local_address(ip),
            None => config.with_loopback_source(self.listen.ip()),
        })
        .map_err(Error::vault_setting)
    }

    /// The RoleID: `--role-id` (`QSEC_ROLE_ID`) if set, else the contents of
    /// `--role-id-file`, trimmed.
    pub fn read_role_id(&self) -> Result<RoleId, Error> {
        let path = &self.role_id_file;
        if let Some(id) = self.role_id.as_ref().map(|id| id.expose_secret().trim()).filter(|id| !id.is_empty()) {
            return Ok(RoleId::new(id));
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::RoleId { path: path.clone(), reason: one_line(read_error(path, e)) })?;
        match text.trim() {
            "" => Err(Error::RoleId { path: path.clone(), reason: format!("{} is empty", path.display()) }),
            id => Ok(RoleId::new(id)),
        }
    }

    /// The AppRole login: the RoleID, the mount, and the secret-id path a
    /// wrapped SecretID must come from.
    pub fn approle_login(&self, plan: &AppPlan) -> Result<AppRoleLogin, Error> {
        Ok(AppRoleLogin {
            mount: plan.names.approle_mount.clone(),
            role_id: self.read_role_id()?,
            secret_id_path: plan.names.secret_id_path(),
        })
    }

    /// The Kubernetes login, for `--auth kubernetes`.
    pub fn kubernetes_login(&self) -> Result<KubernetesLogin, Error> {
        let role = self.kubernetes_role.clone().filter(|role| !role.trim().is_empty());
        let role = role.ok_or_else(|| Error::settings("--role", "--auth kubernetes needs the Kubernetes auth role"))?;
        Ok(KubernetesLogin {
            mount: self.kubernetes_mount.trim_matches('/').to_owned(),
            role,
            jwt_path: self.jwt_path.clone(),
        })
    }

    /// The hand-over: rendering options, template data and volumes. Checks
    /// that the config source is a directory, so a mistake there shows
    /// before a SecretID is spent.
    pub fn handover(&self, plan: &AppPlan) -> Result<Handover, Error> {
        if !self.config_source.is_dir() {
            return Err(Error::settings(
                "--config-source",
                format!(
                    "{} is not a directory; bake the app's config/ into the image there",
                    self.config_source.display()
                ),
            ));
        }
        let check = self.check.as_deref().and_then(|line| {
            let mut words = line.split_whitespace();
            let program = words.next()?;
            let mut command = CheckCommand::new(program, words);
            command.timeout = self.check_timeout;
            Some(command)
        });
        let options =
            ConfigDirOptions { file_mode: self.file_mode, data: self.template_data(), check, ..Default::default() };
        Ok(Handover {
            plan: plan.clone(),
            functions: VaultFunctionsConfig {
                app: Some(plan.clone()),
                database_mount: self.database_mount.trim_matches('/').to_owned(),
                aws_mount: self.aws_mount.trim_matches('/').to_owned(),
                pki_issue_path: self.pki_issue_path.trim_matches('/').to_owned(),
            },
            deny_functions: self
                .deny_functions
                .iter()
                .map(|name| name.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect(),
            config_source: self.config_source.clone(),
            config_dir: self.config_dir.clone(),
            lease_dir: self.lease_dir.clone(),
            options,
            render_timeout: self.render_timeout,
        })
    }

    /// The dot of every template: `provider`, `cluster`, `app`, `appRef`,
    /// and `pod` with `name`, `namespace` and `ip` where they are set.
    ///
    /// ```
    /// use clap::Parser;
    /// let settings = qsec_init::Settings::try_parse_from(["qsec-init", "--app", "aws.stg.myapp", "--pod-ip", "10.0.0.7"])?;
    /// let dot = settings.template_data();
    /// assert_eq!(dot["appRef"], "aws.stg.myapp");
    /// assert_eq!(dot["pod"], serde_json::json!({ "ip": "10.0.0.7" }));
    /// # Ok::<(), clap::Error>(())
    /// ```
    pub fn template_data(&self) -> Value {
        let mut pod = Map::new();
        for (key, value) in [("name", &self.pod_name), ("namespace", &self.pod_namespace), ("ip", &self.pod_ip)] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                pod.insert(key.to_owned(), Value::String(value.to_owned()));
            }
        }
        json!({
            "provider": self.app.provider(),
            "cluster": self.app.cluster(),
            "app": self.app.app(),
            "appRef": self.app.to_string(),
            "pod": pod,
        })
    }
}

fn read_error(path: &Path, error: std::io::Error) -> String {
    format!("cannot read {}: {error}", path.display())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    fn settings(args: &[&str]) -> Settings {
        Settings::try_parse_from(["qsec-init", "--app", "aws.stg.myapp"].iter().chain(args)).unwrap()
    }

    #[test]
    fn flags_override_the_layout_for_servers_that_reject_dots() {
        let plan =
            settings(&["--role-separator", "-", "--kv-version", "1", "--approle-mount", "/apps/"]).plan().unwrap();
        assert_eq!(plan.names.approle, "aws-stg-myapp");
        assert_eq!(plan.names.secret_id_path(), "auth/apps/role/aws-stg-myapp/secret-id");
        assert_eq!(plan.kv_read_path("secret/myapp/db"), "secret/myapp/db");
        let plan = settings(&["--kv-version", "2", "--role-name", "custom"]).plan().unwrap();
        assert_eq!(plan.kv_read_path("secret/myapp/db"), "secret/data/myapp/db");
        assert_eq!(plan.names.secret_id_path(), "auth/approle/role/custom/secret-id");
        let error = settings(&["--role-separator", "/"]).plan().unwrap_err();
        assert!(error.to_string().starts_with("invalid setting layout: "), "{error}");
    }

    #[test]
    fn a_layout_file_is_read_and_flags_still_win() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("layout.json");
        std::fs::write(
            &path,
            r#"{"naming": {"role_separator": "_"}, "policies": {"kv_mounts": [{"path": "secret", "version": "v2"}]}}"#,
        )
        .unwrap();
        let path = path.to_str().unwrap();
        let plan = settings(&["--layout", path]).plan().unwrap();
        assert_eq!(plan.names.approle, "aws_stg_myapp");
        assert_eq!(plan.kv_read_path("secret/myapp/db"), "secret/data/myapp/db");
        let plan = settings(&["--layout", path, "--kv-version", "1"]).plan().unwrap();
        assert_eq!(plan.kv_read_path("secret/myapp/db"), "secret/myapp/db");
        std::fs::write(dir.path().join("bad.json"), r#"{"naming": {"separator": "-"}}"#).unwrap();
        let bad = dir.path().join("bad.json");
        let error = settings(&["--layout", bad.to_str().unwrap()]).plan().unwrap_err();
        assert!(error.to_string().contains("is not a qsec layout") && error.exit_code() == 2, "{error}");
    }

    #[test]
    fn the_role_id_comes_from_the_variable_or_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("role-id");
        std::fs::write(&file, "role-from-file\n").unwrap();
        let file = file.to_str().unwrap();
        assert_eq!(settings(&["--role-id-file", file]).read_role_id().unwrap().expose_secret(), "role-from-file");
        let both = settings(&["--role-id-file", file, "--role-id", "role-from-env"]);
        assert_eq!(both.read_role_id().unwrap().expose_secret(), "role-from-env");
        let missing = settings(&["--role-id-file", "/nonexistent/role-id"]).read_role_id().unwrap_err();
        assert!(missing.to_string().starts_with("no RoleID: cannot read /nonexistent/role-id"), "{missing}");
        assert!(missing.to_string().ends_with("or set QSEC_ROLE_ID"), "{missing}");
    }

    #[test]
    fn the_vault_client_never_takes_an_ambient_token() {
        let config = settings(&["--vault-addr", "http://127.0.0.1:8200", "--vault-cacert", "/etc/ca.pem"])
            .vault_config()
            .unwrap();
        assert_eq!(config.address.as_str(), "http://127.0.0.1:8200/");
        assert_eq!(config.ca_cert, Some(qsec_vault::client::Pem::File("/etc/ca.pem".into())));
        assert!(config.token.is_none());
        let error = settings(&["--vault-addr", "vault:8200"]).vault_config().unwrap_err();
        assert!(error.to_string().contains("VAULT_ADDR"), "{error}");
    }

    #[test]
    fn the_handover_splits_the_check_command_and_needs_a_source_directory() {
        let dir = tempfile::tempdir().unwrap();
        let source = dir.path().to_str().unwrap();
        let s = settings(&[
            "--config-source",
            source,
            "--check",
            "/bin/check  --strict x",
            "--deny-functions",
            "env, rawWrite",
        ]);
        let handover = s.handover(&s.plan().unwrap()).unwrap();
        let check = handover.options.check.unwrap();
        assert_eq!(
            (check.program.to_str().unwrap(), check.args.as_slice()),
            ("/bin/check", &["--strict".to_owned(), "x".to_owned()][..])
        );
        assert_eq!(handover.deny_functions, ["env", "rawWrite"]);
        assert_eq!(handover.options.file_mode, 0o400);
        assert_eq!(handover.options.data["pod"], json!({}));
        let missing = settings(&["--config-source", "/nonexistent"]);
        let error = missing.handover(&missing.plan().unwrap()).unwrap_err();
        assert!(error.to_string().contains("/nonexistent is not a directory"), "{error}");
    }
}
