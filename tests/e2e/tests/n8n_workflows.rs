//! The n8n workflows under examples/n8n/: importable as they are (n8n's export format), linked
//! to the credential template, every SQL parameterised, every failure wired to an answer, and
//! every query working against the extension with the values n8n sends (as text). What they
//! answer in a real n8n is tests/n8n-live/.

use phone_holds_e2e::workflows::{node, nodes_of, placeholders, postgres_nodes, query_of, replacement_expressions, targets, webhook_workflows, workflows};
use phone_holds_e2e::Cluster;
use postgres::types::Type;
use serde_json::Value;
use std::collections::HashSet;

/// The credential template README's CLI step imports.
fn credential_template() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/n8n/credentials/Supabase_service_role.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn the_workflows_are_importable_n8n_exports() {
    let found = workflows();
    let names: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        names,
        [
            "Appointment_Outcome_Handler.json",
            "Calcom_Booking_Webhook.json",
            "Calendly_Booking_Webhook.json",
            "Phone_Number_Events.json",
            "VAPI_Appointment_Phone_Extension.json",
            "VAPI_Call_Ended.json",
            "VAPI_Inbound_Call.json",
            "VAPI_Server_URL.json"
        ]
    );
    let mut ids = HashSet::new();
    for (file, w) in &found {
        assert_eq!(w["name"].as_str(), Some(file.trim_end_matches(".json")), "{file}: name");
        // A fixed id: importing again replaces the workflow instead of adding a second one
        // that would claim the same webhook path.
        assert!(w["id"].as_str().is_some_and(|id| ids.insert(id.to_owned())), "{file}: a workflow id of its own");
        let nodes = w["nodes"].as_array().unwrap_or_else(|| panic!("{file}: nodes"));
        let mut node_names = HashSet::new();
        for n in nodes {
            let name = n["name"].as_str().unwrap_or_else(|| panic!("{file}: a node without a name"));
            assert!(node_names.insert(name), "{file}: two nodes named {name}");
            assert!(n["type"].as_str().is_some_and(|t| t.starts_with("n8n-nodes-base.")), "{file}/{name}: type");
            assert!(n["typeVersion"].is_number(), "{file}/{name}: typeVersion");
            assert!(n["parameters"].is_object(), "{file}/{name}: parameters");
            assert!(n["position"].as_array().is_some_and(|p| p.len() == 2 && p.iter().all(Value::is_number)), "{file}/{name}: position");
            assert!(n["id"].as_str().is_some(), "{file}/{name}: id");
        }
        // Connections join existing nodes, and every node is reached from the trigger: a webhook,
        // or the Postgres Trigger of the change events.
        let connections = w["connections"].as_object().unwrap_or_else(|| panic!("{file}: connections"));
        let mut reached = HashSet::new();
        let trigger = nodes
            .iter()
            .find(|n| n["type"] == "n8n-nodes-base.webhook" || n["type"] == "n8n-nodes-base.postgresTrigger")
            .expect("a trigger");
        let mut frontier = vec![trigger["name"].as_str().unwrap()];
        while let Some(from) = frontier.pop() {
            reached.insert(from);
            for output in connections.get(from).and_then(|c| c["main"].as_array()).into_iter().flatten() {
                for link in output.as_array().unwrap() {
                    let to = link["node"].as_str().unwrap();
                    assert!(node_names.contains(to), "{file}: connection to unknown node {to}");
                    frontier.push(to);
                }
            }
        }
        let notes: HashSet<&str> = nodes_of(w, "n8n-nodes-base.stickyNote").map(|n| n["name"].as_str().unwrap()).collect();
        assert_eq!(&reached | &notes, node_names, "{file}: every node but the notes is reached from the trigger");
        assert!(connections.keys().all(|k| node_names.contains(k.as_str())), "{file}: connection from unknown node");
        if trigger["type"] == "n8n-nodes-base.webhook" {
            let responder = nodes.iter().find(|n| n["type"] == "n8n-nodes-base.respondToWebhook");
            assert!(responder.is_some() && trigger["parameters"]["responseMode"] == "responseNode", "{file}: answers the webhook");
        }
    }
}

