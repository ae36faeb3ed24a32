//! Splits a backend profile (`perf script -F tid,ip,sym,dso` with call chains) by where the time
//! goes. A sample inside the function's pgrx wrapper and inside SPI_execute_plan is the SQL the
//! function runs; one inside the wrapper but not SPI is the native code around that SQL; one
//! outside the wrapper is the rest of the transaction. Each is named by the first of its part's
//! categories found anywhere in its chain.

use std::collections::BTreeMap;

/// The SQL's share, by the first of these found in the chain.
const SQL: &[(&[&str], &str)] = &[
    (&["GetCurrentTransactionId"], "transaction id (the write takes one anyway)"),
    (&["GetCachedPlan", "CheckCachedPlan", "AcquireExecutorLocks", "RevalidateCachedQuery"], "plan cache check and locks"),
    (&["GetTransactionSnapshot", "PushActiveSnapshot", "PopActiveSnapshot", "CommandCounterIncrement", "GetSnapshotData"], "snapshot per statement"),
    (&["ExecutorStart", "ExecInit"], "executor start"),
    (&["ExecutorEnd", "ExecEnd", "FreeExecutorState"], "executor end"),
    (&["spi_printtup", "spi_dest"], "result rows handed to SPI"),
];

/// The native code around the SQL, by the first of these found in the chain.
const AROUND: &[(&[&str], &str)] = &[
    (&["SPI_connect", "SPI_finish", "_SPI_begin_call", "_SPI_end_call"], "SPI connect and finish"),
    (&["plans::plan"], "plan lookup (the kept plan)"),
    (&["gucs::", "GucSetting", "GetConfigOption"], "GUC reads"),
    (
        &["FromDatum", "from_datum", "unbox_arg", "pg_detoast", "text_to_cstring", "from_utf8", "uuid", "Uuid", "time::instant", "pool::got", "to_pg", "IntoDatum", "DatumWithOid", "get_datum"],
        "argument and result conversion",
    ),
    (&["PgTryBuilder", "BTreeMap", "catch_unwind"], "error guards (sigsetjmp, catch_unwind)"),
    (&["rules::", "Outcome"], "hold rules"),
    (&["palloc", "pfree", "malloc", "free", "alloc::", "MemoryContext", "AllocSet"], "memory"),
];

/// A leaf in one of these is time in an error guard's own code.
const GUARDS: &[&str] = &["sigsetjmp", "run_guarded", "pg_guard_ffi_boundary", "_setjmp", "catch_unwind"];

/// Outside the function, by the first of these found in the chain.
const OUTSIDE: &[(&[&str], &str)] = &[
    (&["CommitTransactionCommand", "StartTransactionCommand", "AbortCurrentTransaction"], "transaction start and commit"),
    (&["secure_write", "secure_read", "pq_", "ReadCommand", "socket_", "ReadyForQuery"], "client protocol"),
    (&["PortalRun"], "the statement pgbench sends, outside the function"),
    (&["exec_bind_message", "PortalStart", "exec_parse_message", "CreatePortal", "PortalDrop"], "bind and portal start"),
];

/// PL/pgSQL's call handler, the frame of a PL/pgSQL function.
pub const PLPGSQL: &str = "plpgsql_call_handler";

const IN_SQL: &str = "its SQL (inside SPI_execute_plan)";
const AROUND_SQL: &str = "the function's own code around its SQL";
const OUTSIDE_CALL: &str = "the rest of the transaction";

/// Samples by part and by what each part was doing.
#[derive(Debug, Default)]
pub struct Split {
    pub samples: u64,
    pub parts: BTreeMap<&'static str, (u64, BTreeMap<&'static str, u64>)>,
}

impl Split {
    /// Samples in the function's own code, around its SQL.
    pub fn around(&self) -> u64 {
        self.parts.get(AROUND_SQL).map_or(0, |p| p.0)
    }

