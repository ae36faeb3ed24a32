//! A section that cannot run says why and the run goes on: each section runs in
//! [`attempt`], which turns its panic (a failed statement, a tool that would not run) into a
//! line for RESULTS.md, so one broken part costs its own figures and not the whole report. The
//! driver still exits non-zero after writing the report when any section failed, so a smoke
//! run notices.

use std::panic::{catch_unwind, AssertUnwindSafe};

/// What a section's panic said, in one line.
pub fn reason(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("it panicked without a message");
    // RESULTS.md gets one line: the first of the message, and a count of the rest.
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("it panicked with an empty message").to_owned();
    match lines.count() {
        0 => first,
        more => format!("{first} (and {more} more lines on stderr)"),
    }
}

/// Runs `section`; its panic, as [`reason`] puts it, if it has one. The panic's own message
/// and backtrace still go to stderr.
pub fn attempt<T>(section: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(section)).map_err(|payload| reason(payload.as_ref()))
}

/// RESULTS.md's line for a section that could not run.
pub fn not_run(what: &str, why: &str) -> String {
    format!("**Not run:** {what} could not run: {why}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_first_line() {
        assert_eq!(attempt(|| 7), Ok(7));
        assert_eq!(attempt(|| -> i32 { panic!("pgbench native_assign: aborted") }), Err("pgbench native_assign: aborted".into()));
        let two_lines = attempt(|| -> i32 { panic!("perf record failed\n[ perf record: Woken up 3 times ]\n") });
        assert_eq!(two_lines, Err("perf record failed (and 1 more lines on stderr)".into()));
        assert_eq!(attempt(|| -> i32 { panic!("") }), Err("it panicked with an empty message".into()));
    }

    #[test]
    fn a_section_not_run_says_why() {
        assert_eq!(not_run("Profile", "no perf"), "**Not run:** Profile could not run: no perf\n");
    }
}
