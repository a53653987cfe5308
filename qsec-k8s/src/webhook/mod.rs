//! The mutating admission webhook: pods annotated `qsec.io/inject: "true"`
//! get qsec as a JSON Patch computed by the same
//! [`inject`](crate::inject::inject) as `qsec deploy render` uses, so pods
//! from charts qsec did not render (third-party Helm charts) get it too.
//!
//! [`review`] is the whole decision, pure; [`router`] serves it at
//! `POST /mutate`; [`WebhookServer`] runs that over TLS with
//! [`ReloadingTls`].
//!
//! ```
//! use axum::body::Body;
//! use axum::http::Request;
//! use qsec_k8s::inject::InjectSettings;
//! use tower::ServiceExt;
//!
//! # tokio::runtime::Runtime::new()?.block_on(async {
//! let app = qsec_k8s::webhook::router(InjectSettings::default())?;
//! let response = app.oneshot(Request::post("/mutate").body(Body::from("not json"))?).await?;
//! assert_eq!(response.status(), 400);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod review;
mod server;
mod tls;

pub use review::{Answer, review};
pub use server::{HEALTH_PATH, MUTATE_PATH, WebhookServer, router};
pub use tls::{ReloadingTls, TlsFiles};
