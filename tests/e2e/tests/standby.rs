//! phone_holds on a hot standby: a `pg_basebackup -R` replica of a primary with holds, once it
//! has replayed. What reads (inbound routing, the webhook entry point's inbound path, the pool,
//! history and check functions, the views, the dashboard's queries) answers as on the primary;
//! every function that writes refuses with 25006 and a phone_holds message, before any work,
//! and the webhook entry point answers those 503, so VAPI and the calendars retry against the
//! primary. Every function of the extension is one or the other here, so a new one must be
//! placed. (docs/operations/replicas-and-failover.md)

use phone_holds_e2e::{example, grafana, sql_literal as literal, sqlstate, Cluster};
use postgres::{Client, Row};
use serde_json::Value;
use std::collections::BTreeSet;

const ASSISTANT: &str = "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c";
/// When the reads are asked: a day after the bookings below.
const AS_OF: &str = "'2025-10-19 12:00+00'::timestamptz";

/// A primary as a user's looks after a day: numbers held, booked, completed, released (one
/// within the callback window), a Cal.com booking, the assistant set for inbound calls.
fn fill(c: &mut Client) {
    c.batch_execute(&format!(
        "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         ALTER DATABASE postgres SET phone_holds.vapi_assistant_id = '{ASSISTANT}';
         INSERT INTO signalwire_phone_numbers (number, name)
         SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 8) AS i;
         SET TimeZone = 'America/New_York';
         SELECT vapi_tool_calls({book}::jsonb, '2025-10-18 12:00+00');
         SELECT assign_phone_to_lead('2b1c1f4e-5d7a-4c3e-9a10-8f3d2e6b7c01', '2025-10-18 12:00+00');
         SELECT complete_appointment_for_phone('2b1c1f4e-5d7a-4c3e-9a10-8f3d2e6b7c01', 'cancelled', '2025-10-19 11:00+00');
         SELECT release_expired_phone_numbers('2025-10-19 11:30+00');
         SELECT calcom_webhook({calcom}, NULL, '2025-10-18 13:00+00');
         SELECT assign_phone_to_lead(('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, '2025-10-18 14:00+00')
           FROM generate_series(1, 3) AS i;",
        book = literal(&example("vapi/tool-calls-book.json")),
        calcom = literal(&example("calcom/booking-created.json")),
    ))
    .unwrap();
}

/// Every row of `sql`'s answer as text, in order.
fn rows(c: &mut Client, sql: &str) -> Vec<String> {
    let text = format!("SELECT coalesce(string_agg(q::text, E'\\n'), '') FROM ({sql}) AS q");
    let row: Row = c.query_one(&text, &[]).unwrap_or_else(|e| panic!("{sql}: {e}"));
    row.get::<_, String>(0).lines().map(str::to_owned).collect()
}

/// The reads: what a standby serves, each with the answer it must give on both servers.
fn reads() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for request in ["assistant-request-held", "assistant-request-released", "assistant-request-unknown"] {
        let body = literal(&example(&format!("vapi/{request}.json")));
        out.push((format!("vapi_assistant_request {request}"), format!("SELECT vapi_assistant_request({body}::jsonb, {AS_OF})")));
        out.push((format!("vapi_webhook {request}"), format!("SELECT vapi_webhook({body}, {AS_OF})")));
        for webhook in ["vapi_assistant_request", "vapi"] {
            out.push((
                format!("phone_holds_webhook {webhook} {request}"),
                format!("SELECT status, response FROM phone_holds_webhook('{webhook}', {body}, {AS_OF}, '{{}}')"),
            ));
        }
    }
    for (name, sql) in [
        ("the pool", "SELECT * FROM signalwire_phone_numbers ORDER BY number".to_owned()),
        ("the ledger", "SELECT * FROM phone_hold_ledger ORDER BY id".to_owned()),
        ("the bookings", "SELECT * FROM phone_hold_bookings ORDER BY 1".to_owned()),
        ("the appointments", "SELECT * FROM phone_hold_appointments ORDER BY 1, 2".to_owned()),
        ("phone_pool_status", "SELECT * FROM phone_pool_status".to_owned()),
        ("phone_appointment_holds", "SELECT * FROM phone_appointment_holds ORDER BY 1".to_owned()),
        // Its hours_overdue counts from now(), which moves between the two reads.
        ("phone_holds_overdue", "SELECT number, name, lead_id, release_at, appointment_scheduled_at FROM phone_holds_overdue ORDER BY 1".to_owned()),
        ("phone_pool_history", format!("SELECT * FROM phone_pool_history('{}', '{}', '1 hour')", grafana::FROM, grafana::TO)),
        ("phone_release_runs", format!("SELECT * FROM phone_release_runs('{}', '{}')", grafana::FROM, grafana::TO)),
        ("phone_pool_by_area_code", format!("SELECT * FROM phone_pool_by_area_code({AS_OF})")),
        ("phone_pool_by_region", format!("SELECT * FROM phone_pool_by_region({AS_OF})")),
        ("phone_number_holder_at", format!("SELECT number, phone_number_holder_at(number, {AS_OF}) FROM signalwire_phone_numbers ORDER BY 1")),
        ("phone_holds_check", "SELECT * FROM phone_holds_check()".to_owned()),
        ("phone_holds_exposed", "SELECT * FROM phone_holds_exposed()".to_owned()),
        (
            "phone_holds_verify_signature",
            format!("SELECT phone_holds_verify_signature('calcom', {}, NULL, {AS_OF})", literal(&example("calcom/booking-created.json"))),
        ),
        ("phone_holds_webhook_failure", "SELECT phone_holds_webhook_failure('calcom_webhook', '{}', '40001', 'm')".to_owned()),
    ] {
        out.push((name.to_owned(), sql));
    }
    // The dashboard, as Grafana sends its queries.
    for (title, sql) in grafana::queries("1h", "+15550000001") {
        out.push((format!("dashboard: {title}"), sql));
    }
    out
}