    /// The split in µs of backend CPU per transaction, `hz` samples a second over `transactions`.
    pub fn show(&self, hz: f64, transactions: f64) -> String {
        let us = |n: u64| n as f64 / hz * 1e6 / transactions;
        let mut out = format!("backend CPU per transaction: {:.1} µs ({} samples)\n", us(self.samples), self.samples);
        for part in [IN_SQL, AROUND_SQL, OUTSIDE_CALL] {
            let Some((n, what)) = self.parts.get(part) else { continue };
            out.push_str(&format!("  {part}: {:.2} µs\n", us(*n)));
            // The function's own code lists every kind, so a kind that costs nothing says so.
            let mut what = what.clone();
            if part == AROUND_SQL {
                for (_, name) in AROUND {
                    what.entry(name).or_default();
                }
            }
            let mut what: Vec<_> = what.iter().collect();
            what.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            for (name, n) in what {
                out.push_str(&format!("      {name}: {:.2} µs\n", us(*n)));
            }
        }
        out
    }
}

/// The first entry of `table` any of `frames` matches: the table's order says which of two
/// callers names the time (SPI_connect before the allocation it makes).
fn first_category(frames: &[&str], table: &[(&[&str], &'static str)]) -> Option<&'static str> {
    table.iter().find(|(needles, _)| frames.iter().any(|f| needles.iter().any(|n| f.contains(n)))).map(|t| t.1)
}

/// Splits `perf script -F tid,ip,sym,dso` output; `function` is the SQL function's C name, or
/// `plpgsql_call_handler` for a PL/pgSQL one (`None`: a statement with no function, the floor).
/// SPI_execute_plan_with_paramlist, PL/pgSQL's way in, counts as SPI_execute_plan.
pub fn split(perf_script: &str, function: Option<&str>) -> Split {
    let mut s = Split::default();
    let mut add = |part: &'static str, what: &'static str| {
        s.samples += 1;
        let entry = s.parts.entry(part).or_default();
        entry.0 += 1;
        *entry.1.entry(what).or_default() += 1;
    };
    // A sample: a header line, then its frames from the leaf up, one per indented line.
    for sample in perf_script.split("\n\n") {
        let frames: Vec<&str> = sample
            .lines()
            .filter(|l| l.starts_with(['\t', ' ']))
            .map(|l| l.trim().split_once(char::is_whitespace).map_or("?", |(_, sym)| sym.trim()))
            .collect();
        if frames.is_empty() {
            continue;
        }
        // In the function: below its frame (a pgrx function's wrapper, PL/pgSQL's call handler),
        // or, where the unwinder lost the way up (it does at pgrx's sigsetjmp), in its library
        // or in SPI.
        let own = |f: &str, frame: &str| frame.starts_with(f) && (f == PLPGSQL || frame.split(' ').next().is_some_and(|sym| sym.ends_with("_wrapper")));
        let wrapper = function.and_then(|f| frames.iter().position(|frame| own(f, frame)));
        let library = match function {
            Some(PLPGSQL) => "plpgsql.so",
            Some(_) => "phone_holds.so",
            None => "(no function)",
        };
        let inside = function.is_some() && (wrapper.is_some() || frames.iter().any(|f| f.contains(library) || f.contains("SPI_execute_plan")));
        if !inside {
            let stage = match (first_category(&frames, OUTSIDE), function) {
                (Some("the statement pgbench sends, outside the function"), None) => "the statement pgbench sends (all of it: no function)",
                (stage, _) => stage.unwrap_or("other"),
            };
            add(OUTSIDE_CALL, stage);
            continue;
        }
        let below = &frames[..wrapper.unwrap_or(frames.len())];
        // pgrx asks for the transaction id before a writing statement; the write would take it.
        if below.iter().any(|f| f.contains("SPI_execute_plan") || f.contains("GetCurrentTransactionId")) {
            add(IN_SQL, first_category(below, SQL).unwrap_or("executing the statements"));
        } else if GUARDS.iter().any(|g| frames[0].contains(g)) {
            add(AROUND_SQL, "error guards (sigsetjmp, catch_unwind)");
        } else {
            add(AROUND_SQL, first_category(below, AROUND).unwrap_or("other"));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sample as perf script prints it, each frame with its library: ours, PL/pgSQL's, the
    /// server's.
    fn sample(frames: &[&str]) -> String {
        let mut s = "123 \n".to_owned();
        for f in frames {
            let dso = if f.contains("phone_holds") || f.contains("_wrapper") || f.contains("run_guarded") {
                "/usr/lib/postgresql/15/lib/phone_holds.so"
            } else if f.starts_with("plpgsql") || f.starts_with("exec_") {
                "/usr/lib/postgresql/15/lib/plpgsql.so"
            } else {
                "/usr/lib/postgresql/15/bin/postgres"
            };
            s.push_str(&format!("\t          5d9428 {f} ({dso})\n"));
        }
        s
    }

    #[test]
    fn samples_fall_in_the_sql_around_it_or_outside() {
        let wrapper = ["complete_appointment_for_phone_wrapper", "ExecResult", "PortalRun", "PostgresMain"];
        let with = |leaf: &[&str]| sample(&[leaf, &wrapper].concat());
        let text = [
            with(&["_bt_compare", "ExecScan", "standard_ExecutorRun", "SPI_execute_plan", "phone_holds::spi::pool::Pool::run", "run_guarded"]),
            with(&["hash_search", "XactLockTableInsert", "GetCurrentTransactionId", "run_guarded"]),
            with(&["_int_malloc", "alloc::raw_vec::finish_grow", "phone_holds::spi::pool::noting", "run_guarded"]),
            with(&["run_guarded"]),
            with(&["AllocSetContextCreateInternal", "SPI_connect_ext", "pgrx::spi::client::SpiClient::connect", "run_guarded"]),
            // The unwinder lost the way up at pgrx's sigsetjmp: still the function's SQL.
            sample(&["_bt_compare", "ExecScan", "SPI_execute_plan", "cee_scape::call_from_c_to_rust"]),
            sample(&["_raw_spin_unlock", "secure_write", "PostgresMain"]),
            sample(&["ExecInitResult", "PortalStart", "PostgresMain"]),
        ]
        .join("\n");
        let s = split(&text, Some("complete_appointment_for_phone"));
        assert_eq!(s.samples, 8);
        let part = |p: &str| s.parts.get(p).map(|x| x.0).unwrap_or(0);
        assert_eq!((part(IN_SQL), part(AROUND_SQL), part(OUTSIDE_CALL)), (3, 3, 2));
        let around = &s.parts[AROUND_SQL].1;
        assert_eq!(around.get("memory"), Some(&1));
        assert_eq!(around.get("error guards (sigsetjmp, catch_unwind)"), Some(&1));
        assert_eq!(around.get("SPI connect and finish"), Some(&1));
        assert_eq!(s.parts[IN_SQL].1.get("transaction id (the write takes one anyway)"), Some(&1));
        assert_eq!(s.parts[OUTSIDE_CALL].1.get("client protocol"), Some(&1));
        assert_eq!(s.parts[OUTSIDE_CALL].1.get("bind and portal start"), Some(&1));
        // With no function (the floor), everything is the rest of the transaction.
        let floor = split(&text, None);
        assert_eq!((floor.samples, floor.around()), (8, 0));
        assert_eq!(floor.parts[OUTSIDE_CALL].1.get("the statement pgbench sends (all of it: no function)"), Some(&5));
        assert!(s.show(1000.0, 1.0).contains("the function's own code around its SQL: 3000.00 µs"));
        // PL/pgSQL's frame is its call handler; its statements go in through the paramlist form.
        let plpgsql = sample(&["_bt_compare", "SPI_execute_plan_with_paramlist", "exec_stmts", "plpgsql_call_handler", "ExecResult", "PortalRun"]);
        let s = split(&plpgsql, Some(PLPGSQL));
        assert_eq!(s.parts[IN_SQL].0, 1);
    }
}
