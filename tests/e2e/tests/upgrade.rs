//! Upgrades and data safety: every released version → current with the hand-written upgrade
//! scripts, and DROP EXTENSION then CREATE EXTENSION, each keeping every row of the pool and
//! the ledger and a working extension. (Dump and restore: tests/restore.rs.)

use phone_holds_e2e::release::Release;
use phone_holds_e2e::{catalog, pg_config, Cluster};
use postgres::Client;
use std::path::PathBuf;

/// Every released version, oldest first: each has its install script frozen under fixtures/
/// (phone_holds--<version>.sql), so a release whose script is frozen cannot be left out.
fn released() -> Vec<String> {
    let mut versions: Vec<String> = std::fs::read_dir(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures"))
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            Some(name.strip_prefix("phone_holds--")?.strip_suffix(".sql")?.to_owned())
        })
        .collect();
    versions.sort_by_key(|v| Release::new(v));
    versions
}

/// Everything the user owns, as text: every column of both tables, but the columns
/// phone_holds_setup() adds to tables made before they existed, empty: the ledger's lead_phone
/// (0.6.0; see `phones_recorded`), source and source_ref (0.7.0), geo_tier and reason (0.8.0),
/// and the pool's retired_at and retired_reason (0.8.0).
fn snapshot(c: &mut Client) -> String {
    c.query_one(
        "SELECT coalesce((SELECT string_agg((to_jsonb(p) - 'retired_at' - 'retired_reason')::text, E'\\n' ORDER BY p.number)
                            FROM public.signalwire_phone_numbers AS p), '')
             || E'\\n--\\n' ||
         coalesce((SELECT string_agg((to_jsonb(l) - 'lead_phone' - 'source' - 'source_ref' - 'geo_tier' - 'reason')::text, E'\\n' ORDER BY l.id)
                     FROM public.phone_hold_ledger AS l), '')",
        &[],
    )
    .unwrap()
    .get(0)
}

/// How many ledger rows record a lead's phone.
fn phones_recorded(c: &mut Client) -> i64 {
    c.query_one("SELECT count(*) FROM public.phone_hold_ledger AS l WHERE to_jsonb(l) ->> 'lead_phone' IS NOT NULL", &[])
        .unwrap()
        .get(0)
}

/// Asserts `e` is the refusal of tables older than the library serves: 55000, with a hint
/// naming setup (src/spi/shape.rs).
fn refused(e: postgres::Error, when: &str) {
    let e = e.as_db_error().unwrap_or_else(|| panic!("{when}: {e}"));
    assert_eq!(e.code().code(), "55000", "{when}: {e:?}");
    assert!(e.hint().unwrap_or_default().contains("SELECT phone_holds_setup()"), "{when}: {e:?}");
}

/// VAPI books for a lead on an outbound call (so the message proves the lead's phone), and an
/// inbound call asks who holds a number: inside a transaction that is rolled back. On tables
/// the library does not serve (not `served`), the booking is refused.
fn vapi_round_trip(c: &mut Client, when: &str, served: bool) {
    let book = include_str!("../../../examples/vapi/tool-calls-book.json");
    let held = include_str!("../../../examples/vapi/assistant-request-held.json");
    let mut t = c.transaction().unwrap();
    let booked = t.query_one("SELECT vapi_tool_calls($1::text::jsonb, '2025-10-18 12:00+00')", &[&book]);
    if !served {
        return refused(booked.map(|_| ()).expect_err(when), when);
    }
    let said: serde_json::Value = booked.unwrap_or_else(|e| panic!("{when}: booking: {e}")).get(0);
    assert!(said["results"][0]["result"].as_str().unwrap().starts_with("Booked"), "{when}: {said}");
    if let Ok(row) = t.query_one(
        "SELECT vapi_assistant_request($1::text, '2025-10-18 13:00+00', '5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c')",
        &[&held],
    ) {
        let answer: serde_json::Value = row.get(0);
        assert!(answer.get("assistantId").is_some() || answer.get("error").is_some(), "{when}: {answer}");
    } else {
        assert!(when.starts_with("before"), "{when}: vapi_assistant_request failed");
    }
    t.rollback().unwrap();
}

