//! One module per subcommand group; each only parses and wires.

pub(crate) mod app;
pub(crate) mod deploy;
pub(crate) mod dev;
pub(crate) mod template;