/// The webhooks phone_holds_webhook() answers (sql/webhook.sql), by the file that calls each.
const WEBHOOK_OF: [(&str, &str); 7] = [
    ("Appointment_Outcome_Handler.json", "complete_appointment_for_phone"),
    ("Calcom_Booking_Webhook.json", "calcom_webhook"),
    ("Calendly_Booking_Webhook.json", "calendly_webhook"),
    ("VAPI_Appointment_Phone_Extension.json", "vapi_tool_calls"),
    ("VAPI_Call_Ended.json", "vapi_end_of_call"),
    ("VAPI_Inbound_Call.json", "vapi_assistant_request"),
    ("VAPI_Server_URL.json", "vapi"),
];

/// The signature header each calendar workflow passes, as Node.js spells it (lower case).
fn signature_header(webhook: &str) -> Option<&'static str> {
    match webhook {
        "calcom_webhook" => Some("x-cal-signature-256"),
        "calendly_webhook" => Some("calendly-webhook-signature"),
        _ => None,
    }
}

#[test]
fn every_query_is_parameterised() {
    let found = webhook_workflows();
    assert_eq!(found.len(), WEBHOOK_OF.len());
    for ((file, w), (expected_file, webhook)) in found.into_iter().zip(WEBHOOK_OF) {
        assert_eq!(file, expected_file);
        let mut count = 0;
        for node in postgres_nodes(&w) {
            count += 1;
            let query = node["parameters"]["query"].as_str().unwrap();
            assert_eq!(node["parameters"]["operation"], "executeQuery", "{file}");
            // The one literal is the webhook's name, fixed in the workflow; every value from
            // the request is a parameter.
            let expressions = replacement_expressions(node);
            match signature_header(webhook) {
                // A signed body is checked over its bytes as sent: the raw body (base64, as n8n
                // holds it), decoded in the database, and the signature header.
                Some(header) => {
                    assert_eq!(
                        query,
                        format!("SELECT status, response FROM phone_holds_webhook('{webhook}', convert_from(decode($1, 'base64'), 'UTF8'), now(), $2);"),
                        "{file}"
                    );
                    assert_eq!(expressions, ["$input.item.binary.data.data".to_owned(), format!("$json.headers['{header}'] ?? ''")], "{file}");
                    let trigger = nodes_of(&w, "n8n-nodes-base.webhook").next().unwrap();
                    assert_eq!(trigger["parameters"]["options"]["rawBody"], true, "{file}: the raw body is kept");
                }
                // The one VAPI URL: the raw body (an HMAC credential signs the bytes as sent) and
                // the request's headers, which carry VAPI's server credential.
                None if webhook == "vapi" => {
                    assert_eq!(
                        query,
                        "SELECT status, response FROM phone_holds_webhook('vapi', convert_from(decode($1, 'base64'), 'UTF8'), now(), $2);",
                        "{file}"
                    );
                    assert_eq!(expressions, ["$input.item.binary.data.data", "JSON.stringify($json.headers)"], "{file}");
                    let trigger = nodes_of(&w, "n8n-nodes-base.webhook").next().unwrap();
                    assert_eq!(trigger["parameters"]["options"]["rawBody"], true, "{file}: the raw body is kept");
                }
                // The per-purpose VAPI URLs: the body and the headers (the credential).
                None if webhook.starts_with("vapi_") => {
                    assert_eq!(query, format!("SELECT status, response FROM phone_holds_webhook('{webhook}', $1::text, now(), $2);"), "{file}");
                    assert_eq!(expressions, ["JSON.stringify($json.body)", "JSON.stringify($json.headers)"], "{file}: the body, whole, and the headers");
                }
                None => {
                    assert_eq!(query, format!("SELECT status, response FROM phone_holds_webhook('{webhook}', $1::text);"), "{file}");
                    assert_eq!(expressions, ["JSON.stringify($json.body)"], "{file}: the body, whole, as the one parameter");
                }
            }
            assert_eq!(placeholders(query), expressions.len(), "{file}: {query} vs {expressions:?}");
        }
        assert_eq!(count, 1, "{file}: one Postgres node");
    }
}

