//! A deployment as a user has it, for the tests that carry one somewhere (a dump and restore,
//! a major-version upgrade): two databases, one per table shape, with holds, appointments,
//! ledger rows, a calendar booking, a webhook secret, a retired number, grants to a calling role
//! and a reading role, and the monitoring views; and the checks that a copy of one is the same
//! and works.

use crate::{catalog, Cluster};
use postgres::Client;

pub const SHAPES: [&str; 2] = ["created", "adopted"];

/// A pool the user had before phone_holds: 20 numbers, 2 of them retired, 2 held.
const USERS_OWN_POOL: &str = "
    CREATE TABLE public.signalwire_phone_numbers (
        id serial PRIMARY KEY,
        number varchar(20) NOT NULL UNIQUE,
        name text,
        assignment_status varchar(20) NOT NULL DEFAULT 'available',
        currently_assigned_to uuid,
        release_at timestamptz,
        appointment_scheduled_at timestamptz,
        last_call_outcome text,
        vapi_phone_number_id text,
        broker_notes text);
    INSERT INTO public.signalwire_phone_numbers (number, name, assignment_status, vapi_phone_number_id, broker_notes)
    SELECT '+1777' || lpad(i::text, 7, '0'), 'Line ' || i,
           CASE WHEN i > 18 THEN 'retired' ELSE 'available' END, 'vapi-' || i,
           CASE WHEN i % 5 = 0 THEN 'note ' || i END
      FROM generate_series(1, 20) AS i;
    UPDATE public.signalwire_phone_numbers
       SET assignment_status = 'assigned', currently_assigned_to = ('ffffffff-0000-4000-8000-0000000000' || right(number, 2))::uuid,
           release_at = '2025-10-19 09:00+00', last_call_outcome = 'appointment_booked'
     WHERE number IN ('+17770000017', '+17770000018');";

/// Holds of every kind, made through the functions, and the grants a deployment has.
const ACTIVITY: &str = "
    SET TimeZone = 'UTC';
    SELECT assign_phone_to_lead('aaaaaaaa-0000-4000-8000-000000000001', '2025-10-18 12:00+00');
    SELECT extend_phone_for_appointment('bbbbbbbb-0000-4000-8000-000000000002', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
    SELECT extend_phone_for_appointment('cccccccc-0000-4000-8000-000000000003', '2025-10-20 14:00+00', '2025-10-18 12:00+00');
    SELECT complete_appointment_for_phone('cccccccc-0000-4000-8000-000000000003', 'no_show', '2025-10-20 15:00+00');
    SELECT assign_phone_to_lead('dddddddd-0000-4000-8000-000000000004', '2025-10-18 12:00+00');
    SELECT reschedule_appointment_for_phone('bbbbbbbb-0000-4000-8000-000000000002', '2025-10-21 10:00+00', '2025-10-18 13:00+00');
    SELECT release_expired_phone_numbers('2025-10-19 06:00+00');
    SELECT calcom_webhook('{\"triggerEvent\": \"BOOKING_CREATED\", \"createdAt\": \"2025-10-18T12:00:00Z\", \"payload\": {\"uid\": \"bk_restore\",
                            \"startTime\": \"2025-10-22T15:00:00Z\", \"metadata\": {\"lead_id\": \"abababab-0000-4000-8000-000000000006\"}}}',
                          NULL, '2025-10-18 12:00+00');
    SELECT phone_holds_set_webhook_secret('calcom', 'whsec_restore');
    SELECT assign_phone_to_lead('efefefef-0000-4000-8000-000000000007', '2025-10-19 07:00+00', '+1 555 010 0007');
    SELECT retire_phone_number(number, 'Spam Likely', '2025-10-19 07:00+00') FROM signalwire_phone_numbers WHERE assignment_status = 'available' ORDER BY number LIMIT 1;
    GRANT EXECUTE ON FUNCTION assign_phone_to_lead(uuid, timestamptz, text), release_expired_phone_numbers(timestamptz) TO n8n;
    GRANT SELECT, UPDATE ON public.signalwire_phone_numbers TO n8n;
    GRANT SELECT, INSERT ON public.phone_hold_ledger TO n8n;
    GRANT SELECT, INSERT, UPDATE ON public.phone_hold_bookings TO n8n;
    GRANT SELECT ON public.phone_pool_status, public.phone_appointment_holds TO grafana;
    GRANT EXECUTE ON FUNCTION phone_pool_by_area_code(timestamptz), phone_pool_by_region(timestamptz) TO grafana;";

pub fn make_source(cluster: &Cluster, c: &mut Client, shape: &str) {
    make_deployment(cluster, c, shape, &format!("src_{shape}"));
}

/// The deployment of `shape` in a new database `db`.
pub fn make_deployment(cluster: &Cluster, c: &mut Client, shape: &str, db: &str) {
    c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
    let mut s = cluster.connect_to(&db);
    if shape == "adopted" {
        s.batch_execute(USERS_OWN_POOL).unwrap();
        s.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    } else {
        s.batch_execute(
            "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
             INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 20) AS i;",
        )
        .unwrap();
    }
    s.batch_execute(ACTIVITY).unwrap();
    let held: i64 = s.query_one("SELECT count(*) FROM signalwire_phone_numbers WHERE assignment_status = 'assigned'", &[]).unwrap().get(0);
    assert!(held >= 2, "the source has holds to lose");
}