/// A Cal.com booking, inside a transaction that is rolled back: it works once setup has made
/// the bookings table, and until then says what to run. On tables the library does not serve
/// (not `served`), it is refused.
fn calendar_round_trip(c: &mut Client, when: &str, set_up: bool, served: bool) {
    let created = include_str!("../../../examples/calcom/booking-created.json");
    let mut t = c.transaction().unwrap();
    let booked = t.query_one("SELECT calcom_webhook($1, NULL, '2025-10-18 12:00+00')", &[&created]);
    if !served {
        return refused(booked.map(|_| ()).expect_err(when), when);
    }
    match booked {
        Ok(row) => {
            assert!(set_up, "{when}: the booking worked without the bookings table");
            let answer: serde_json::Value = row.get(0);
            assert_eq!(answer["action"], "booked", "{when}: {answer}");
            let noted: i64 = t.query_one("SELECT count(*) FROM phone_hold_ledger WHERE source = 'calcom' AND source_ref = 'bk_7Qm2fT9x'", &[]).unwrap().get(0);
            assert_eq!(noted, 2, "{when}: the ledger names the booking");
        }
        Err(e) => {
            let e = e.as_db_error().unwrap_or_else(|| panic!("{when}: {e}"));
            assert!(!set_up, "{when}: {e:?}");
            assert_eq!(e.code().code(), "42P01", "{when}: {e:?}");
            assert!(e.hint().unwrap_or_default().contains("phone_holds_setup()"), "{when}: {e:?}");
        }
    }
    t.rollback().unwrap();
}

/// A lead with a San Francisco phone gets a San Francisco number on tables that have the
/// columns local presence needs, and the number can be retired. On tables the library does not
/// serve (not `served`), the assignment is refused, and retiring says what to run. Inside a
/// transaction that is rolled back.
fn local_round_trip(c: &mut Client, when: &str, served: bool) {
    let mut t = c.transaction().unwrap();
    // Both never used: without local presence the first by number, +1212.
    t.batch_execute("SET LOCAL phone_holds.min_rest = 0; INSERT INTO signalwire_phone_numbers (number) VALUES ('+12125550100'), ('+14155550100')").unwrap();
    t.batch_execute("SAVEPOINT assign").unwrap();
    let assigned = t.query_one("SELECT assign_phone_to_lead('ffffffff-0000-4000-8000-000000000006', '2025-10-19 07:00+00', lead_phone => '+14155557000')", &[]);
    if served {
        let number: String = assigned.unwrap_or_else(|e| panic!("{when}: {e}")).get(0);
        assert_eq!(number, "+14155550100", "{when}");
        t.query_one("SELECT retire_phone_number('+14155550100', 'test')", &[]).unwrap_or_else(|e| panic!("{when}: {e}"));
    } else {
        refused(assigned.map(|_| ()).expect_err(when), when);
        t.batch_execute("ROLLBACK TO SAVEPOINT assign").unwrap();
        let retired = t.query_one("SELECT retire_phone_number('+14155550100', 'test')", &[]);
        refused(retired.map(|_| ()).expect_err(when), when);
    }
    t.rollback().unwrap();
}