/// Every Postgres node routes its errors to an output of their own, and both of its outputs
/// end in an answer with a status set: no failure leaves the webhook waiting or answers an
/// empty 200. What each answer says is checked in a real n8n (tests/n8n-live/).
#[test]
fn every_postgres_node_answers_success_and_error() {
    for (file, w) in workflows() {
        for pg in postgres_nodes(&w) {
            let name = pg["name"].as_str().unwrap();
            assert_eq!(pg["onError"], "continueErrorOutput", "{file}/{name}: On Error: Continue (using error output)");
            for output in [0, 1] {
                let to = targets(&w, name, output);
                assert_eq!(to.len(), 1, "{file}/{name}: output {output} leads to one node, not {to:?}");
                let answer = node(&w, to[0]);
                assert_eq!(answer["type"], "n8n-nodes-base.respondToWebhook", "{file}/{name}: output {output} ends in an answer");
                assert_eq!(answer["parameters"]["respondWith"], "json", "{file}/{}", to[0]);
                let code = answer["parameters"]["options"]["responseCode"].as_str().unwrap_or_default();
                let body = answer["parameters"]["responseBody"].as_str().unwrap_or_default();
                assert!(code.starts_with("={{") && body.starts_with("={{ JSON.stringify("), "{file}/{}: status and body are expressions", to[0]);
                if output == 0 {
                    // The database's answer, and an error of its own when there is none (the
                    // node ran without a credential and passed the request on).
                    assert!(code.starts_with("={{ $json.status ?? "), "{file}: {code}");
                    assert!(body.starts_with("={{ JSON.stringify($json.response ?? "), "{file}: {body}");
                    assert!(body.contains("credential"), "{file}: says what is missing: {body}");
                } else {
                    assert!(body.contains("error: $json.message, sqlstate: null"), "{file}: n8n's message: {body}");
                }
            }
        }
    }
}

/// The workflows name the credential of the template file, by id (what the CLI import links)
/// and by name (what the editor's import links), and README names it too.
#[test]
fn every_postgres_node_names_the_credential_of_the_template() {
    let template = credential_template();
    let credential = &template[0];
    assert_eq!(credential["type"], "postgres");
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md")).unwrap();
    assert!(readme.contains(&format!("`{}`", credential["name"].as_str().unwrap())), "README names the credential");
    for (file, w) in workflows() {
        for pg in postgres_nodes(&w).chain(nodes_of(&w, "n8n-nodes-base.postgresTrigger")) {
            let linked = &pg["credentials"]["postgres"];
            assert_eq!((&linked["id"], &linked["name"]), (&credential["id"], &credential["name"]), "{file}");
        }
    }
}

