//! `qsec template ...`

use std::io::Write;

use clap::Subcommand;

#[derive(Subcommand)]
pub(crate) enum TemplateCommand {
    /// Render Go text/template + Sprig conformance cases: JSON lines
    /// {"id","template","data"} on stdin, {"id","output","error"} on stdout
    /// (the format of ../shared/conformance/run.sh).
    Conformance {
        /// Render each case this many times and print renders per second on stderr.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
        repeat: u32,
    },
}

pub(crate) fn run(command: TemplateCommand) -> anyhow::Result<()> {
    match command {
        TemplateCommand::Conformance { repeat } => {
            let stdin = std::io::stdin().lock();
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            let stats = qsec_template::conformance::run(stdin, &mut stdout, repeat as usize)?;
            stdout.flush()?;
            if repeat > 1 {
                let seconds = stats.elapsed.as_secs_f64();
                eprintln!(
                    "{} renders in {seconds:.3}s: {:.0} renders/s ({:.2} µs/render)",
                    stats.renders,
                    stats.renders_per_second(),
                    seconds * 1e6 / stats.renders.max(1) as f64
                );
            }
            Ok(())
        }
    }
}