/// A pool with every kind of hold in it, made through the functions.
fn fill(c: &mut Client) {
    c.batch_execute(
        "SET TimeZone = 'UTC';
         INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 6) AS i;
         SELECT assign_phone_to_lead('aaaaaaaa-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
         SELECT extend_phone_for_appointment('bbbbbbbb-0000-4000-8000-000000000002', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
         SELECT extend_phone_for_appointment('cccccccc-0000-4000-8000-000000000003', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
         SELECT complete_appointment_for_phone('cccccccc-0000-4000-8000-000000000003', 'no_show', '2025-10-20 15:00+00');
         SELECT assign_phone_to_lead('dddddddd-0000-4000-8000-000000000004', '2025-10-18 12:00+00');
         SELECT release_expired_phone_numbers('2025-10-19 06:00+00');",
    )
    .unwrap();
}

/// The rows fill() makes, written as releases before 0.8.0 wrote them, for their tables, which
/// this library refuses until setup: the same pool and the same ledger rows, in the columns
/// every release's ledger has.
fn fill_by_hand(c: &mut Client) {
    c.batch_execute(
        "SET TimeZone = 'UTC';
         INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 6) AS i;
         UPDATE signalwire_phone_numbers SET released_at = '2025-10-19 06:00+00' WHERE number IN ('+15550000001', '+15550000004');
         UPDATE signalwire_phone_numbers
            SET assignment_status = 'assigned', currently_assigned_to = 'bbbbbbbb-0000-4000-8000-000000000002',
                release_at = '2025-10-21 14:00+00', appointment_scheduled_at = '2025-10-20 14:00+00'
          WHERE number = '+15550000002';
         UPDATE signalwire_phone_numbers
            SET assignment_status = 'assigned', currently_assigned_to = 'cccccccc-0000-4000-8000-000000000003',
                release_at = '2025-10-21 15:00+00', appointment_scheduled_at = '2025-10-20 14:00+00', last_call_outcome = 'no_show'
          WHERE number = '+15550000003';
         INSERT INTO phone_hold_ledger (at, event, number, lead_id, old_release_at, new_release_at, appointment_at, outcome) VALUES
             ('2025-10-18 12:00+00', 'assigned', '+15550000001', 'aaaaaaaa-0000-4000-8000-000000000001', NULL, '2025-10-19 06:00+00', NULL, NULL),
             ('2025-10-18 12:00+00', 'assigned', '+15550000002', 'bbbbbbbb-0000-4000-8000-000000000002', NULL, '2025-10-19 06:00+00', NULL, NULL),
             ('2025-10-18 12:00+00', 'extended', '+15550000002', 'bbbbbbbb-0000-4000-8000-000000000002', '2025-10-19 06:00+00', '2025-10-21 14:00+00', '2025-10-20 14:00+00', NULL),
             ('2025-10-18 12:00+00', 'assigned', '+15550000003', 'cccccccc-0000-4000-8000-000000000003', NULL, '2025-10-19 06:00+00', NULL, NULL),
             ('2025-10-18 12:00+00', 'extended', '+15550000003', 'cccccccc-0000-4000-8000-000000000003', '2025-10-19 06:00+00', '2025-10-21 14:00+00', '2025-10-20 14:00+00', NULL),
             ('2025-10-20 15:00+00', 'completed', '+15550000003', 'cccccccc-0000-4000-8000-000000000003', '2025-10-21 14:00+00', '2025-10-21 15:00+00', '2025-10-20 14:00+00', 'no_show'),
             ('2025-10-18 12:00+00', 'assigned', '+15550000004', 'dddddddd-0000-4000-8000-000000000004', NULL, '2025-10-19 06:00+00', NULL, NULL),
             ('2025-10-19 06:00+00', 'released', '+15550000001', 'aaaaaaaa-0000-4000-8000-000000000001', '2025-10-19 06:00+00', NULL, NULL, NULL),
             ('2025-10-19 06:00+00', 'released', '+15550000004', 'dddddddd-0000-4000-8000-000000000004', '2025-10-19 06:00+00', NULL, NULL, NULL);",
    )
    .unwrap();
}

/// The extension works: a new lead gets a number, the self-check is empty, the views answer.
fn works(c: &mut Client) {
    let number: String = c
        .query_one("SELECT assign_phone_to_lead('eeeeeeee-0000-4000-8000-000000000005', '2025-10-19 07:00+00')", &[])
        .unwrap()
        .get(0);
    assert!(number.starts_with("+1555"));
    let problems: i64 = c.query_one("SELECT count(*) FROM phone_holds_check()", &[]).unwrap().get(0);
    assert_eq!(problems, 0);
    let assigned: i64 = c.query_one("SELECT assigned FROM phone_pool_status", &[]).unwrap().get(0);
    assert!(assigned >= 1);
    c.query("SELECT * FROM phone_appointment_holds", &[]).unwrap();
    c.query("SELECT * FROM phone_holds_overdue", &[]).unwrap();
    let buckets: i64 = c
        .query_one("SELECT count(*) FROM phone_pool_history('2025-10-18 00:00+00', '2025-10-20 00:00+00', '1 hour') WHERE held >= 0", &[])
        .unwrap()
        .get(0);
    assert_eq!(buckets, 48);
    vapi_round_trip(c, "after setup", true);
    calendar_round_trip(c, "after setup", true, true);
    local_round_trip(c, "after setup", true);
    let released: i64 = c.query_one("CALL drain_expired_phone_numbers('2025-10-19 08:00+00')", &[]).unwrap().get(0);
    assert!(released >= 0);
}

/// Puts a frozen install script where PostgreSQL looks for it, and takes it away after.
struct OldVersionInstalled(PathBuf);

impl OldVersionInstalled {
    fn new(version: &str) -> Self {
        let dir = pg_config("--sharedir").join("extension");
        let name = format!("phone_holds--{version}.sql");
        let target = dir.join(&name);
        std::fs::copy(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(&name), &target).unwrap();
        OldVersionInstalled(target)
    }
}

impl Drop for OldVersionInstalled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn alter_extension_update_from_every_release_keeps_data_and_equals_a_fresh_install() {
    let released = released();
    assert!(released.len() >= 12 && released[0] == "0.1.0", "fixtures/ holds every release: {released:?}");
    for old in released.iter().map(String::as_str) {
        let _old = OldVersionInstalled::new(old);
        let since = |release: &str| Release::new(old) >= Release::new(release);
        // The tables setup made from 0.8.0 on are served until setup runs again; older ones
        // are refused, every call, until it has (src/spi/shape.rs).
        let served = since("0.8.0");
        let cluster = Cluster::start(&format!("upgrade-{old}"), &[]);
        let mut c = cluster.connect();
        // Until 0.3.0, CREATE EXTENSION made the tables: an old install is filled straight away.
        c.batch_execute(&format!("CREATE EXTENSION phone_holds VERSION '{old}'")).unwrap();
        if since("0.3.0") {
            c.batch_execute("SELECT phone_holds_setup()").unwrap();
        }
        if served {
            fill(&mut c);
        } else {
            fill_by_hand(&mut c);
        }
        // A caller that may release and answer VAPI may still do so after the update: the
        // routines that now stand beside those (or that they now call) are granted to it too.
        // The fresh database below gets the grants README documents for the same caller, and
        // the comparison covers them.
        let vapi = since("0.2.0");
        c.batch_execute(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'caller') THEN CREATE ROLE caller; END IF; END $$;
             GRANT EXECUTE ON FUNCTION release_expired_phone_numbers(timestamptz), {} TO caller;
             {} {} {} {}",
            // 0.8.0 gave the assignment its lead_phone argument.
            if since("0.8.0") { "assign_phone_to_lead(uuid, timestamptz, text)" } else { "assign_phone_to_lead(uuid, timestamptz)" },
            // The pool's summary view, once it is the user's (before 0.3.0 it was the extension's,
            // and the update to 0.3.0 made it anew).
            if since("0.3.0") { "GRANT SELECT ON phone_pool_status TO caller;" } else { "" },
            if vapi { "GRANT EXECUTE ON FUNCTION vapi_tool_calls(jsonb, timestamptz), vapi_end_of_call(jsonb, timestamptz) TO caller;" } else { "" },
            // From 0.4.0 on, the routines that version's README granted beside those.
            match old {
                "0.4.0" => "GRANT EXECUTE ON FUNCTION release_expired_phone_numbers_batch(timestamptz), vapi_tool_calls(text, timestamptz), vapi_end_of_call(text, timestamptz) TO caller;
                 GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO caller;",
                "0.5.0" => "GRANT EXECUTE ON FUNCTION release_expired_phone_numbers_batch(timestamptz), vapi_tool_calls(text, timestamptz), vapi_end_of_call(text, timestamptz),
                                              phone_holds_webhook(text, text, timestamptz), phone_holds_webhook_failure(text, text, text, text, text) TO caller;
                 GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO caller;",
                "0.6.0" => "GRANT EXECUTE ON FUNCTION release_expired_phone_numbers_batch(timestamptz), vapi_tool_calls(text, timestamptz), vapi_end_of_call(text, timestamptz),
                                              vapi_assistant_request(jsonb, timestamptz, text), vapi_assistant_request(text, timestamptz, text),
                                              phone_holds_webhook(text, text, timestamptz), phone_holds_webhook_failure(text, text, text, text, text) TO caller;
                 GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO caller;",
                "0.7.0" => "GRANT EXECUTE ON FUNCTION release_expired_phone_numbers_batch(timestamptz), vapi_tool_calls(text, timestamptz), vapi_end_of_call(text, timestamptz),
                                              vapi_assistant_request(jsonb, timestamptz, text), vapi_assistant_request(text, timestamptz, text),
                                              phone_holds_webhook(text, text, timestamptz), phone_holds_webhook(text, text, timestamptz, text),
                                              calcom_webhook(text, text, timestamptz), calendly_webhook(text, text, timestamptz),
                                              phone_holds_verify_signature(text, text, text, timestamptz),
                                              phone_holds_webhook_failure(text, text, text, text, text) TO caller;
                 GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO caller;",
                "0.8.0" => "GRANT EXECUTE ON FUNCTION release_expired_phone_numbers_batch(timestamptz), vapi_tool_calls(text, timestamptz), vapi_end_of_call(text, timestamptz),
                                              vapi_assistant_request(jsonb, timestamptz, text), vapi_assistant_request(text, timestamptz, text),
                                              phone_holds_webhook(text, text, timestamptz), phone_holds_webhook(text, text, timestamptz, text),
                                              calcom_webhook(text, text, timestamptz), calendly_webhook(text, text, timestamptz),
                                              phone_holds_verify_signature(text, text, text, timestamptz),
                                              phone_holds_webhook_failure(text, text, text, text, text),
                                              phone_pool_by_area_code(timestamptz), phone_pool_by_region(timestamptz) TO caller;
                 GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO caller;",
                // 0.9.0's README: as 0.8.0's, and the pool's history beside its summary; 0.10.0's,
                // 0.11.0's to 0.14.0's the same (0.12.0's one VAPI server URL: below).
                "0.9.0" | "0.10.0" | "0.11.0" | "0.12.0" | "0.13.0" | "0.14.0" | "0.15.0" => "GRANT EXECUTE ON FUNCTION release_expired_phone_numbers_batch(timestamptz), vapi_tool_calls(text, timestamptz), vapi_end_of_call(text, timestamptz),
                                              vapi_assistant_request(jsonb, timestamptz, text), vapi_assistant_request(text, timestamptz, text),
                                              phone_holds_webhook(text, text, timestamptz), phone_holds_webhook(text, text, timestamptz, text),
                                              calcom_webhook(text, text, timestamptz), calendly_webhook(text, text, timestamptz),
                                              phone_holds_verify_signature(text, text, text, timestamptz),
                                              phone_holds_webhook_failure(text, text, text, text, text),
                                              phone_pool_by_area_code(timestamptz), phone_pool_by_region(timestamptz),
                                              phone_pool_history(timestamptz, timestamptz, interval), phone_release_runs(timestamptz, timestamptz) TO caller;
                 GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO caller;",
                _ => "",
            },
            // 0.12.0's README grants its one VAPI server URL beside the tool calls.
            if since("0.12.0") { "GRANT EXECUTE ON FUNCTION vapi_webhook(text, timestamptz) TO caller;" } else { "" }
        ))
        .unwrap();
        let before = snapshot(&mut c);
        // The new library serves the old catalog until the update: every C symbol an old
        // install script names is still there. On tables it serves, a booking works; on older
        // ones, every call that reads or writes them is refused (an outcome that changes no
        // hold reads none).
        if since("0.2.0") {
            c.batch_execute("SELECT vapi_end_of_call('{\"leadId\": \"aaaaaaaa-0000-4000-8000-000000000001\", \"outcome\": \"no_answer\"}'::jsonb)")
                .unwrap_or_else(|e| panic!("{old}, before the update: {e}"));
            let listed = c.batch_execute("SELECT vapi_tool_calls('{\"message\": {\"type\": \"tool-calls\", \"toolCallList\": []}}'::jsonb)");
            match served {
                true => listed.unwrap_or_else(|e| panic!("{old}, before the update: {e}")),
                false => refused(listed.expect_err(old), &format!("{old}, before the update")),
            }
            vapi_round_trip(&mut c, &format!("before the update from {old}"), served);
        }
        assert_eq!(snapshot(&mut c), before);

        c.batch_execute("ALTER EXTENSION phone_holds UPDATE").unwrap();
        let row = c
            .query_one("SELECT extversion, (SELECT default_version FROM pg_available_extensions WHERE name = 'phone_holds') FROM pg_extension WHERE extname = 'phone_holds'", &[])
            .unwrap();
        let (installed, current): (String, String) = (row.get(0), row.get(1));
        assert_ne!(installed, old);
        assert_eq!(installed, current, "updated from {old} to the current version");
        assert_eq!(snapshot(&mut c), before, "the update from {old} touched no row");
        // Until setup, tables from 0.8.0 on are served: VAPI calls work, the calendar webhooks
        // say to run setup until it has made the appointments table (0.10.0), numbers are
        // chosen near the lead and retired. Older tables are refused, with a hint naming setup.
        vapi_round_trip(&mut c, &format!("after the update from {old}, before setup"), served);
        calendar_round_trip(&mut c, &format!("after the update from {old}, before setup"), since("0.10.0"), served);
        local_round_trip(&mut c, &format!("after the update from {old}, before setup"), served);
        let added: Vec<String> = c.query("SELECT * FROM phone_holds_setup()", &[]).unwrap().iter().map(|r| r.get(0)).collect();
        let mut expected = vec![];
        if !since("0.8.0") {
            expected.extend([
                "added column public.signalwire_phone_numbers.retired_at",
                "added column public.signalwire_phone_numbers.retired_reason",
                "created index public.phone_holds_free_by_area",
            ]);
        }
        if !since("0.11.0") {
            expected.push("created index public.phone_holds_retired");
        }
        if !since("0.6.0") {
            expected.push("added column public.phone_hold_ledger.lead_phone");
        }
        if !since("0.7.0") {
            expected.extend(["added column public.phone_hold_ledger.source", "added column public.phone_hold_ledger.source_ref"]);
        }
        if !since("0.8.0") {
            expected.extend([
                "added column public.phone_hold_ledger.geo_tier",
                "added column public.phone_hold_ledger.reason",
                "replaced the event check of public.phone_hold_ledger (adds retired, restored)",
            ]);
        }
        if !since("0.9.0") {
            expected.extend(["created index public.phone_hold_ledger_by_time", "created index public.phone_hold_ledger_by_appointment"]);
        }
        if !since("0.7.0") {
            expected.push("created table public.phone_hold_bookings");
        }
        // fill()'s two held appointments, made by SQL calls: no booking accounts for them.
        if !since("0.10.0") {
            expected.extend(["created table public.phone_hold_appointments", "recorded 0 booked calendar bookings and 2 other held appointments in public.phone_hold_appointments"]);
        }
        if !since("0.8.0") {
            expected.push("replaced view public.phone_pool_status (adds resting, retired)");
        }
        assert_eq!(added, expected, "after the update from {old}");
        assert_eq!(snapshot(&mut c), before, "setup after the update from {old} changed no row");
        assert_eq!(phones_recorded(&mut c), 0);

        // The updated database is the one a fresh install makes: same functions, privileges and
        // definitions; same columns, indexes, constraints and views; nothing left for setup to do.
        c.batch_execute("CREATE DATABASE fresh").unwrap();
        let mut fresh = cluster.connect_to("fresh");
        fresh
            .batch_execute(&format!(
                "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
                 GRANT EXECUTE ON FUNCTION release_expired_phone_numbers(timestamptz), release_expired_phone_numbers_batch(timestamptz) TO caller;
                 GRANT EXECUTE ON PROCEDURE drain_expired_phone_numbers(timestamptz, bigint) TO caller;
                 GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz, text) TO caller;
                 {} {}",
                if since("0.3.0") {
                    "GRANT SELECT ON phone_pool_status TO caller;
                     GRANT EXECUTE ON FUNCTION phone_pool_by_area_code(timestamptz), phone_pool_by_region(timestamptz),
                                               phone_pool_history(timestamptz, timestamptz, interval),
                                               phone_release_runs(timestamptz, timestamptz) TO caller;"
                } else {
                    ""
                },
                if vapi {
                    "GRANT EXECUTE ON FUNCTION vapi_tool_calls(jsonb, timestamptz), vapi_end_of_call(jsonb, timestamptz),
                                           vapi_tool_calls(text, timestamptz), vapi_end_of_call(text, timestamptz), vapi_webhook(text, timestamptz),
                                           vapi_assistant_request(jsonb, timestamptz, text), vapi_assistant_request(text, timestamptz, text),
                                           phone_holds_webhook(text, text, timestamptz), phone_holds_webhook(text, text, timestamptz, text),
                                           calcom_webhook(text, text, timestamptz), calendly_webhook(text, text, timestamptz),
                                           phone_holds_verify_signature(text, text, text, timestamptz),
                                           phone_holds_webhook_failure(text, text, text, text, text) TO caller;"
                } else {
                    ""
                }
            ))
            .unwrap();
        let (upgraded, made) = (catalog::structure(&mut c), catalog::structure(&mut fresh));
        if upgraded != made {
            let only_upgraded: Vec<_> = upgraded.iter().filter(|l| !made.contains(l)).collect();
            let only_fresh: Vec<_> = made.iter().filter(|l| !upgraded.contains(l)).collect();
            panic!("{old} updated differs from a fresh install:\nonly updated: {only_upgraded:#?}\nonly fresh: {only_fresh:#?}");
        }
        let setup: i64 = c.query_one("SELECT count(*) FROM phone_holds_setup()", &[]).unwrap().get(0);
        assert_eq!(setup, 0, "after the update from {old}, setup finds nothing missing");
        assert_eq!(snapshot(&mut c), before);

        works(&mut c);
    }
    supabase_update_from("0.9.0");
}