/// The change-events workflow listens on phone_holds' channel, passes on released and assigned
/// events only, and reaches SignalWire through placeholders that stay off until the user fills
/// them in (no call leaves a fresh install).
#[test]
fn the_events_workflow_listens_on_the_channel_and_leaves_signalwire_to_the_user() {
    let (_, w) = workflows().into_iter().find(|(f, _)| f == "Phone_Number_Events.json").unwrap();
    let trigger = nodes_of(&w, "n8n-nodes-base.postgresTrigger").next().expect("a Postgres Trigger");
    assert_eq!(trigger["parameters"]["triggerMode"], "listenTrigger", "listens to a channel, creates no trigger of its own");
    assert_eq!(trigger["parameters"]["channelName"], "phone_holds");
    let filter = node(&w, "Released or assigned?");
    assert_eq!(filter["parameters"]["conditions"]["combinator"], "or");
    let tested: Vec<(&str, &str)> = filter["parameters"]["conditions"]["conditions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["leftValue"].as_str().unwrap(), c["rightValue"].as_str().unwrap()))
        .collect();
    assert_eq!(tested, [("={{ $json.payload.event }}", "released"), ("={{ $json.payload.event }}", "assigned")]);
    assert_eq!(targets(&w, "Released or assigned?", 0), ["SignalWire: find the number"]);
    assert!(targets(&w, "Released or assigned?", 1).is_empty(), "other events end there");
    let http: Vec<&Value> = nodes_of(&w, "n8n-nodes-base.httpRequest").collect();
    assert_eq!(http.len(), 2);
    for h in &http {
        assert_eq!(h["disabled"], true, "{}: shipped disabled", h["name"]);
        assert!(h["parameters"]["url"].as_str().unwrap().contains("YOUR_SPACE.signalwire.com/api/relay/rest/phone_numbers"), "{}", h["name"]);
    }
    let put = node(&w, "SignalWire: re-point the number");
    assert_eq!(put["parameters"]["method"], "PUT");
    assert!(put["parameters"]["url"].as_str().unwrap().ends_with("/api/relay/rest/phone_numbers/{{ $json.data[0].id }}"));
}

/// A cluster with the extension set up and two numbers in the pool.
fn pool_of_two(name: &str) -> (Cluster, postgres::Client) {
    let cluster = Cluster::start(name, &[]);
    let mut c = cluster.connect();
    c.batch_execute(
        "CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number) VALUES ('+15550000001'), ('+15550000002');",
    )
    .unwrap();
    (cluster, c)
}

#[test]
fn the_workflow_queries_run_against_the_extension() {
    let (_cluster, mut c) = pool_of_two("n8n");
    // What the Postgres node hands on: the status and the response (the HTTP answer). The VAPI
    // workflows also pass the request's headers: here none but the content type.
    let run = |c: &mut postgres::Client, query: &str, body: &str| -> (i32, Value) {
        let headers = r#"{"content-type": "application/json"}"#;
        let rows = if placeholders(query) == 2 {
            c.query_typed(query, &[(&body, Type::TEXT), (&headers, Type::TEXT)])
        } else {
            c.query_typed(query, &[(&body, Type::TEXT)])
        };
        let row = rows.unwrap().into_iter().next().unwrap();
        (row.get(0), row.get(1))
    };

    // The workflow's query runs at now(), so the example's appointment moves to three days
    // from today: its day changes, nothing else.
    let day: String = c.query_one("SELECT to_char(now() + interval '3 days', 'YYYY-MM-DD')", &[]).unwrap().get(0);
    let booking = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/vapi/tool-calls-book.json"))
        .unwrap()
        .replace("2025-10-20", &day);
    let (status, response) = run(&mut c, &query_of("VAPI_Appointment_Phone_Extension.json"), &booking);
    assert_eq!(status, 200);
    println!("vapi_tool_calls response for examples/vapi/tool-calls-book.json (moved to {day}): {response}");
    assert_eq!(response["results"][0]["toolCallId"], "call_book_07f26a19");
    let said = response["results"][0]["result"].as_str().unwrap();
    assert!(said.starts_with(&format!("Booked for {day} 18:00 UTC.")), "{said}");

    // The lead calls its number back from the phone the booking call dialed.
    let inbound = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/vapi/assistant-request-held.json")).unwrap();
    let (status, refused) = run(&mut c, &query_of("VAPI_Inbound_Call.json"), &inbound);
    assert_eq!((status, &refused["sqlstate"]), (500, &Value::from("55000")), "no assistant set: {refused}");
    c.batch_execute("SET phone_holds.vapi_assistant_id = '5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c'").unwrap();
    let (status, routed) = run(&mut c, &query_of("VAPI_Inbound_Call.json"), &inbound);
    assert_eq!(status, 200);
    println!("vapi_assistant_request response for examples/vapi/assistant-request-held.json: {routed}");
    assert_eq!(routed["assistantOverrides"]["metadata"]["lead_id"], "07f26a19-e9dc-422c-b61d-030e3c7971bb");
    assert_eq!(routed["assistantOverrides"]["variableValues"]["caller_check"], "matches");

    let outcome = serde_json::json!({"lead_id": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "showed"}).to_string();
    let (status, showed) = run(&mut c, &query_of("Appointment_Outcome_Handler.json"), &outcome);
    assert_eq!(status, 200);
    // As JavaScript's Date.toJSON() writes it, which is what the workflow answered before 0.5.0.
    assert!(showed["release_at"].as_str().is_some_and(|t| t.len() == 24 && &t[19..20] == "." && t.ends_with('Z')), "{showed}");

    let report = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/vapi/option-b-cancelled.json")).unwrap();
    let (status, ended) = run(&mut c, &query_of("VAPI_Call_Ended.json"), &report);
    assert_eq!((status, &ended["action"]), (200, &Value::from("cancelled")));

    // A transcript with \u0000 and a lone surrogate: valid JSON that jsonb refuses, so a
    // workflow casting to jsonb answered HTTP 500. Through the text form it books.
    let odd = |text: &str| text.replacen("\"message\": {", "\"message\": {\"transcript\": \"um\\u0000 ok \\ud83d\",", 1);
    let booking = odd(&booking.replace("07f26a19-e9dc-422c-b61d-030e3c7971bb", "2b1c1f4e-5d7a-4c3e-9a10-8f3d2e6b7c01"));
    assert!(booking.contains("\\u0000"), "{booking}");
    let casted = c.query_typed("SELECT $1::jsonb", &[(&booking, Type::TEXT)]).unwrap_err();
    assert_eq!(casted.code().map(|s| s.code()), Some("22P05"), "jsonb refuses the body: {casted}");
    let (_, response) = run(&mut c, &query_of("VAPI_Appointment_Phone_Extension.json"), &booking);
    let said = response["results"][0]["result"].as_str().unwrap();
    assert!(said.starts_with(&format!("Booked for {day} 18:00 UTC.")), "{said}");
    let ended = odd(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/vapi/end-of-call-report-no-answer.json")).unwrap());
    assert!(ended.contains("\\u0000"), "{ended}");
    assert_eq!(run(&mut c, &query_of("VAPI_Call_Ended.json"), &ended).1["action"], "none");
}

/// Refused calls in a batch are logged once, as one WARNING naming a few, however many there are.
#[test]
fn refusals_in_a_batch_are_one_warning() {
    let cluster = Cluster::start("n8n-warnings", &[]);
    let warnings = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = warnings.clone();
    let mut c = cluster
        .config("postgres")
        .notice_callback(move |n| sink.lock().unwrap().push(format!("{}: {}", n.severity(), n.message())))
        .connect(postgres::NoTls)
        .unwrap();
    c.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    let calls: Vec<Value> = (0..40)
        .map(|i| serde_json::json!({"id": format!("call_{i}"), "function": {"name": "book_appointment", "arguments": {"lead_id": "nope"}}}))
        .collect();
    let body = serde_json::json!({"message": {"type": "tool-calls", "toolCallList": calls}}).to_string();
    c.query_typed("SELECT vapi_tool_calls($1::text)", &[(&body, Type::TEXT)]).unwrap();
    let got = warnings.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].starts_with("WARNING: phone_holds: 40 of 40 tool calls refused: \"call_0\": lead_id \"nope\" is not a UUID"), "{}", got[0]);
    assert!(got[0].ends_with("; and 37 more"), "{}", got[0]);
}

