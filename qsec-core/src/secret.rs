//! Types for credentials and secret values. Their `Debug` and `Display`
//! never show the value; reading it takes an explicit `expose_secret()`.
//!
//! Serializing one *does* write the value: serialization is how a token
//! reaches Vault, the lease file or the init container, and every such place
//! is chosen on purpose. Never serialize these into logs.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What `Debug` and `Display` print in place of a secret value.
pub const REDACTED: &str = "[redacted]";

macro_rules! secret_string_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone)]
        pub struct $name(SecretString);

        impl $name {
            /// Wraps a value; it is zeroed from memory when dropped.
            pub fn new(value: impl Into<String>) -> Self {
                Self(SecretString::from(value.into()))
            }

            /// The value itself. Call only where it must leave the process
            /// (a request body, a file) and never pass it to a logger.
            pub fn expose_secret(&self) -> &str {
                self.0.expose_secret()
            }
        }

        impl From<String> for $name {
            fn from(value: String) -> Self {
                Self::new(value)
            }
        }

        impl From<&str> for $name {
            fn from(value: &str) -> Self {
                Self::new(value)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), REDACTED)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(REDACTED)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.expose_secret())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                String::deserialize(deserializer).map(Self::new)
            }
        }
    };
}

secret_string_type!(
    /// A Vault token (`X-Vault-Token`): whoever holds it acts as its owner.
    VaultToken
);
secret_string_type!(
    /// An AppRole SecretID: the half of the login the controller delivers.
    SecretId
);
secret_string_type!(
    /// An AppRole RoleID: the half of the login baked into the init image.
    /// Less sensitive than a SecretID, but still half a credential.
    RoleId
);
secret_string_type!(
    /// A response-wrapping token: single use, unwraps to the wrapped secret.
    WrappingToken
);
secret_string_type!(
    /// A password, such as a database credential.
    Password
);
secret_string_type!(
    /// A PEM private key.
    PrivateKey
);
secret_string_type!(
    /// Text that may hold secrets, such as a rendered config file.
    SecretText
);
secret_string_type!(
    /// A JSON Web Token used as a credential (e.g. a service-account token).
    Jwt
);

/// The `data` of a Vault response: secret values, as JSON.
///
/// `Debug` lists only the top-level keys, so a response can be logged for
/// its shape without leaking what it holds.
#[derive(Clone, Default, PartialEq)]
pub struct SecretData(serde_json::Value);

impl SecretData {
    /// Wraps a JSON value.
    pub fn new(value: serde_json::Value) -> Self {
        Self(value)
    }

    /// The JSON value itself.
    pub fn expose_secret(&self) -> &serde_json::Value {
        &self.0
    }

    /// Unwraps into the JSON value.
    pub fn into_exposed(self) -> serde_json::Value {
        self.0
    }

    /// The value at a top-level key, if the data is an object holding it.
    pub fn get(&self, key: &str) -> Option<&serde_json::Value> {
        self.0.get(key)
    }

    /// The string at a top-level key, if there is one.
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(serde_json::Value::as_str)
    }
}

impl From<serde_json::Value> for SecretData {
    fn from(value: serde_json::Value) -> Self {
        Self(value)
    }
}

impl fmt::Debug for SecretData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            serde_json::Value::Object(map) => {
                f.debug_struct("SecretData").field("keys", &map.keys().collect::<Vec<_>>()).finish()
            }
            serde_json::Value::Null => f.write_str("SecretData(null)"),
            _ => write!(f, "SecretData({REDACTED})"),
        }
    }
}

impl fmt::Display for SecretData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl Serialize for SecretData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for SecretData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        serde_json::Value::deserialize(deserializer).map(Self)
    }
}
