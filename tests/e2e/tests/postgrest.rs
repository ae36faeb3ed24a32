//! phone_holds over PostgREST's `/rpc` (Supabase's REST API, supabase-js `.rpc()`, n8n's HTTP
//! Request node). No PostgREST server runs here: tests/e2e/src/postgrest.rs emulates how it picks
//! a function by the names of the arguments, and sends the SQL it sends (its transaction, READ
//! ONLY for GETs and for functions that are not VOLATILE, its local settings, the role a JWT
//! names, json_to_record, named notation), as Supabase's roles, in a database shaped as Supabase
//! shapes one.

use phone_holds_e2e::postgrest::{call, resolve, routines, Caller, Routine, Unresolved};
use phone_holds_e2e::{sqlstate, Cluster};
use postgres::{Client, NoTls};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const AS_OF: &str = "2025-10-18T12:00:00Z";
const LEAD: &str = "07f26a19-e9dc-422c-b61d-030e3c7971bb";
const OTHER_LEAD: &str = "8d2c0f4e-5b6a-4c3d-9e8f-7a6b5c4d3e2f";
const ASSISTANT: &str = "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c";

/// README's Privileges block: the grants a user runs.
fn readme_grants() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    let section = &readme[readme.find("\n## Privileges").expect("README has a Privileges section")..];
    let start = section.find("```sql\n").unwrap() + "```sql\n".len();
    section[start..start + section[start..].find("```").unwrap()].to_owned()
}

/// A database as Supabase makes one: its API roles (anon for the public key, authenticated for
/// signed-in users, service_role for the secret key), PostgREST's login role that becomes them,
/// and default privileges that grant every new function, table and sequence in public to all
/// three. Then the extension, setup, README's grants to service_role, and a pool.
fn supabase(cluster: &Cluster) -> Client {
    let mut c = cluster.connect();
    c.batch_execute(&format!(
        "CREATE ROLE anon NOLOGIN NOINHERIT; CREATE ROLE authenticated NOLOGIN NOINHERIT; CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
         CREATE ROLE authenticator LOGIN NOINHERIT; GRANT anon, authenticated, service_role TO authenticator;
         GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
         ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
         CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         {}
         INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555000000' || i, 'Line ' || i FROM generate_series(1, 8) AS i;",
        readme_grants()
    ))
    .unwrap();
    c
}

/// A connection as PostgREST holds one: logged in as authenticator, in UTC.
fn authenticator(cluster: &Cluster) -> Client {
    let mut config = cluster.config("postgres");
    config.user("authenticator").options("-c TimeZone=UTC");
    config.connect(NoTls).unwrap()
}

/// What phone_holds' tables hold, to show a refused call changed nothing.
fn holds(c: &mut Client) -> String {
    c.query_one(
        "SELECT (SELECT coalesce(string_agg(number || ' ' || coalesce(currently_assigned_to::text, '-') || ' ' || coalesce(release_at::text, '-'), ', ' ORDER BY number), '') FROM signalwire_phone_numbers)
                || ' | ' || (SELECT count(*) FROM phone_hold_ledger) || ' | ' || (SELECT count(*) FROM phone_hold_appointments)",
        &[],
    )
    .unwrap()
    .get(0)
}

