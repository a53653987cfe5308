//! What the demo prints: a numbered line per step with its duration, an
//! indented detail block where there is something to show, a spinner while
//! it waits (on a terminal only), and the summary at the end.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Prints the story as it happens and remembers each step's timing.
pub(crate) struct Progress {
    started: Instant,
    fancy: bool,
    steps: Vec<(String, Duration)>,
}

impl Progress {
    /// `plain` forces plain lines; they are also what a pipe or a file gets.
    pub(crate) fn new(plain: bool) -> Self {
        Self { started: Instant::now(), fancy: !plain && std::io::stdout().is_terminal(), steps: Vec::new() }
    }

    /// A section heading: who acts next.
    pub(crate) fn section(&self, title: &str) {
        println!();
        println!("{}", self.paint("1", title));
    }

    /// Runs one step: shows `waiting` with a spinner while `work` runs,
    /// then the line `done(&result)` returns, with the time it took.
    pub(crate) async fn step<T, E>(
        &mut self,
        waiting: &str,
        work: impl Future<Output = Result<T, E>>,
        done: impl FnOnce(&T) -> String,
    ) -> Result<T, E> {
        let started = Instant::now();
        let result = if self.fancy { self.spin(waiting, work).await } else { work.await };
        let took = started.elapsed();
        match &result {
            Ok(value) => {
                let line = done(value);
                println!("  {} {line} {}", self.paint("32", "✓"), self.paint("2", &format!("({})", human(took))));
                self.steps.push((line, took));
            }
            Err(_) => {
                println!("  {} {waiting} {}", self.paint("31", "✗"), self.paint("2", &format!("({})", human(took))))
            }
        }
        let _ = std::io::stdout().flush();
        result
    }

    /// Indented lines under the last step: a command, a file, an answer.
    pub(crate) fn detail(&self, text: &str) {
        for line in text.lines() {
            println!("      {}", self.paint("2", line));
        }
    }

    /// A command line, as a person would type it.
    pub(crate) fn command(&self, line: &str) {
        println!("      {}", self.paint("36", &format!("$ {line}")));
    }

    /// The closing summary: the whole time, what the run proved (`facts`,
    /// one line each), and the slowest step, which is where the time went.
    pub(crate) fn summary(&self, facts: &[String]) {
        println!();
        println!(
            "{}",
            self.paint(
                "1",
                &format!("Done in {}: the whole story, for real, on this machine.", human(self.started.elapsed()))
            )
        );
        for fact in facts {
            println!("  {} {fact}", self.paint("32", "•"));
        }
        if let Some((line, took)) = self.steps.iter().max_by_key(|(_, took)| *took) {
            println!("  {}", self.paint("2", &format!("slowest step ({}): {line}", human(*took))));
        }
    }

    async fn spin<T>(&self, waiting: &str, work: impl Future<Output = T>) -> T {
        const FRAMES: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
        let mut work = std::pin::pin!(work);
        let mut ticker = tokio::time::interval(Duration::from_millis(80));
        let mut frame = 0;
        let result = loop {
            tokio::select! {
                result = &mut work => break result,
                _ = ticker.tick() => {
                    print!("\r  {} {waiting}\x1b[K", FRAMES[frame % FRAMES.len()]);
                    let _ = std::io::stdout().flush();
                    frame += 1;
                }
            }
        };
        print!("\r\x1b[K");
        result
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.fancy { format!("\x1b[{style}m{text}\x1b[0m") } else { text.to_owned() }
    }
}

/// `8 ms`, `1.24 s`: enough precision to compare steps.
pub(crate) fn human(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{} ms", duration.as_millis())
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(human(Duration::from_millis(8)), "8 ms");
        assert_eq!(human(Duration::from_millis(1240)), "1.24 s");
    }
}
