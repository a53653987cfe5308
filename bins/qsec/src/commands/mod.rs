//! One module per subcommand group; each only parses and wires.

pub(crate) mod api;
pub(crate) mod app;
pub(crate) mod completions;
pub(crate) mod demo;
pub(crate) mod deploy;
pub(crate) mod dev;
pub(crate) mod pod_process;
pub(crate) mod secrets;
pub(crate) mod template;
