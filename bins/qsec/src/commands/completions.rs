//! `qsec completions SHELL`: the shell completion script, on stdout.

use clap::Command;
use clap_complete::Shell;

/// Prints the completion script of `command` for `shell`.
pub(crate) fn run(shell: Shell, mut command: Command) -> anyhow::Result<()> {
    let name = command.get_name().to_owned();
    clap_complete::generate(shell, &mut command, name, &mut std::io::stdout());
    Ok(())
}
