//! phone_holds behind a transaction pooler (PgBouncer in transaction mode, as Supabase's port
//! 6543 pools): the shipped n8n workflows' queries, the webhook entry point and the drain answer
//! through it as they answer directly; settings made per session leak between the clients that
//! share a server connection, settings per transaction do not, and a role's settings arrive
//! with a new server connection; LISTEN through it misses the events. docs/operations/poolers.md
//! says what users should do about each.
//!
//! How the queries are sent: n8n's Postgres node (node-postgres) sends each parameterised query
//! as one unnamed Parse/Bind/Describe/Execute/Sync, which transaction pooling passes on whole.
//! The postgres crate's `query()` would first prepare a *named* statement in a round trip of its
//! own, which a transaction pooler may run on another server connection than the Bind; so the
//! queries go with `query_typed` (postgres 0.19.14: unnamed statement, one round trip, what n8n
//! sends) and everything else with `simple_query`/`batch_execute`. node-postgres leaves the
//! parameters' types to the server; every workflow query types its parameters itself (`::text`,
//! `decode()`, the function's signature), so TEXT is what the server would infer.

use phone_holds_e2e::pgbouncer::PgBouncer;
use phone_holds_e2e::{example, Cluster};
use postgres::types::Type;
use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, SimpleQueryMessage};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use phone_holds_e2e::workflows::{bind, postgres_nodes, replacement_expressions, webhook_workflows, Request};

const LEAD: &str = "07f26a19-e9dc-422c-b61d-030e3c7971bb";
const OTHER_LEAD: &str = "2b1c1f4e-5d7a-4c3e-9a10-8f3d2e6b7c01";
const ASSISTANT: &str = "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c";

/// Makes `database` with the extension set up and `numbers` numbers in its pool.
fn set_up(cluster: &Cluster, database: &str, numbers: usize) {
    cluster.connect().batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
    cluster
        .connect_to(database)
        .batch_execute(&format!(
            "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
             INSERT INTO signalwire_phone_numbers (number) SELECT '+1555000000' || i FROM generate_series(1, {numbers}) AS i;"
        ))
        .unwrap();
}

/// A query's one row as (status, response), what every workflow and the webhook entry point
/// answer.
fn answer(c: &mut Client, query: &str, params: &[String]) -> (i32, Value) {
    let typed: Vec<(&(dyn postgres::types::ToSql + Sync), Type)> = params.iter().map(|p| (p as _, Type::TEXT)).collect();
    let rows = c.query_typed(query, &typed).unwrap_or_else(|e| panic!("{query}: {e}"));
    assert_eq!(rows.len(), 1, "{query}");
    (rows[0].get(0), rows[0].get(1))
}

/// The rows of a simple query, each as its columns joined by " | " (NULL as "-").
fn rows(c: &mut Client, sql: &str) -> Vec<String> {
    c.simple_query(sql)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .into_iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => Some((0..r.len()).map(|i| r.get(i).unwrap_or("-")).collect::<Vec<_>>().join(" | ")),
            _ => None,
        })
        .collect()
}

/// The first row of a simple query.
fn first(c: &mut Client, sql: &str) -> String {
    rows(c, sql).into_iter().next().unwrap_or_else(|| panic!("{sql}: no row"))
}

/// The pool as it stands, without its times.
fn pool(c: &mut Client) -> Vec<String> {
    rows(c, "SELECT number, assignment_status, currently_assigned_to FROM signalwire_phone_numbers ORDER BY number")
}

