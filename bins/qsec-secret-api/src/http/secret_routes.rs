//! `PUT`/`GET /v1/apps/{provider}/{cluster}/{app}/secrets/{name}`,
//! `GET .../secrets/{name}/versions` and `POST .../secrets/{name}/rollback`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppState;
use super::guard::{Ctx, Done, Target};
use crate::authz::Verb;
use crate::error::Error;
use crate::secrets::rules::check_data;

type SecretPath = Path<(String, String, String, String)>;

#[derive(Deserialize)]
pub(crate) struct VersionQuery {
    version: Option<u64>,
}

fn secret_target(path: Result<SecretPath, PathRejection>, version: Option<u64>) -> Target {
    match path {
        Ok(Path((provider, cluster, app, name))) => {
            Target { app: Ok((provider, cluster, app)), secret: Some(name), version }
        }
        Err(rejection) => Target { app: Err(rejection.body_text()), secret: None, version },
    }
}

/// Writes the body (a key/value map) as the secret's newest version.
pub(crate) async fn put_secret(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<SecretPath, PathRejection>,
    body: Body,
) -> Response {
    let shared = &state;
    state
        .guarded(&headers, Verb::SecretsWrite, secret_target(path, None), |ctx: Ctx| async move {
            let data = check_data(shared.json_body(body).await?)?;
            shared.apps.require(&ctx.app).await?;
            let plan = shared.apps.plan(&ctx.app)?;
            let keys = data.len();
            let written = shared.secrets.set(&plan, &ctx.secret, data, &ctx.identity.subject).await?;
            Ok(Done {
                reason: format!("version {} written ({keys} keys)", written.version),
                version: Some(written.version),
                body: with_names(serde_json::to_value(&written).unwrap_or_default(), &ctx),
            })
        })
        .await
}

/// Reads the secret's values (the newest version, or `?version=N`).
pub(crate) async fn get_secret(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<SecretPath, PathRejection>,
    query: Result<Query<VersionQuery>, QueryRejection>,
) -> Response {
    let (version, query_error) = match query {
        Ok(Query(query)) => (query.version, None),
        Err(rejection) => (None, Some(rejection.body_text())),
    };
    let shared = &state;
    state
        .guarded(&headers, Verb::SecretsRead, secret_target(path, version), |ctx: Ctx| async move {
            if let Some(why) = query_error {
                return Err(Error::bad_request("version", format!("?version must be a positive whole number: {why}")));
            }
            shared.apps.require(&ctx.app).await?;
            let plan = shared.apps.plan(&ctx.app)?;
            let secret = shared.secrets.get(&plan, &ctx.secret, version.filter(|v| *v > 0)).await?;
            let body = json!({
                "version": secret.version,
                "created_time": secret.created_time,
                "author": secret.author,
                "data": Value::Object(secret.data),
            });
            Ok(Done {
                reason: format!("version {} read", secret.version),
                version: Some(secret.version),
                body: with_names(body, &ctx),
            })
        })
        .await
}

/// The secret's history: version, time, author, deleted; never values.
pub(crate) async fn versions(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<SecretPath, PathRejection>,
) -> Response {
    let shared = &state;
    state
        .guarded(&headers, Verb::SecretsHistory, secret_target(path, None), |ctx: Ctx| async move {
            shared.apps.require(&ctx.app).await?;
            let plan = shared.apps.plan(&ctx.app)?;
            let history = shared.secrets.history(&plan, &ctx.secret).await?;
            Ok(Done {
                reason: format!("history of {} versions read", history.versions.len()),
                version: Some(history.current_version),
                body: with_names(serde_json::to_value(&history).unwrap_or_default(), &ctx),
            })
        })
        .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RollbackBody {
    version: u64,
}

/// Writes the values of an older version (`{"version": N}`) as the newest.
pub(crate) async fn rollback(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    path: Result<SecretPath, PathRejection>,
    body: Body,
) -> Response {
    let shared = &state;
    state
        .guarded(&headers, Verb::SecretsWrite, secret_target(path, None), |ctx: Ctx| async move {
            let body = shared.json_body(body).await?;
            let request: RollbackBody = serde_json::from_value(body).map_err(|e| {
                Error::bad_request("rollback body", format!("expected {{\"version\": N}} with N a version number: {e}"))
            })?;
            if request.version == 0 {
                return Err(Error::bad_request("rollback body", "versions start at 1"));
            }
            shared.apps.require(&ctx.app).await?;
            let plan = shared.apps.plan(&ctx.app)?;
            let written = shared.secrets.rollback(&plan, &ctx.secret, request.version, &ctx.identity.subject).await?;
            Ok(Done {
                reason: format!("version {} restored as version {}", request.version, written.version),
                version: Some(written.version),
                body: with_names(serde_json::to_value(&written).unwrap_or_default(), &ctx),
            })
        })
        .await
}

/// Adds which app and secret an answer is about.
fn with_names(mut body: Value, ctx: &Ctx) -> Value {
    if let Value::Object(map) = &mut body {
        map.insert("app".into(), Value::from(ctx.app.to_string()));
        map.insert("name".into(), Value::from(ctx.secret.clone()));
    }
    body
}