pub struct Picture {
    pub rows: Vec<String>,
    pub structure: Vec<String>,
    pub identity: Vec<String>,
}

pub fn picture(c: &mut Client) -> Picture {
    Picture { rows: catalog::rows(c), structure: catalog::structure(c), identity: catalog::identity_values(c) }
}

pub fn first_difference(what: &str, a: &[String], b: &[String]) -> Option<String> {
    if a == b {
        return None;
    }
    let at = a.iter().zip(b).position(|(x, y)| x != y).unwrap_or(a.len().min(b.len()));
    Some(format!(
        "{what}: {} vs {} lines; first difference at {at}:\n  source:   {:?}\n  restored: {:?}",
        a.len(),
        b.len(),
        a.get(at),
        b.get(at)
    ))
}

/// The restored database equals the source, says so in the self-check, and works.
pub fn assert_same_and_working(path: &str, source: &Picture, restored: &mut Client) {
    let got = picture(restored);
    let problems: Vec<String> = [
        first_difference("rows", &source.rows, &got.rows),
        first_difference("structure", &source.structure, &got.structure),
        first_difference("identity", &source.identity, &got.identity),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(problems.is_empty(), "{path}: {}", problems.join("\n"));
    let check: i64 = restored.query_one("SELECT count(*) FROM phone_holds_check()", &[]).unwrap().get(0);
    assert_eq!(check, 0, "{path}: the self-check reports a problem");
    let setup: i64 = restored.query_one("SELECT count(*) FROM phone_holds_setup()", &[]).unwrap().get(0);
    assert_eq!(setup, 0, "{path}: phone_holds_setup() found something missing after the restore");
    // Working functions: a new lead, a booking, a release, the views, the ledger going on.
    let max_id: i64 = restored.query_one("SELECT max(id) FROM phone_hold_ledger", &[]).unwrap().get(0);
    let number: String = restored
        .query_one("SELECT assign_phone_to_lead('eeeeeeee-0000-4000-8000-000000000005', '2025-10-19 07:00+00')", &[])
        .unwrap()
        .get(0);
    assert!(number.starts_with("+1"), "{path}: {number}");
    restored
        .batch_execute(
            "SELECT extend_phone_for_appointment('eeeeeeee-0000-4000-8000-000000000005', '2025-10-22 09:00+00', '2025-10-19 07:05+00');
             SELECT release_expired_phone_numbers('2025-10-19 08:00+00');
             SELECT * FROM phone_pool_status; SELECT * FROM phone_appointment_holds; SELECT * FROM phone_holds_overdue;",
        )
        .unwrap();
    let next_id: i64 = restored.query_one("SELECT min(id) FROM phone_hold_ledger WHERE lead_id = 'eeeeeeee-0000-4000-8000-000000000005'", &[]).unwrap().get(0);
    assert!(next_id > max_id, "{path}: the ledger's ids go on after the restored ones");
    let granted: bool = restored
        .query_one("SELECT has_function_privilege('n8n', 'assign_phone_to_lead(uuid, timestamptz, text)', 'EXECUTE')", &[])
        .unwrap()
        .get(0);
    assert!(granted, "{path}: the user's grant came back");
}

/// psql and pg_restore report a failed statement as `ERROR:`; none may appear.
pub fn assert_no_error(path: &str, ok: bool, output: &str) {
    assert!(ok, "{path} failed:\n{output}");
    let errors: Vec<&str> = output.lines().filter(|l| l.contains("ERROR")).collect();
    assert!(errors.is_empty(), "{path} printed errors:\n{}", errors.join("\n"));
}
