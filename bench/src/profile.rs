//! Where a call's time goes: part of a full run of the release build where perf is installed
//! and we are root, or `--only profile` alone. For each operation, native, PL/pgSQL and floor
//! in turn, each on a fresh copy of the throughput pool: pgbench runs as in the throughput
//! table while `perf record` samples its two backends with call chains; profile_split then
//! splits the backend CPU per transaction into the SQL the function runs (inside
//! SPI_execute_plan), the function's own code around it (argument conversion, GUC reads, SPI
//! connect, error guards, plan lookup) and the rest of the transaction (protocol, commit).
//! Backend CPU per transaction = the CPU sampled, over the seconds sampled, over the run's TPS.
//!
//! The window must close before pgbench's backends exit: when they exit first, perf record
//! stops, sends its `sleep` SIGTERM and dies of that signal itself, printing no error. perf
//! takes about half a second to start sampling (more on a cold machine), so the run goes on
//! [`TRAIL`] seconds past the window's nominal end; the runs cannot exhaust the pool however
//! long they go (sizing.rs). One run that fails says why in its place; the others go on.

use crate::profile_split;
use crate::sections::attempt;
use crate::template::{Template, RUN};
use crate::{pgbench_with, LEADS};
use phone_holds_e2e::Cluster;
use std::os::unix::process::ExitStatusExt;
use std::process::Command;
use std::time::Duration;

/// Sampling rate: high enough for tenths of a microsecond per call over a few seconds.
pub const HZ: u32 = 1999;
/// Seconds sampled per run.
pub const SECONDS: u32 = 5;
/// Seconds pgbench runs before perf starts: connected and warm.
const LEAD_IN: u32 = 1;
/// Seconds pgbench goes on after the window's nominal end, for perf's own start. At 1 s the
/// window closed about half a second before the backends exited here: too close.
pub const TRAIL: u32 = 5;

/// Whether perf is installed and may sample other processes (root).
pub fn possible() -> bool {
    phone_holds_e2e::is_root() && Command::new("perf").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// The report, as text for RESULTS.md (the driver prints it), and why each run that could not
/// be profiled failed.
pub fn report(cluster: &Cluster, throughput: &Template) -> (String, Vec<String>) {
    let (mut out, mut failed) = (String::new(), Vec::new());
    for (op, function) in [("extend", "extend_phone_for_appointment"), ("complete", "complete_appointment_for_phone"), ("assign", "assign_phone_to_lead")] {
        for (variant, function) in [("native", Some(function)), ("plpgsql", Some(profile_split::PLPGSQL)), ("floor", None)] {
            eprintln!("bench: profile, {variant} {op}");
            match attempt(|| profile(cluster, throughput, &format!("{variant}_{op}"), function)) {
                Ok(text) => out.push_str(&format!("### {variant} {op}\n\n```\n{text}```\n\n")),
                Err(why) => {
                    out.push_str(&format!("### {variant} {op}\n\n{}\n", crate::sections::not_run("this profile", &why)));
                    failed.push(format!("profile of {variant} {op}: {why}"));
                }
            }
        }
    }
    (out, failed)
}

/// `function`: the SQL function's C name, for native; `None` for the floor.
fn profile(cluster: &Cluster, throughput: &Template, script: &str, function: Option<&str>) -> String {
    let database = throughput.copy(cluster);
    let data = cluster.path("perf.data");
    let settings = if script.starts_with("native") { "-c phone_holds.notify=off" } else { "" };
    let length = format!("-T {}", LEAD_IN + SECONDS + TRAIL);
    let tps = std::thread::scope(|s| {
        let run = s.spawn(|| pgbench_with(cluster, database, script, &length, settings).0);
        std::thread::sleep(Duration::from_secs(LEAD_IN.into()));
        let mut c = cluster.connect();
        let pids: Option<String> = c
            .query_one("SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE datname = $1 AND application_name = 'pgbench'", &[&RUN])
            .unwrap()
            .get(0);
        let pids = pids.unwrap_or_else(|| panic!("no pgbench backend on {RUN} {LEAD_IN} s after pgbench started"));
        let recorded = Command::new("perf")
            .args(["record", "-F", &HZ.to_string(), "--call-graph", "dwarf,32768", "-p", &pids, "-o", &data, "--", "sleep", &SECONDS.to_string()])
            .output()
            .expect("perf (Debian: linux-perf) runs");
        // pgbench's own failure first: its message says more than perf's.
        let tps = run.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        assert!(
            recorded.status.signal() != Some(15),
            "pgbench's backends exited before perf's {SECONDS} s window closed, {TRAIL} s after it should have (perf record then dies of the SIGTERM it sends its `sleep`)"
        );
        assert!(
            recorded.status.success(),
            "perf record of backends {pids} ({}): {}{}",
            recorded.status,
            String::from_utf8_lossy(&recorded.stdout),
            String::from_utf8_lossy(&recorded.stderr)
        );
        tps
    });
    let script_out = Command::new("perf").args(["script", "-F", "tid,ip,sym,dso", "-i", &data]).output().expect("perf script runs");
    assert!(script_out.status.success(), "perf script: {}", String::from_utf8_lossy(&script_out.stderr));
    let split = profile_split::split(&String::from_utf8_lossy(&script_out.stdout), function);
    // The samples span the `sleep` perf ran; the transactions in it, from the run's rate.
    let window = f64::from(SECONDS);
    let share = if function.is_some() {
        format!("the function's own code around its SQL: {:.1} % of the backend's time\n", 100.0 * split.around() as f64 / split.samples as f64)
    } else {
        String::new()
    };
    format!("pgbench, 2 clients, {LEADS} leads: {tps:.0} TPS; {window:.0} s sampled\n{share}{}", split.show(f64::from(HZ), tps * window))
}
