//! One VAPI server URL for every message (`vapi_webhook()`, `phone_holds_webhook('vapi', …)`),
//! and VAPI's server credential on every VAPI webhook.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use hmac::{Hmac, KeyInit, Mac};
    use pgrx::prelude::*;
    use serde_json::{json, Value};
    use sha2::Sha256;

    const BOOK: &str = include_str!("../../examples/vapi/tool-calls-book.json");
    const REPORT_BOOKED: &str = include_str!("../../examples/vapi/end-of-call-report-booked.json");
    const INBOUND: &str = include_str!("../../examples/vapi/assistant-request-held.json");
    const STATUS: &str = include_str!("../../examples/vapi/status-update.json");
    const SPEECH: &str = include_str!("../../examples/vapi/speech-update.json");
    const CONVERSATION: &str = include_str!("../../examples/vapi/conversation-update.json");
    const FUNCTION_CALL: &str = include_str!("../../examples/vapi/function-call.json");
    const TRANSCRIPT: &str = include_str!("../../examples/vapi/transcript.json");
    const HANG: &str = include_str!("../../examples/vapi/hang.json");
    const USER_INTERRUPTED: &str = include_str!("../../examples/vapi/user-interrupted.json");
    const MODEL_OUTPUT: &str = include_str!("../../examples/vapi/model-output.json");
    const STRUCTURED: &str = include_str!("../../examples/vapi/end-of-call-report-structured-outputs.json");
    const STRUCTURED_BOOKED: &str = include_str!("../../examples/vapi/end-of-call-report-structured-booked-no-outcome.json");
    const ASSISTANT: &str = "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c";
    const SECRET: &str = "vapi-server-s3cret";

    /// `phone_holds_webhook(webhook, payload, T0, headers)` as (status, response).
    fn hook_with(webhook: &str, payload: &str, headers: Option<&Value>) -> (i32, Value) {
        Spi::connect(|c| {
            let r = c
                .select(
                    &format!("SELECT status, response FROM phone_holds_webhook($1, $2, {}, $3)", ts(0)),
                    None,
                    &[webhook.into(), payload.into(), headers.map(Value::to_string).into()],
                )
                .unwrap()
                .first();
            (r.get::<i32>(1).unwrap().unwrap(), r.get::<pgrx::datum::JsonB>(2).unwrap().unwrap().0)
        })
    }

    fn hex_hmac(parts: &[&[u8]]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    #[pg_test]
    fn informational_messages_are_answered_empty_and_change_nothing() {
        pool_of(2);
        let before = state();
        let writes = writes_attempted();
        let later = r#"{"message": {"type": "a-type-vapi-adds-later", "x": [1, 2, 3]}}"#;
        let others = ["voice-input", "phone-call-control", "transfer-update", "transcript[transcriptType=\"final\"]"]
            .map(|kind| json!({"message": {"type": kind, "timestamp": 1760788800000_i64}}).to_string());
        let mut bodies = vec![STATUS, SPEECH, CONVERSATION, TRANSCRIPT, HANG, USER_INTERRUPTED, MODEL_OUTPUT, later];
        bodies.extend(others.iter().map(String::as_str));
        for body in bodies {
            assert_eq!(hook("vapi", body, 0), (200, json!({})), "{body}");
            let direct = Spi::get_one_with_args::<pgrx::datum::JsonB>(&format!("SELECT vapi_webhook($1::text, {})", ts(0)), &[body.into()]).unwrap().unwrap().0;
            assert_eq!(direct, json!({}), "{body}");
        }
        assert_eq!(state(), before);
        assert_eq!(writes_attempted(), writes, "nothing was even tried");
    }

    #[pg_test]
    fn the_messages_that_act_are_answered_as_their_own_functions_answer() {
        pool_of(2);
        Spi::run(&format!("SET LOCAL phone_holds.vapi_assistant_id = '{ASSISTANT}'")).unwrap();
        let own = |function: &str, body: &str| -> Value {
            Spi::get_one_with_args::<pgrx::datum::JsonB>(&format!("SELECT {function}($1::text, {})", ts(0)), &[body.into()]).unwrap().unwrap().0
        };
        // Through the one URL, then the same message to its own function: the second finds the
        // hold the first made, so each is compared with a rolled-back twin.
        let (status, booked) = hook("vapi", BOOK, 0);
        assert_eq!(status, 200);
        assert!(booked["results"][0]["result"].as_str().unwrap().starts_with("Booked for 2025-10-20 18:00 UTC"), "{booked}");
        assert_eq!(own("vapi_tool_calls", BOOK), booked, "booking again keeps the same hold and says the same");
        let (status, report) = hook("vapi", REPORT_BOOKED, 0);
        assert_eq!((status, report["action"].as_str()), (200, Some("booked")), "{report}");
        assert_eq!(own("vapi_end_of_call", REPORT_BOOKED), report);
        let (status, inbound) = hook("vapi", INBOUND, 0);
        assert_eq!(status, 200);
        assert_eq!(inbound["assistantId"], ASSISTANT, "{inbound}");
        assert_eq!(own("vapi_assistant_request", INBOUND), inbound);
    }

    #[pg_test]
    fn a_legacy_function_call_is_told_to_use_tools_and_changes_nothing() {
        pool_of(1);
        let before = state();
        let (status, answer) = hook("vapi", FUNCTION_CALL, 0);
        assert_eq!(status, 200);
        assert!(answer["result"].as_str().unwrap().contains("this server takes tool calls"), "{answer}");
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn a_body_that_is_no_vapi_message_is_refused() {
        set_up();
        for body in ["{}", r#"{"leadId": "x", "outcome": "showed"}"#, "not json"] {
            let (status, answer) = hook("vapi", body, 0);
            assert_eq!((status, answer["sqlstate"].as_str()), (400, Some("22023")), "{body}: {answer}");
        }
        assert_refused(&format!("SELECT vapi_webhook(NULL, {})", ts(0)), "22004", "payload");
    }

    #[pg_test]
    fn the_call_ended_url_answers_informational_messages_too() {
        pool_of(1);
        let before = state();
        let (status, answer) = hook("vapi_end_of_call", STATUS, 0);
        assert_eq!((status, answer["action"].as_str()), (200, Some("none")), "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("status-update"), "{answer}");
        assert_eq!(state(), before);
        // A message that acts, sent to the wrong URL, is still refused.
        assert_eq!(hook("vapi_end_of_call", BOOK, 0).0, 400);
    }

    #[pg_test]
    fn with_a_vapi_secret_every_vapi_webhook_needs_the_credential() {
        pool_of(2);
        Spi::run(&format!("SELECT phone_holds_set_webhook_secret('vapi', '{SECRET}')")).unwrap();
        let before = state();
        for webhook in ["vapi", "vapi_tool_calls", "vapi_end_of_call", "vapi_assistant_request"] {
            let body = if webhook == "vapi_end_of_call" { REPORT_BOOKED } else { BOOK };
            for headers in [None, Some(json!({})), Some(json!({"x-vapi-secret": "guess"})), Some(json!({"authorization": "Bearer guess"}))] {
                let (status, answer) = hook_with(webhook, body, headers.as_ref());
                assert_eq!((status, answer["sqlstate"].as_str()), (401, Some("28000")), "{webhook} {headers:?}: {answer}");
            }
            // The three-argument form, which the workflows before 0.12.0 call, is refused too.
            assert_eq!(hook(webhook, body, 0).0, 401, "{webhook}");
        }
        assert_eq!(state(), before, "nothing changed for any refused request");

        let (status, answer) = hook_with("vapi", STATUS, Some(&json!({"x-vapi-secret": SECRET})));
        assert_eq!((status, answer), (200, json!({})));
        let (status, answer) = hook_with("vapi", BOOK, Some(&json!({"Authorization": format!("Bearer {SECRET}")})));
        assert_eq!(status, 200);
        assert!(answer["results"][0]["result"].as_str().unwrap().starts_with("Booked"), "{answer}");
        // An HMAC credential with VAPI's defaults, signed now (the server's clock decides).
        let t = chrono::Utc::now().timestamp().to_string();
        let signature = hex_hmac(&[t.as_bytes(), b".", REPORT_BOOKED.as_bytes()]);
        let (status, answer) = hook_with("vapi", REPORT_BOOKED, Some(&json!({"x-signature": signature, "x-timestamp": t})));
        assert_eq!((status, answer["action"].as_str()), (200, Some("booked")), "{answer}");
        // The same signature over another body, or an old timestamp, is refused.
        let (status, _) = hook_with("vapi", STATUS, Some(&json!({"x-signature": signature, "x-timestamp": t})));
        assert_eq!(status, 401);
        let old = (chrono::Utc::now().timestamp() - 3600).to_string();
        let stale = hex_hmac(&[old.as_bytes(), b".", STATUS.as_bytes()]);
        let (status, answer) = hook_with("vapi", STATUS, Some(&json!({"x-signature": stale, "x-timestamp": old})));
        assert_eq!(status, 401);
        assert!(answer["error"].as_str().unwrap().contains("vapi_signature_tolerance"), "{answer}");
        assert!(answer["hint"].as_str().unwrap().contains("JSON.stringify($json.headers)"), "{answer}");
    }

    #[pg_test]
    fn the_vapi_secret_is_set_like_the_calendars() {
        set_up();
        assert_eq!(one("SELECT phone_holds_set_webhook_secret('vapi', E' k1\\n')").as_deref(), Some("set the vapi webhook secret"));
        assert_eq!(count("SELECT count(*) FROM phone_holds_webhook_secrets WHERE source = 'vapi' AND secret = 'k1'"), 1, "trimmed");
        assert!(one("SELECT phone_holds_set_webhook_secret('vapi', NULL)").unwrap().contains("cleared the vapi webhook secret"));
        let f = assert_refused("SELECT phone_holds_set_webhook_secret('twilio', 'x')", "22023", "twilio");
        assert!(f.hint.contains("'vapi'"), "{f:?}");
        assert_refused("SELECT phone_holds_verify_signature('twilio', '{}', NULL)", "22023", "twilio");
    }

    #[pg_test]
    fn structured_outputs_book_through_the_one_url() {
        pool_of(2);
        let (status, report) = hook("vapi", STRUCTURED, 0);
        assert_eq!((status, report["action"].as_str(), report["leadId"].as_str()), (200, Some("booked"), Some(LEAD_A)), "{report}");
        assert_eq!(report["appointmentTime"], "2025-10-20T14:00:00Z", "{report}");
        // No outcome, appointment_booked and a time: books the later appointment too.
        let (status, report) = hook("vapi", STRUCTURED_BOOKED, 1);
        assert_eq!((status, report["action"].as_str(), report["outcome"].as_str()), (200, Some("booked"), Some("appointment_booked")), "{report}");
        assert_eq!(report["appointmentTime"], "2025-10-20T18:00:00Z", "{report}");
        assert_eq!(count(&format!("SELECT count(*) FROM public.phone_hold_appointments WHERE lead_id = '{LEAD_A}' AND status = 'booked'")), 2);
    }

    #[pg_test]
    fn an_analysis_that_disagrees_with_itself_is_rejected_and_changes_nothing() {
        pool_of(2);
        let before = state();
        let mut report: Value = serde_json::from_str(STRUCTURED).unwrap();
        report["message"]["analysis"]["structuredData"] = json!({"outcome": "cancelled", "leadId": LEAD_A});
        let (status, answer) = hook("vapi", &report.to_string(), 0);
        assert_eq!((status, answer["action"].as_str()), (200, Some("rejected")), "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("the call's analysis must say one thing"), "{answer}");
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn a_credential_in_a_header_the_user_named() {
        pool_of(1);
        Spi::run(&format!("SELECT phone_holds_set_webhook_secret('vapi', '{SECRET}')")).unwrap();
        let custom = json!({"x-api-key": SECRET});
        assert_eq!(hook_with("vapi", STATUS, Some(&custom)).0, 401, "not read until named");
        Spi::run("SET LOCAL phone_holds.vapi_credential_header = 'X-Api-Key'").unwrap();
        assert_eq!(hook_with("vapi", STATUS, Some(&custom)), (200, json!({})));
        // An HMAC credential with its own signature and timestamp headers, base64, SHA-256.
        Spi::run("SET LOCAL phone_holds.vapi_timestamp_header = 'X-Request-Time'").unwrap();
        let t = chrono::Utc::now().timestamp().to_string();
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(format!("{t}.{SPEECH}").as_bytes());
        use base64::Engine;
        let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let signed = json!({"x-api-key": format!("sha256={signature}"), "x-request-time": t});
        assert_eq!(hook_with("vapi", SPEECH, Some(&signed)), (200, json!({})));
        assert_eq!(hook_with("vapi", STATUS, Some(&signed)).0, 401, "another body");
    }
}