/// The writers, each called as a user would: (the name in its message, SQL).
fn writes() -> Vec<(&'static str, String)> {
    let lead = "07f26a19-e9dc-422c-b61d-030e3c7971bb";
    let tool_calls = literal(&example("vapi/tool-calls-book.json"));
    let report = literal(&example("vapi/end-of-call-report-booked.json"));
    vec![
        ("assign_phone_to_lead()", format!("SELECT assign_phone_to_lead('{lead}', {AS_OF})")),
        ("extend_phone_for_appointment()", format!("SELECT extend_phone_for_appointment('{lead}', '2025-10-22 18:00+00', {AS_OF})")),
        ("extend_phone_for_appointment()", format!("SELECT extend_phone_for_appointment('{lead}'::uuid, '2025-10-22T18:00:00Z'::timestamp)")),
        ("complete_appointment_for_phone()", format!("SELECT complete_appointment_for_phone('{lead}'::uuid, 'showed')")),
        ("reschedule_appointment_for_phone()", format!("SELECT reschedule_appointment_for_phone('{lead}', '2025-10-23 18:00+00', {AS_OF})")),
        ("release_expired_phone_numbers()", "SELECT release_expired_phone_numbers()".to_owned()),
        ("release_expired_phone_numbers_batch()", "SELECT release_expired_phone_numbers_batch()".to_owned()),
        ("drain_expired_phone_numbers()", "CALL drain_expired_phone_numbers()".to_owned()),
        ("retire_phone_number()", "SELECT retire_phone_number('+15550000008', 'flagged as spam')".to_owned()),
        ("restore_phone_number()", "SELECT restore_phone_number('+15550000008')".to_owned()),
        ("vapi_tool_calls()", format!("SELECT vapi_tool_calls({tool_calls}::jsonb, {AS_OF})")),
        ("vapi_end_of_call()", format!("SELECT vapi_end_of_call({report}::jsonb, {AS_OF})")),
        ("vapi_tool_calls()", format!("SELECT vapi_webhook({tool_calls}, {AS_OF})")),
        ("calcom_webhook()", format!("SELECT calcom_webhook({}, NULL, {AS_OF})", literal(&example("calcom/booking-rescheduled.json")))),
        ("calendly_webhook()", format!("SELECT calendly_webhook({}, NULL, {AS_OF})", literal(&example("calendly/invitee-created.json")))),
        ("phone_holds_set_webhook_secret()", "SELECT phone_holds_set_webhook_secret('calcom', 'whsec_x')".to_owned()),
        ("phone_holds_setup()", "SELECT * FROM phone_holds_setup()".to_owned()),
        ("phone_holds_make_private()", "SELECT phone_holds_make_private('public.phone_hold_ledger')".to_owned()),
        ("schedule_phone_release()", "SELECT schedule_phone_release()".to_owned()),
        ("unschedule_phone_release()", "SELECT unschedule_phone_release()".to_owned()),
    ]
}

/// Functions that are neither a read above nor a writer: helpers the others call, each of which
/// reads nothing of the user's, or refuses by design (the guard itself, an unknown number).
const HELPERS: &[&str] = &[
    "phone_holds_area_code",
    "phone_holds_area_codes",
    "phone_holds_area_codes_source",
    "phone_holds_min_rest",
    "phone_holds_number_problem",
    "phone_holds_number_unknown",
    "phone_holds_require_writable",
    "phone_holds_rotation_ready",
];