/// The calendar workflows' query, with the raw body as n8n holds it (base64) and the signature
/// header: books unsigned while no secret is set, and once one is, refuses a bad signature with
/// 401 and books a good one.
#[test]
fn the_calendar_workflow_queries_run_against_the_extension() {
    use hmac::{Hmac, KeyInit, Mac};
    let (_cluster, mut c) = pool_of_two("n8n-calendars");
    let sign = |parts: &[&[u8]]| -> String {
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(b"whsec_e2e").unwrap();
        parts.iter().for_each(|p| mac.update(p));
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    };
    // What n8n binds: the raw body in base64 (no line breaks), and the header or ''.
    let run = |c: &mut postgres::Client, query: &str, body: &str, signature: &str| -> (i32, Value) {
        let base64: String = c.query_one("SELECT translate(encode(convert_to($1, 'UTF8'), 'base64'), E'\\n', '')", &[&body]).unwrap().get(0);
        let row = c.query_typed(query, &[(&base64, Type::TEXT), (&signature, Type::TEXT)]).unwrap().into_iter().next().unwrap();
        (row.get(0), row.get(1))
    };
    let day: String = c.query_one("SELECT to_char(now() + interval '3 days', 'YYYY-MM-DD')", &[]).unwrap().get(0);
    let calcom = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/calcom/booking-created.json"))
        .unwrap()
        .replace("2025-10-20", &day);
    let calendly = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/calendly/invitee-created.json"))
        .unwrap()
        .replace("2025-10-20", &day)
        .replace("07f26a19-e9dc-422c-b61d-030e3c7971bb", "2b1c1f4e-5d7a-4c3e-9a10-8f3d2e6b7c01");

    let (status, booked) = run(&mut c, &query_of("Calcom_Booking_Webhook.json"), &calcom, "");
    assert_eq!((status, &booked["action"], &booked["verified"]), (200, &Value::from("booked"), &Value::from(false)), "{booked}");
    println!("calcom_webhook response for examples/calcom/booking-created.json (moved to {day}): {booked}");

    c.batch_execute("SELECT phone_holds_set_webhook_secret('calcom', 'whsec_e2e'), phone_holds_set_webhook_secret('calendly', 'whsec_e2e')").unwrap();
    let (status, refused) = run(&mut c, &query_of("Calcom_Booking_Webhook.json"), &calcom, "");
    assert_eq!((status, &refused["sqlstate"]), (401, &Value::from("28000")), "{refused}");
    let (status, again) = run(&mut c, &query_of("Calcom_Booking_Webhook.json"), &calcom, &sign(&[calcom.as_bytes()]));
    assert_eq!((status, &again["action"], &again["verified"]), (200, &Value::from("none"), &Value::from(true)), "a repeat: {again}");

    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs().to_string();
    let header = format!("t={now},v1={}", sign(&[now.as_bytes(), b".", calendly.as_bytes()]));
    let (status, refused) = run(&mut c, &query_of("Calendly_Booking_Webhook.json"), &calendly, &header.replace("v1=", "v1=0"));
    assert_eq!((status, &refused["sqlstate"]), (401, &Value::from("28000")), "{refused}");
    let (status, booked) = run(&mut c, &query_of("Calendly_Booking_Webhook.json"), &calendly, &header);
    assert_eq!((status, &booked["action"], &booked["number"]), (200, &Value::from("booked"), &Value::from("+15550000002")), "{booked}");
}