/// Asserts two answers are the same but for times taken from now() (the workflows pass
/// `now()` as `as_of`): a string may differ only as a timestamp, later by no more than the two
/// calls were `apart`, plus a second for times given in whole seconds.
fn same_but_for_now(c: &mut Client, got: &Value, expected: &Value, apart: Duration, at: &str) {
    match (got, expected) {
        (Value::Object(a), Value::Object(b)) => {
            assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "{at}");
            for (key, value) in a {
                same_but_for_now(c, value, &b[key], apart, &format!("{at}.{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{at}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                same_but_for_now(c, x, y, apart, &format!("{at}[{i}]"));
            }
        }
        (Value::String(a), Value::String(b)) if a != b => {
            let later = c
                .query_typed_one("SELECT extract(epoch FROM $1::text::timestamptz - $2::text::timestamptz)::float8", &[(a, Type::TEXT), (b, Type::TEXT)])
                .unwrap_or_else(|e| panic!("{at}: {a:?} vs {b:?}, and they are no timestamps: {e}"))
                .get::<_, f64>(0);
            assert!((0.0..=apart.as_secs_f64() + 1.0).contains(&later), "{at}: {a} is {later} s after {b}; the calls were {apart:?} apart");
        }
        _ => assert_eq!(got, expected, "{at}"),
    }
}

#[test]
fn every_workflow_query_answers_through_the_pooler_as_directly() {
    let cluster = Cluster::start("pooler-workflows", &[]);
    for database in ["direct", "pooled"] {
        set_up(&cluster, database, 2);
        // The assistant as users set it: on the database (or the role), not per session.
        cluster.connect().batch_execute(&format!("ALTER DATABASE {database} SET phone_holds.vapi_assistant_id = '{ASSISTANT}'")).unwrap();
    }
    let bouncer = PgBouncer::start("workflows", &cluster, &[], &["default_pool_size = 1"]);
    let mut direct = cluster.connect_to("direct");
    let mut pooled = bouncer.connect("pooled");

    // The queries run at now(), so the examples' appointments move to three days from today.
    let day = first(&mut direct, "SELECT to_char(now() + interval '3 days', 'YYYY-MM-DD')");
    let headers = json!({"content-type": "application/json"});
    let requests = [
        ("VAPI_Appointment_Phone_Extension.json", example("vapi/tool-calls-book.json").replace("2025-10-20", &day)),
        ("VAPI_Inbound_Call.json", example("vapi/assistant-request-held.json")),
        ("Appointment_Outcome_Handler.json", json!({"lead_id": LEAD, "outcome": "showed"}).to_string()),
        ("VAPI_Call_Ended.json", example("vapi/option-b-cancelled.json")),
        ("Calcom_Booking_Webhook.json", example("calcom/booking-created.json").replace("2025-10-20", &day)),
        ("Calendly_Booking_Webhook.json", example("calendly/invitee-created.json").replace("2025-10-20", &day).replace(LEAD, OTHER_LEAD)),
        ("VAPI_Server_URL.json", example("vapi/status-update.json")),
    ];
    let shipped: Vec<String> = webhook_workflows().into_iter().map(|(file, _)| file).collect();
    let mut sent: Vec<String> = requests.iter().map(|(file, _)| file.to_string()).collect();
    sent.sort();
    assert_eq!(sent, shipped, "one request for each workflow a webhook starts");

    for (file, body) in &requests {
        let (_, w) = webhook_workflows().into_iter().find(|(f, _)| f == file).unwrap();
        let node = postgres_nodes(&w).next().unwrap();
        let query = node["parameters"]["query"].as_str().unwrap();
        let request = Request { body, headers: &headers };
        let params: Vec<String> = replacement_expressions(node).iter().map(|e| bind(e, &request)).collect();
        let started = Instant::now();
        let there = answer(&mut direct, query, &params);
        let through = answer(&mut pooled, query, &params);
        let apart = started.elapsed();
        println!("{file}: {through:?}");
        assert_eq!(there.0, 200, "{file}: {there:?}");
        assert_eq!(through.0, there.0, "{file}: {through:?} vs {there:?}");
        same_but_for_now(&mut direct, &through.1, &there.1, apart, file);
    }
    assert_eq!(pool(&mut pooled), pool(&mut direct));
}

/// HMAC-SHA256 of `parts` with `secret`, in hex: how Cal.com and Calendly sign.
fn signed(secret: &str, parts: &[&[u8]]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    parts.iter().for_each(|p| mac.update(p));
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

/// phone_holds_webhook() for every webhook it answers, with its as_of and signature arguments,
/// then the batched release (a procedure that COMMITs between batches): through the pooler, the
/// same answers, pool and ledger as directly.
#[test]
fn the_webhook_entry_point_and_the_drain_run_through_the_pooler() {
    let cluster = Cluster::start("pooler-webhook", &[]);
    for database in ["direct", "pooled"] {
        set_up(&cluster, database, 4);
        cluster
            .connect()
            .batch_execute(&format!(
                "ALTER DATABASE {database} SET phone_holds.vapi_assistant_id = '{ASSISTANT}';
                 ALTER DATABASE {database} SET phone_holds.release_batch = 1;"
            ))
            .unwrap();
        cluster
            .connect_to(database)
            .batch_execute("SELECT phone_holds_set_webhook_secret('calcom', 'whsec_pooler'), phone_holds_set_webhook_secret('calendly', 'whsec_pooler')")
            .unwrap();
    }
    let bouncer = PgBouncer::start("webhook", &cluster, &[], &["default_pool_size = 1"]);
    let mut direct = cluster.connect_to("direct");
    let mut pooled = bouncer.connect("pooled");

    let headers = json!({"content-type": "application/json"}).to_string();
    let calcom = example("calcom/booking-created.json");
    let calendly = example("calendly/invitee-created.json").replace(LEAD, OTHER_LEAD);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let calendly_signature = format!("t={now},v1={}", signed("whsec_pooler", &[now.as_bytes(), b".", calendly.as_bytes()]));
    // (webhook, payload, as_of, signature)
    let calls = [
        ("vapi_tool_calls", example("vapi/tool-calls-book.json"), "2025-10-18 12:00+00", headers.clone()),
        ("vapi_assistant_request", example("vapi/assistant-request-held.json"), "2025-10-18 12:05+00", headers.clone()),
        ("calendly_webhook", calendly, "2025-10-18 13:00+00", calendly_signature),
        ("vapi", example("vapi/status-update.json"), "2025-10-18 13:05+00", headers.clone()),
        ("vapi_end_of_call", example("vapi/option-b-cancelled.json"), "2025-10-18 14:00+00", headers.clone()),
        ("calcom_webhook", calcom.clone(), "2025-10-18 15:00+00", signed("whsec_pooler", &[calcom.as_bytes()])),
        ("complete_appointment_for_phone", json!({"lead_id": LEAD, "outcome": "showed"}).to_string(), "2025-10-20 19:00+00", String::new()),
    ];
    for (webhook, payload, as_of, signature) in &calls {
        let params = [webhook.to_string(), payload.clone(), as_of.to_string(), signature.clone()];
        let query = "SELECT status, response FROM phone_holds_webhook($1, $2, $3::timestamptz, nullif($4, ''))";
        let there = answer(&mut direct, query, &params);
        let through = answer(&mut pooled, query, &params);
        println!("{webhook}: {through:?}");
        assert_eq!(there.0, 200, "{webhook}: {there:?}");
        assert_eq!(through, there, "{webhook}");
    }
    // A signature that does not match is refused through the pooler as directly.
    let forged = ["calcom_webhook".to_owned(), calcom.clone(), "2025-10-18 15:00+00".to_owned(), signed("not the secret", &[calcom.as_bytes()])];
    let query = "SELECT status, response FROM phone_holds_webhook($1, $2, $3::timestamptz, $4)";
    assert_eq!(answer(&mut pooled, query, &forged).0, 401);

    // More holds that will be due, then the drain: one number per batch (release_batch = 1 on
    // the database), a COMMIT after each.
    for c in [&mut direct, &mut pooled] {
        c.batch_execute("SELECT assign_phone_to_lead(('00000000-0000-4000-8000-00000000000' || i)::uuid, '2025-10-20 20:00+00') FROM generate_series(1, 2) AS i").unwrap();
    }
    let held = rows(&mut direct, "SELECT count(*) FROM signalwire_phone_numbers WHERE currently_assigned_to IS NOT NULL");
    assert_eq!(held, ["4"]);
    let drain = "CALL drain_expired_phone_numbers('2025-12-01 00:00+00', NULL)";
    let released = rows(&mut pooled, drain);
    assert_eq!(released, rows(&mut direct, drain));
    assert_eq!(released, held, "every held number released");
    let ledger = "SELECT at, event, number, lead_id, old_release_at, new_release_at, appointment_at, outcome, source, source_ref, geo_tier, reason FROM phone_hold_ledger ORDER BY id";
    assert_eq!(rows(&mut pooled, ledger), rows(&mut direct, ledger));
    assert_eq!(pool(&mut pooled), pool(&mut direct));
    assert_eq!(rows(&mut pooled, "SELECT * FROM phone_holds_check()"), Vec::<String>::new());
}

/// The moment every hold in the settings tests starts.
const AS_OF: &str = "2025-10-18 12:00+00";

/// Assigns lead number `n` a number at AS_OF and says how long it is held ("18:00:00").
fn hold(c: &mut Client, n: u32) -> String {
    let lead = format!("00000000-0000-4000-8000-{n:012}");
    c.batch_execute(&format!("SELECT assign_phone_to_lead('{lead}', '{AS_OF}')")).unwrap();
    first(c, &format!("SELECT (release_at - '{AS_OF}')::text FROM signalwire_phone_numbers WHERE currently_assigned_to = '{lead}'"))
}

/// The server process a client's statement ran on.
fn backend(c: &mut Client) -> String {
    first(c, "SELECT pg_backend_pid()")
}

/// phone_holds reads its settings at each call (src/gucs.rs): behind a transaction pooler a
/// session's SET stays on the server connection and reaches whichever client gets it next; a
/// transaction's SET LOCAL or set_config(…, true) ends with it; a reset after every
/// transaction (DISCARD ALL) stops the leak, and with it the SET itself.
#[test]
fn a_session_setting_reaches_the_next_client_and_a_transaction_setting_does_not() {
    let cluster = Cluster::start("pooler-settings", &[]);
    set_up(&cluster, "pooled", 9);
    let bouncer = PgBouncer::start("settings", &cluster, &[], &["default_pool_size = 1"]);
    let (mut a, mut b) = (bouncer.connect("pooled"), bouncer.connect("pooled"));
    let server = backend(&mut a);
    assert_eq!(backend(&mut b), server, "one server connection for both clients");
    assert_eq!(hold(&mut b, 1), "18:00:00", "the default");

    // The hazard: A's SET stays on the server connection B is given next.
    a.batch_execute("SET phone_holds.initial_hold = '2h'").unwrap();
    assert_eq!(hold(&mut b, 2), "02:00:00", "B never set it, and gets A's");
    b.batch_execute("RESET phone_holds.initial_hold").unwrap();
    assert_eq!(first(&mut a, "SHOW phone_holds.initial_hold"), "18h", "and B's RESET undid A's SET");

    // A transaction's setting ends with it: SET LOCAL, and set_config(…, true).
    a.batch_execute("BEGIN; SET LOCAL phone_holds.initial_hold = '3h'").unwrap();
    assert_eq!(hold(&mut a, 3), "03:00:00");
    a.batch_execute("COMMIT").unwrap();
    assert_eq!(hold(&mut b, 4), "18:00:00");
    a.batch_execute("BEGIN; SELECT set_config('phone_holds.initial_hold', '4h', true)").unwrap();
    assert_eq!(hold(&mut a, 5), "04:00:00");
    a.batch_execute("COMMIT").unwrap();
    assert_eq!(hold(&mut b, 6), "18:00:00");

    // DISCARD ALL (server_reset_query) after every transaction, not only in session mode: A's
    // SET reaches neither B nor A's own next statement.
    bouncer.admin().batch_execute("SET server_reset_query_always = 1").unwrap();
    a.batch_execute("SET phone_holds.initial_hold = '2h'").unwrap();
    assert_eq!(hold(&mut b, 7), "18:00:00", "the reset undid A's SET");
    a.batch_execute("SET phone_holds.initial_hold = '2h'").unwrap();
    assert_eq!(hold(&mut a, 8), "18:00:00", "A's own SET is gone by its next transaction too");
    assert_eq!(backend(&mut b), server, "still the one server connection");
}

/// `ALTER ROLE … SET` applies to sessions that start afterwards; a pooled client gets it once
/// the pooler opens a new server connection (RECONNECT on PgBouncer's admin console), not before.
#[test]
fn a_role_setting_reaches_pooled_clients_after_a_reconnect() {
    let cluster = Cluster::start("pooler-role", &[]);
    set_up(&cluster, "pooled", 9);
    // A superuser: what the workflows' role may run is README's Privileges, not this test.
    cluster.connect().batch_execute("CREATE ROLE workflows LOGIN SUPERUSER").unwrap();
    let bouncer = PgBouncer::start("role", &cluster, &["workflows"], &["default_pool_size = 1"]);
    let mut pooled = bouncer.connect_as("pooled", "workflows");
    let server = backend(&mut pooled);
    assert_eq!(hold(&mut pooled, 1), "18:00:00");

    cluster.connect().batch_execute("ALTER ROLE workflows SET phone_holds.initial_hold = '5h'").unwrap();
    let mut fresh = cluster.config("pooled").user("workflows").connect(postgres::NoTls).unwrap();
    assert_eq!(hold(&mut fresh, 2), "05:00:00", "a new direct session has it");
    assert_eq!(hold(&mut pooled, 3), "18:00:00", "the pooled server connection started before it");
    let mut later = bouncer.connect_as("pooled", "workflows");
    assert_eq!(hold(&mut later, 4), "18:00:00", "so does a client that connects to the pooler after it");
    assert_eq!(backend(&mut later), server);

    bouncer.admin().batch_execute("RECONNECT pooled").unwrap();
    assert_eq!(hold(&mut pooled, 5), "05:00:00", "a new server connection has it");
    assert_ne!(backend(&mut pooled), server);
}

/// The notifications a client has received so far, as (channel, lead), without waiting.
fn received(c: &mut Client) -> Vec<(String, String)> {
    c.notifications()
        .iter()
        .map(|n| {
            let event: Value = serde_json::from_str(n.payload()).unwrap();
            Ok((n.channel().to_owned(), event["leadId"].as_str().unwrap_or_default().to_owned()))
        })
        .collect()
        .unwrap()
}

/// LISTEN through transaction pooling succeeds, but it registers the server connection, not
/// the client: the client that listened never hears of a change, and with one server
/// connection the event goes to whichever client holds that connection when it is delivered.
/// A direct connection gets it.
#[test]
fn listen_through_the_pooler_hears_nothing_and_a_direct_connection_does() {
    let cluster = Cluster::start("pooler-listen", &[]);
    set_up(&cluster, "pooled", 9);
    let bouncer = PgBouncer::start("listen", &cluster, &[], &["default_pool_size = 1"]);
    let mut listener = bouncer.connect("pooled");
    let mut other = bouncer.connect("pooled");
    let mut direct_listener = cluster.connect_to("pooled");
    listener.batch_execute("LISTEN phone_holds").expect("LISTEN is accepted through the pooler");
    direct_listener.batch_execute("LISTEN phone_holds").unwrap();
    let server = backend(&mut listener);
    assert_eq!(first(&mut other, "SELECT pg_listening_channels()"), "phone_holds", "the server connection listens, whoever uses it");

    // Another client holds the server connection in a transaction while the change commits:
    // PostgreSQL delivers the event when that transaction ends, before its ReadyForQuery.
    other.batch_execute("BEGIN").unwrap();
    assert_eq!(backend(&mut other), server, "the connection the LISTEN ran on");
    let lead = "00000000-0000-4000-8000-000000000001";
    cluster.connect_to("pooled").batch_execute(&format!("SELECT assign_phone_to_lead('{lead}', '{AS_OF}')")).unwrap();
    let direct = direct_listener.notifications().timeout_iter(Duration::from_secs(10)).next().unwrap().expect("the direct listener gets the event");
    assert_eq!(serde_json::from_str::<Value>(direct.payload()).unwrap()["leadId"], lead);
    other.batch_execute("COMMIT").unwrap();
    assert_eq!(received(&mut other), [("phone_holds".to_owned(), lead.to_owned())], "the client that never listened gets it");
    listener.batch_execute("SELECT 1").unwrap();
    assert_eq!(received(&mut listener), [], "the client that listened does not");

    // While the server connection sits idle in the pool, PgBouncer drops the event (with a
    // WARNING in its log): nobody gets it.
    let idle = "00000000-0000-4000-8000-000000000002";
    let dropped = "got packet 'A' from server when not linked";
    assert!(!bouncer.log().contains(dropped), "{}", bouncer.log());
    cluster.connect_to("pooled").batch_execute(&format!("SELECT assign_phone_to_lead('{idle}', '{AS_OF}')")).unwrap();
    let direct = direct_listener.notifications().timeout_iter(Duration::from_secs(10)).next().unwrap().expect("the direct listener gets the event");
    assert_eq!(serde_json::from_str::<Value>(direct.payload()).unwrap()["leadId"], idle);
    bouncer.wait_for_log(dropped);
    for client in [&mut listener, &mut other] {
        client.batch_execute("SELECT 1").unwrap();
        assert_eq!(received(client), [], "dropped");
    }
    assert_eq!(backend(&mut listener), server, "PgBouncer kept the server connection");
    assert_eq!(first(&mut listener, "SELECT pg_listening_channels()"), "phone_holds", "which still listens");
}