/// Every function and procedure of the extension, by name.
fn members(c: &mut Client) -> BTreeSet<String> {
    c.query(
        "SELECT DISTINCT p.proname::text FROM pg_depend AS d JOIN pg_proc AS p ON p.oid = d.objid
          WHERE d.classid = 'pg_proc'::regclass AND d.deptype = 'e' AND d.refclassid = 'pg_extension'::regclass
            AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'phone_holds')",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

#[test]
fn a_hot_standby_serves_the_reads_and_refuses_every_write_with_25006() {
    let primary = Cluster::start("standby-primary", &[]);
    let mut p = primary.connect();
    fill(&mut p);
    // A new session, as the standby's: it sees the database's settings fill made.
    let mut p = primary.connect();
    let standby = primary.standby("standby-replica", &[]);
    standby.wait_for_replay(&mut p);
    let mut s = standby.connect();
    assert!(s.query_one("SELECT pg_is_in_recovery()", &[]).unwrap().get::<_, bool>(0));

    // Every function is placed: a read, a writer or a helper.
    let members = members(&mut p);
    let read: Vec<String> = reads().into_iter().map(|(_, sql)| sql).collect();
    let placed: BTreeSet<&String> = members
        .iter()
        .filter(|m| {
            let called = format!("{m}(");
            read.iter().any(|sql| sql.contains(&called))
                || writes().iter().any(|(f, _)| *f == called.clone() + ")")
                || HELPERS.contains(&m.as_str())
        })
        .collect();
    let unplaced: Vec<&String> = members.iter().filter(|m| !placed.contains(m)).collect();
    assert!(unplaced.is_empty(), "functions this test does not say are reads or writes: {unplaced:?}");

    // The reads answer the same on both, and something: a held number routes to its lead.
    for (name, sql) in reads() {
        let (on_primary, on_standby) = (rows(&mut p, &sql), rows(&mut s, &sql));
        assert_eq!(on_standby, on_primary, "{name} answers otherwise on the standby:\n{sql}");
    }
    let held: Value = s
        .query_one(&format!("SELECT vapi_assistant_request($1::text::jsonb, {AS_OF})"), &[&example("vapi/assistant-request-held.json")])
        .unwrap()
        .get(0);
    assert_eq!(held["assistantId"], ASSISTANT, "{held}");
    assert_eq!(held["assistantOverrides"]["variableValues"]["number_status"], "held", "{held}");

    // Every writer refuses with 25006 and a phone_holds message: no panic, no backtrace.
    for (function, sql) in writes() {
        let e = s.batch_execute(&sql).expect_err(&sql);
        let db = e.as_db_error().unwrap_or_else(|| panic!("{sql}: {e}"));
        assert_eq!(sqlstate(&e), "25006", "{sql}: {db:?}");
        assert_eq!(db.message(), format!("phone_holds: {function} writes, and this server is a hot standby (in recovery)"), "{sql}");
        assert_eq!(db.detail(), Some("Nothing was changed."), "{sql}: {db:?}");
        assert!(db.hint().unwrap_or_default().contains("target_session_attrs=read-write"), "{sql}: {db:?}");
    }

    // The webhook entry point answers the writers 503, so the sender retries; VAPI's tool
    // calls get a sentence per call that says to try again.
    for (webhook, body) in [
        ("vapi_end_of_call", example("vapi/end-of-call-report-booked.json")),
        ("vapi", example("vapi/end-of-call-report-booked.json")),
        ("calcom_webhook", example("calcom/booking-rescheduled.json")),
        ("calendly_webhook", example("calendly/invitee-created.json")),
        ("complete_appointment_for_phone", r#"{"lead_id": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "showed"}"#.to_owned()),
    ] {
        let row = s
            .query_one(&format!("SELECT status, response FROM phone_holds_webhook($1, $2, {AS_OF}, '{{}}')"), &[&webhook, &body])
            .unwrap();
        let (status, response): (i32, Value) = (row.get(0), row.get(1));
        assert_eq!((status, response["sqlstate"].as_str()), (503, Some("25006")), "{webhook}: {response}");
    }
    let row = s
        .query_one(&format!("SELECT status, response FROM phone_holds_webhook('vapi_tool_calls', $1, {AS_OF}, '{{}}')"), &[&example("vapi/tool-calls-book.json")])
        .unwrap();
    let (status, response): (i32, Value) = (row.get(0), row.get(1));
    assert_eq!(status, 200, "{response}");
    assert!(response["results"][0]["error"].as_str().unwrap_or_default().contains("try again"), "{response}");

    // Nothing changed on either: the standby still answers as the primary, which took no write.
    standby.wait_for_replay(&mut p);
    for (name, sql) in reads() {
        assert_eq!(rows(&mut s, &sql), rows(&mut p, &sql), "{name}");
    }
    assert!(!standby.log().contains("panicked"), "a Rust panic on the standby:\n{}", standby.log());
}