/// A database shaped like Supabase's (its API roles, default privileges that grant them every
/// new function and table in public) installed at `old`, where default privileges handed anon
/// and authenticated every function: the update takes that back and says so; the functions
/// granted to service_role stay granted; what the public can still reach of the user's tables
/// is reported, not changed.
fn supabase_update_from(old: &str) {
    let _old = OldVersionInstalled::new(old);
    let cluster = Cluster::start(&format!("upgrade-supabase-{old}"), &[]);
    let mut c = cluster.connect();
    c.batch_execute(&format!(
        "CREATE ROLE anon NOLOGIN; CREATE ROLE authenticated NOLOGIN; CREATE ROLE service_role NOLOGIN;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
         CREATE EXTENSION phone_holds VERSION '{old}'; SELECT phone_holds_setup();"
    ))
    .unwrap();
    fill(&mut c);
    let before = snapshot(&mut c);
    let executable = |c: &mut Client, role: &str| -> i64 {
        c.query_one(
            "SELECT count(*) FROM pg_proc AS p JOIN pg_depend AS d ON d.objid = p.oid AND d.deptype = 'e'
              WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')
                AND has_function_privilege($1, p.oid, 'EXECUTE') AND p.proname = 'assign_phone_to_lead'",
            &[&role],
        )
        .unwrap()
        .get(0)
    };
    assert_eq!(executable(&mut c, "anon"), 1, "{old} installed this way let anon assign");
    let warnings = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = warnings.clone();
    let mut listening = cluster
        .config("postgres")
        .notice_callback(move |n| heard.lock().unwrap().push(n.message().to_owned()))
        .connect(postgres::NoTls)
        .unwrap();
    listening.batch_execute("ALTER EXTENSION phone_holds UPDATE").unwrap();
    let said = warnings.lock().unwrap().join("\n");
    assert!(said.contains("revoked EXECUTE on") && said.contains("from anon and authenticated"), "{said}");
    assert_eq!((executable(&mut c, "anon"), executable(&mut c, "authenticated"), executable(&mut c, "service_role")), (0, 0, 1));
    let exposed: Vec<String> = c
        .query("SELECT role || ' ' || object FROM phone_holds_exposed() WHERE object NOT LIKE '%(%'", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(exposed.contains(&"anon public.signalwire_phone_numbers".to_owned()), "the user's table is reported, not changed: {exposed:?}");
    assert!(!exposed.iter().any(|e| e.contains("phone_hold_claims")), "{exposed:?}");
    assert_eq!(snapshot(&mut c), before);
}

#[test]
fn drop_extension_then_create_extension_keeps_every_row() {
    let cluster = Cluster::start("dropcreate", &[]);
    let mut c = cluster.connect();
    c.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    fill(&mut c);
    let before = snapshot(&mut c);
    let shape = catalog::structure(&mut c);
    c.batch_execute("DROP EXTENSION phone_holds").unwrap();
    assert_eq!(snapshot(&mut c), before);
    c.batch_execute("CREATE EXTENSION phone_holds").unwrap();
    assert_eq!(snapshot(&mut c), before);
    assert_eq!(catalog::structure(&mut c), shape, "the same objects");
    works(&mut c);
}