fn vapi(name: &str) -> Value {
    let text = std::fs::read_to_string(format!("{}/../../examples/vapi/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn every_function_resolves_by_the_names_of_its_arguments() {
    let cluster = Cluster::start("postgrest-names", &[]);
    let mut c = supabase(&cluster);
    let all = routines(&mut c, "public");
    let ours: Vec<&Routine> = all.iter().collect();
    assert!(ours.len() > 30, "the schema cache holds phone_holds' functions: {ours:?}");

    // Every set of names a request may give a function reaches that function, by POST and,
    // as PostgREST allows for any function, by GET.
    let mut problems = Vec::new();
    for routine in &ours {
        for keys in routine.key_sets() {
            for post in [true, false] {
                match resolve(&all, &routine.name, &keys, post) {
                    Ok(found) if found.signature == routine.signature => {}
                    Ok(found) => problems.push(format!("{keys:?} for {} reaches {}", routine.signature, found.signature)),
                    Err(e) => problems.push(format!("{keys:?} for {}: {e:?}", routine.signature)),
                }
            }
        }
    }
    assert!(problems.is_empty(), "functions PostgREST cannot tell apart by their arguments' names (PGRST203):\n{}", problems.join("\n"));

    // No function takes a whole request body: a webhook posted straight to /rpc would arrive
    // without the signature phone_holds checks over the exact bytes, as Supabase's public role
    // (README: Supabase and PostgREST).
    let whole_body: Vec<&str> = ours.iter().filter(|r| r.takes_the_body()).map(|r| r.signature.as_str()).collect();
    assert!(whole_body.is_empty(), "functions that take a whole request body: {whole_body:?}");

    // The check can fail: twins named as 0.14.0 named its jsonb and text VAPI forms.
    c.batch_execute(
        "CREATE FUNCTION public.twin(payload text, as_of timestamptz DEFAULT now()) RETURNS int LANGUAGE sql AS 'SELECT 1';
         CREATE FUNCTION public.twin(payload jsonb, as_of timestamptz DEFAULT now()) RETURNS int LANGUAGE sql AS 'SELECT 2';",
    )
    .unwrap();
    let all = routines(&mut c, "public");
    let keys: BTreeSet<String> = ["payload".to_owned()].into();
    assert!(matches!(resolve(&all, "twin", &keys, true), Err(Unresolved::Ambiguous(ref twins)) if twins.len() == 2));
}

#[test]
fn the_documented_rpcs_answer_as_postgrest_calls_them() {
    let cluster = Cluster::start("postgrest-calls", &[]);
    let mut owner = supabase(&cluster);
    let mut c = authenticator(&cluster);
    let all = routines(&mut owner, "public");
    let service = Caller { role: "service_role" };
    let post = |c: &mut Client, name: &str, body: Value| call(c, &all, &service, name, &body, false).unwrap_or_else(|e| panic!("POST /rpc/{name}: {e:?}"));

    let number = post(&mut c, "assign_phone_to_lead", json!({ "lead_id": LEAD, "as_of": AS_OF }));
    assert!(number.as_str().is_some_and(|n| n.starts_with("+1555000000")), "{number}");
    // The two forms of the booking, each by its own names.
    assert_eq!(
        post(&mut c, "extend_phone_for_appointment", json!({ "lead_id": LEAD, "appointment_time": "2025-10-20T14:00:00-04:00", "as_of": AS_OF })),
        json!("2025-10-21T18:00:00+00:00")
    );
    assert_eq!(
        post(&mut c, "extend_phone_for_appointment", json!({ "lead_id": LEAD, "appointment_time_utc": "2025-10-20T20:00:00", "as_of": AS_OF })),
        json!("2025-10-21T20:00:00+00:00")
    );
    assert_eq!(
        post(&mut c, "complete_appointment_for_phone", json!({ "lead_id": LEAD, "outcome": "showed", "as_of": "2025-10-20T21:00:00Z" })),
        json!("2025-10-21T21:00:00+00:00")
    );
    assert_eq!(
        post(&mut c, "reschedule_appointment_for_phone", json!({ "lead_id": LEAD, "new_time": "2025-10-22T15:00:00Z", "as_of": "2025-10-20T21:05:00Z" })),
        json!("2025-10-23T15:00:00+00:00")
    );
    // The VAPI functions: the text forms take `payload`, the jsonb forms `body`.
    let booked = post(&mut c, "vapi_tool_calls", json!({ "body": vapi("tool-calls-book.json"), "as_of": AS_OF }));
    assert_eq!(booked["results"][0]["toolCallId"], "call_book_07f26a19", "{booked}");
    let as_text = post(&mut c, "vapi_tool_calls", json!({ "payload": vapi("tool-calls-book.json").to_string(), "as_of": AS_OF }));
    assert_eq!(as_text, booked);
    let ended = post(&mut c, "vapi_end_of_call", json!({ "body": vapi("end-of-call-report-booked.json"), "as_of": AS_OF }));
    assert!(ended.is_object(), "{ended}");
    let webhook = post(&mut c, "vapi_webhook", json!({ "payload": vapi("status-update.json").to_string(), "as_of": AS_OF }));
    assert_eq!(webhook, json!({}));
    // The n8n entry point returns a record: PostgREST answers it as an object.
    let answered = post(
        &mut c,
        "phone_holds_webhook",
        json!({ "webhook": "complete_appointment_for_phone", "payload": json!({ "lead_id": OTHER_LEAD, "outcome": "showed" }).to_string(), "as_of": AS_OF }),
    );
    assert_eq!(answered["status"], 200, "{answered}");
    // A number held by a lead with no appointment is due at as_of + 18 h: the release frees it.
    post(&mut c, "assign_phone_to_lead", json!({ "lead_id": OTHER_LEAD, "as_of": AS_OF }));
    assert_eq!(post(&mut c, "release_expired_phone_numbers", json!({ "as_of": "2025-10-19T07:00:00Z" })), json!(1));
    assert_eq!(post(&mut c, "release_expired_phone_numbers_batch", json!({ "as_of": "2025-10-19T07:00:00Z" })), json!(0));

    // The functions that only read are STABLE: PostgREST runs them READ ONLY, by GET or POST.
    let read = |c: &mut Client, name: &str, args: Value| {
        let by_get = call(c, &all, &service, name, &args, true).unwrap_or_else(|e| panic!("GET /rpc/{name}: {e:?}"));
        let by_post = call(c, &all, &service, name, &args, false).unwrap_or_else(|e| panic!("POST /rpc/{name}: {e:?}"));
        assert_eq!(by_get, by_post, "{name}");
        by_get
    };
    let holder = read(&mut c, "phone_number_holder_at", json!({ "number": number, "at": "2025-10-20T12:00:00Z" }));
    assert_eq!(holder, json!(LEAD));
    let inbound = read(
        &mut c,
        "vapi_assistant_request",
        json!({ "payload": vapi("assistant-request-held.json").to_string(), "as_of": "2025-10-19T09:00:00Z", "assistant_id": ASSISTANT }),
    );
    assert_eq!(inbound["assistantId"], ASSISTANT, "{inbound}");
    let by_body = read(&mut c, "vapi_assistant_request", json!({ "body": vapi("assistant-request-held.json"), "as_of": "2025-10-19T09:00:00Z", "assistant_id": ASSISTANT }));
    assert_eq!(by_body, inbound);
    let by_area = read(&mut c, "phone_pool_by_area_code", json!({ "as_of": AS_OF }));
    assert!(by_area.as_array().is_some_and(|rows| !rows.is_empty()), "{by_area}");
    let problems = read(&mut c, "phone_holds_check", json!({}));
    assert_eq!(problems, json!([]), "phone_holds_check() over PostgREST");

    // A function that writes, called by GET, runs READ ONLY: refused, nothing changed.
    let before = holds(&mut owner);
    let refused = call(&mut c, &all, &service, "assign_phone_to_lead", &json!({ "lead_id": OTHER_LEAD, "as_of": AS_OF }), true).expect_err("a write by GET");
    assert_eq!(sqlstate(&refused), "25006", "{refused:?}");
    assert_eq!(holds(&mut owner), before);
}

#[test]
fn supabase_s_public_roles_can_call_nothing_that_reads_or_moves_a_hold() {
    let cluster = Cluster::start("postgrest-public", &[]);
    let mut owner = supabase(&cluster);
    let mut c = authenticator(&cluster);
    let all = routines(&mut owner, "public");
    owner.batch_execute(&format!("SELECT assign_phone_to_lead('{LEAD}', '{AS_OF}')")).unwrap();
    let before = holds(&mut owner);

    let calls: Vec<(&str, Value)> = vec![
        ("assign_phone_to_lead", json!({ "lead_id": OTHER_LEAD, "as_of": AS_OF })),
        ("extend_phone_for_appointment", json!({ "lead_id": LEAD, "appointment_time": "2025-10-20T14:00:00Z", "as_of": AS_OF })),
        ("extend_phone_for_appointment", json!({ "lead_id": LEAD, "appointment_time_utc": "2025-10-20T14:00:00", "as_of": AS_OF })),
        ("complete_appointment_for_phone", json!({ "lead_id": LEAD, "outcome": "cancelled", "as_of": AS_OF })),
        ("reschedule_appointment_for_phone", json!({ "lead_id": LEAD, "new_time": "2025-10-22T15:00:00Z", "as_of": AS_OF })),
        ("release_expired_phone_numbers", json!({ "as_of": "2030-01-01T00:00:00Z" })),
        ("release_expired_phone_numbers_batch", json!({ "as_of": "2030-01-01T00:00:00Z" })),
        ("phone_number_holder_at", json!({ "number": "+15550000001", "at": AS_OF })),
        ("vapi_tool_calls", json!({ "body": vapi("tool-calls-book.json") })),
        ("vapi_tool_calls", json!({ "payload": vapi("tool-calls-book.json").to_string() })),
        ("vapi_end_of_call", json!({ "body": vapi("end-of-call-report-booked.json") })),
        ("vapi_assistant_request", json!({ "body": vapi("assistant-request-held.json"), "assistant_id": ASSISTANT })),
        ("vapi_webhook", json!({ "payload": vapi("tool-calls-book.json").to_string() })),
        ("calcom_webhook", json!({ "body": "{}" })),
        ("calendly_webhook", json!({ "body": "{}" })),
        ("phone_holds_webhook", json!({ "webhook": "release_expired_phone_numbers", "payload": "{}" })),
        ("phone_pool_by_area_code", json!({})),
        ("phone_pool_history", json!({ "from_time": "2025-10-18T00:00:00Z", "to_time": "2025-10-19T00:00:00Z", "step": "1 hour" })),
        ("phone_release_runs", json!({ "from_time": "2025-10-18T00:00:00Z", "to_time": "2025-10-19T00:00:00Z" })),
        ("phone_holds_check", json!({})),
        ("retire_phone_number", json!({ "phone_number": "+15550000002", "reason": "spam" })),
        ("phone_holds_set_webhook_secret", json!({ "source": "calcom", "secret": "x" })),
        ("schedule_phone_release", json!({})),
    ];
    for role in ["anon", "authenticated"] {
        for (name, body) in &calls {
            let refused = call(&mut c, &all, &Caller { role }, name, body, false).expect_err(&format!("{role} POST /rpc/{name}"));
            assert_eq!(sqlstate(&refused), "42501", "{role} POST /rpc/{name}: {refused:?}");
        }
        // Nor the tables, through PostgREST's table endpoints.
        for table in ["signalwire_phone_numbers", "phone_hold_ledger", "phone_hold_appointments", "phone_hold_bookings", "phone_holds_webhook_secrets", "phone_pool_status"] {
            let mut tx = c.transaction().unwrap();
            tx.execute("SELECT set_config('role', $1, true)", &[&role]).unwrap();
            let refused = tx.query(&format!("SELECT * FROM public.{table}"), &[]).expect_err(&format!("{role} GET /{table}"));
            assert_eq!(sqlstate(&refused), "42501", "{role} GET /{table}: {refused:?}");
        }
    }
    assert_eq!(holds(&mut owner), before, "a refused call changed nothing");
    let exposed: i64 = owner.query_one("SELECT count(*) FROM phone_holds_exposed()", &[]).unwrap().get(0);
    assert_eq!(exposed, 0);
}
