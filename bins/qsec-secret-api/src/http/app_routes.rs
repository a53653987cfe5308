//! `POST /v1/apps/{provider}/{cluster}/{app}/role-id` and
//! `POST .../secret-id-token`.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::json;

use super::AppState;
use super::guard::{Ctx, Done, Target};
use crate::authz::Verb;

/// The path parameters of app endpoints.
pub(crate) type AppPath = Path<(String, String, String)>;

/// The target of an app endpoint, from its path.
pub(crate) fn app_target(path: Result<AppPath, PathRejection>) -> Target {
    Target { app: path.map(|Path(parts)| parts).map_err(|e| e.body_text()), secret: None, version: None }
}

/// Ensures the app's Vault objects and answers its RoleID.
pub(crate) async fn role_id(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<AppPath, PathRejection>,
) -> Response {
    let apps = &state.apps;
    state
        .guarded(&headers, Verb::RoleId, app_target(path), |ctx: Ctx| async move {
            let answer = apps.role_id(&ctx.app).await?;
            let reason = if answer.changes.is_empty() {
                "already provisioned; RoleID returned".to_owned()
            } else {
                format!("provisioned ({}); RoleID returned", answer.changes.join(", "))
            };
            Ok(Done {
                body: json!({
                    "app": ctx.app.to_string(),
                    "role_id": answer.role_id.expose_secret(),
                    "role_name": answer.role_name,
                    "changes": answer.changes,
                }),
                reason,
                version: None,
            })
        })
        .await
}

/// Mints a short-lived token that can create SecretIDs for the app only.
pub(crate) async fn secret_id_token(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<AppPath, PathRejection>,
) -> Response {
    let apps = &state.apps;
    state
        .guarded(&headers, Verb::SecretIdToken, app_target(path), |ctx: Ctx| async move {
            let token = apps.secret_id_token(&ctx.app, &ctx.identity.subject).await?;
            Ok(Done {
                reason: format!("get-secret-id token issued (accessor {}, ttl {}s)", token.accessor, token.ttl),
                body: json!({
                    "app": ctx.app.to_string(),
                    "token": token.token.expose_secret(),
                    "accessor": token.accessor,
                    "ttl": token.ttl,
                    "policies": token.policies,
                    "role_name": token.role_name,
                    "secret_id_path": token.secret_id_path,
                }),
                version: None,
            })
        })
        .await
}
