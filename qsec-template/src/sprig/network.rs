//! Sprig's `getHostByName`.

use std::net::ToSocketAddrs;

use super::conversion::s;
use crate::registry::{FuncError, FunctionRegistry, Param, Signature};
use crate::value::Value;

pub(super) fn register(r: &mut FunctionRegistry) {
    r.add("getHostByName", Signature::fixed(&[Param::Str]), |a| {
        let addrs: Vec<String> =
            (s(&a[0]), 0).to_socket_addrs().map(|it| it.map(|sa| sa.ip().to_string()).collect()).unwrap_or_default();
        if addrs.is_empty() {
            // Sprig indexes a random element of the empty answer and panics.
            return Err(FuncError::new("invalid argument to Intn"));
        }
        Ok(Value::from(addrs[rand::random_range(0..addrs.len())].clone()))
    });
}

#[cfg(test)]
mod tests {
    use crate::conformance::oracle_engine;

    #[test]
    fn resolves_localhost_and_fails_like_sprig_on_unknown_names() {
        let engine = oracle_engine();
        let ip =
            engine.render_json("t", "{{ getHostByName \"localhost\" }}", &serde_json::json!(null)).expect("resolves");
        assert!(ip == "127.0.0.1" || ip == "::1", "{ip}");
        assert!(
            engine.render_json("t", "{{ getHostByName \"no-such-host.invalid\" }}", &serde_json::json!(null)).is_err()
        );
    }
}