/// The one VAPI URL's query, with the raw body as n8n holds it (base64) and the request's
/// headers: every message type answered, and once a VAPI secret is set, a request without the
/// server credential refused with 401.
#[test]
fn the_vapi_server_url_query_runs_against_the_extension() {
    let (_cluster, mut c) = pool_of_two("n8n-vapi-url");
    let query = query_of("VAPI_Server_URL.json");
    let run = |c: &mut postgres::Client, body: &str, headers: &Value| -> (i32, Value) {
        let base64: String = c.query_one("SELECT translate(encode(convert_to($1, 'UTF8'), 'base64'), E'\\n', '')", &[&body]).unwrap().get(0);
        let headers = headers.to_string();
        let row = c.query_typed(&query, &[(&base64, Type::TEXT), (&headers, Type::TEXT)]).unwrap().into_iter().next().unwrap();
        (row.get(0), row.get(1))
    };
    let example = |name: &str| std::fs::read_to_string(format!("{}/../../examples/vapi/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let day: String = c.query_one("SELECT to_char(now() + interval '3 days', 'YYYY-MM-DD')", &[]).unwrap().get(0);
    let booking = example("tool-calls-book.json").replace("2025-10-20", &day);
    let plain = serde_json::json!({"content-type": "application/json"});
    for name in ["status-update.json", "speech-update.json", "conversation-update.json"] {
        assert_eq!(run(&mut c, &example(name), &plain), (200, serde_json::json!({})), "{name}");
    }
    let (status, booked) = run(&mut c, &booking, &plain);
    assert_eq!(status, 200);
    assert!(booked["results"][0]["result"].as_str().unwrap().starts_with(&format!("Booked for {day} 18:00 UTC.")), "{booked}");

    c.batch_execute("SELECT phone_holds_set_webhook_secret('vapi', 'vapi_e2e')").unwrap();
    let (status, refused) = run(&mut c, &example("status-update.json"), &plain);
    assert_eq!((status, &refused["sqlstate"]), (401, &Value::from("28000")), "{refused}");
    let (status, refused) = run(&mut c, &booking, &plain);
    assert_eq!((status, &refused["sqlstate"]), (401, &Value::from("28000")), "a tool call without the credential is a 401, not a result: {refused}");
    let with = serde_json::json!({"content-type": "application/json", "x-vapi-secret": "vapi_e2e"});
    assert_eq!(run(&mut c, &example("status-update.json"), &with), (200, serde_json::json!({})));
}
