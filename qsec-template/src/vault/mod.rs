//! The Vault side of templates: the seed's Vault functions and the
//! renderer that fetches what they need between passes.

mod functions;
mod renderer;
mod scrub;
mod session;

pub use functions::{VAULT_FUNCTIONS, VaultFunctionsConfig, register};
pub use renderer::{DEFAULT_CONCURRENCY, DEFAULT_MAX_PASSES, VaultRenderer, VaultRendererBuilder};
