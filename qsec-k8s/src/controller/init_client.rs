//! Talking to a pod's `qsec-init`: is it waiting (`GET /healthz`), and the
//! delivery itself (`POST /v1/secret-id` with the wrapping token), on one
//! HTTP/1.1 connection per delivery. Pod IPs are never proxied (a proxy would
//! also see the wrapping token) and never pooled: each pod is talked to
//! twice, once.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use qsec_core::WrappingToken;
use qsec_core::delivery::{DELIVERY_PATH, HEALTH_PATH, SecretIdDelivery};

/// What `qsec-init` said to `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Readiness {
    /// Waiting for a SecretID.
    Waiting,
    /// Answered, but not waiting (processing another delivery, or done).
    Busy(String),
    /// No answer: refused, timed out, or not HTTP.
    Unreachable(String),
}

/// What `qsec-init` said to the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    /// 200: it logged in with the SecretID.
    Accepted,
    /// Any other answer, or none; the reason says which.
    Failed(String),
}

/// Connects to `qsec-init` endpoints, with these timeouts.
#[derive(Debug, Clone, Copy)]
pub struct InitClient {
    probe_timeout: Duration,
    delivery_timeout: Duration,
}

/// One connection to one `qsec-init`: the probe, then the delivery.
pub struct InitConnection {
    addr: SocketAddr,
    sender: Option<SendRequest<Full<Bytes>>>,
    client: InitClient,
}

impl InitClient {
    /// A client with these timeouts.
    pub fn new(probe_timeout: Duration, delivery_timeout: Duration) -> Self {
        Self { probe_timeout, delivery_timeout }
    }

    /// Asks `qsec-init` at `ip:port` whether it waits for a SecretID; the
    /// connection stays open for the delivery that may follow.
    pub async fn probe(&self, ip: IpAddr, port: u16) -> (Readiness, InitConnection) {
        let mut connection = InitConnection { addr: SocketAddr::new(ip, port), sender: None, client: *self };
        let readiness = match connection.exchange(Method::GET, HEALTH_PATH, None, self.probe_timeout).await {
            Ok((status, body)) => match body["status"].as_str() {
                Some("waiting") if status.is_success() => Readiness::Waiting,
                Some(other) => Readiness::Busy(format!("GET {HEALTH_PATH} answered {status} status {other:?}")),
                None => Readiness::Busy(format!("GET {HEALTH_PATH} answered {status} without a status")),
            },
            Err(reason) => Readiness::Unreachable(reason),
        };
        (readiness, connection)
    }
}

impl InitConnection {
    /// The pod IP and port.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// POSTs the wrapping token, on the probe's connection if `qsec-init`
    /// kept it open, else on a new one; closes it after.
    pub async fn deliver(mut self, wrapping_token: WrappingToken) -> Delivered {
        let body = SecretIdDelivery::Wrapped { wrapped_secret_id: wrapping_token };
        let body = match serde_json::to_vec(&body) {
            Ok(body) => body,
            Err(error) => return Delivered::Failed(format!("encoding the delivery: {error}")),
        };
        let timeout = self.client.delivery_timeout;
        match self.exchange(Method::POST, DELIVERY_PATH, Some(body), timeout).await {
            Ok((status, _)) if status.is_success() => Delivered::Accepted,
            Ok((status, answer)) => {
                // qsec-init's error bodies never quote the token; keep them short anyway.
                let message: String = answer["error"].as_str().unwrap_or_default().chars().take(300).collect();
                Delivered::Failed(format!("POST {DELIVERY_PATH} answered {status}: {message}"))
            }
            Err(reason) => Delivered::Failed(format!("POST {DELIVERY_PATH}: {reason}")),
        }
    }

    /// One request and its JSON answer (`Null` when not JSON). A POST is the
    /// last request, so it asks `qsec-init` to close the connection.
    async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<(StatusCode, serde_json::Value), String> {
        let last = method == Method::POST;
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, self.addr.to_string())
            .header(header::ACCEPT, "application/json");
        if last {
            request = request.header(header::CONNECTION, "close").header(header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|error| format!("building the request: {error}"))?;
        let addr = self.addr;
        let exchange = async {
            let sender = self.sender(timeout).await?;
            let response = sender.send_request(request).await.map_err(|error| describe(addr, &error))?;
            let status = response.status();
            let bytes = response.into_body().collect().await.map_err(|error| describe(addr, &error))?.to_bytes();
            Ok((status, serde_json::from_slice(&bytes).unwrap_or_default()))
        };
        let answer = tokio::time::timeout(timeout, exchange)
            .await
            .unwrap_or_else(|_| Err(format!("{addr}: no answer within {}s", timeout.as_secs_f32())));
        if last || answer.is_err() {
            self.sender = None;
        }
        answer
    }

    /// The open connection, or a new one if there is none or `qsec-init`
    /// closed it since.
    async fn sender(&mut self, timeout: Duration) -> Result<&mut SendRequest<Full<Bytes>>, String> {
        if self.sender.as_ref().is_some_and(|sender| sender.is_closed()) {
            self.sender = None;
        }
        if self.sender.is_none() {
            let addr = self.addr;
            let connect_timeout = timeout.min(self.client.probe_timeout);
            let stream = tokio::time::timeout(connect_timeout, tokio::net::TcpStream::connect(addr))
                .await
                .map_err(|_| format!("{addr}: connection timed out after {}s", connect_timeout.as_secs_f32()))?
                .map_err(|error| format!("{addr}: {error}"))?;
            // Small requests, answered at once: no Nagle delay.
            let _ = stream.set_nodelay(true);
            let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .map_err(|error| describe(addr, &error))?;
            // Drives the connection until both sides are done with it.
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        let sender = self.sender.as_mut().ok_or_else(|| format!("{addr}: no connection", addr = self.addr))?;
        sender.ready().await.map_err(|error| describe(self.addr, &error))?;
        Ok(sender)
    }
}

fn describe(addr: SocketAddr, error: &dyn std::error::Error) -> String {
    // The chain of causes says refused / reset / not HTTP.
    format!("{addr}: {}", qsec_core::error_chain(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_port_is_unreachable_and_a_delivery_there_fails() {
        // Bound, then dropped: nothing listens there any more.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client = InitClient::new(Duration::from_secs(1), Duration::from_secs(1));
        let (readiness, connection) = client.probe(IpAddr::from([127, 0, 0, 1]), port).await;
        assert!(matches!(&readiness, Readiness::Unreachable(reason) if reason.contains("refused")), "{readiness:?}");
        let token = WrappingToken::new("hvs.wrapping");
        assert!(matches!(connection.deliver(token).await, Delivered::Failed(reason) if reason.contains("POST")));
    }
}
