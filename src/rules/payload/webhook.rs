//! The HTTP answer a webhook gets when the call behind it failed: a status and a JSON body
//! chosen from the PostgreSQL error. `phone_holds_webhook()` (sql/webhook.sql) catches the
//! error and asks for this answer, so an n8n workflow can answer every failure with what the
//! database said, SQLSTATE included (n8n's Postgres node drops the SQLSTATE of an error).

use super::{body, tool_calls};
use crate::rules::text::{cut_to, shown};
use serde_json::{json, Value};

/// What PostgreSQL said when the call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure<'a> {
    pub sqlstate: &'a str,
    pub message: &'a str,
    pub hint: Option<&'a str>,
}

/// The HTTP status of a failure: 400 for refused input (class 22, data exception), 401 for a
/// refused signature (class 28), 503 for what is worth retrying (a lock or serialization
/// conflict, a timeout or cancel, no resources, a shutdown, a hot standby that cannot write:
/// the caller may try again), 500 for the rest (the server's set-up: a missing
/// table or privilege, a bug).
pub fn status(sqlstate: &str) -> u16 {
    match sqlstate {
        s if s.starts_with("22") => 400,
        // invalid authorization: a calendar webhook whose signature was refused.
        s if s.starts_with("28") => 401,
        // 25006: a hot standby (the primary takes the call once the sender retries).
        "25006" | "40001" | "40P01" | "55P03" | "57014" | "57P01" | "57P02" | "57P03" => 503,
        s if s.starts_with("53") || s.starts_with("08") => 503,
        _ => 500,
    }
}

/// The answer to a failed webhook: `(status, body)`.
///
/// A tool-calls message whose call ids can be read is answered as VAPI expects, HTTP 200 and
/// one `{"toolCallId", "error"}` per call, so the agent has a sentence to say; every other
/// failure is `{"error", "sqlstate"}` (and `"hint"` when PostgreSQL gave one).
pub fn answer(webhook: &str, payload: Option<&str>, failure: &Failure) -> (u16, Value) {
    let status = status(failure.sqlstate);
    // A refused credential is a 401 whatever the message: VAPI must not hear it as a result.
    if status != 401 && matches!(webhook, "vapi_tool_calls" | "vapi") {
        let ids = payload.and_then(|p| body::parse(p).ok()).map(|v| tool_calls::ids(&v)).unwrap_or_default();
        if !ids.is_empty() {
            let said = spoken(status, failure);
            let results: Vec<Value> = ids.iter().map(|id| json!({"toolCallId": id, "error": said})).collect();
            return (200, json!({ "results": results }));
        }
    }
    let mut out = json!({"error": cut(failure.message), "sqlstate": failure.sqlstate});
    if let Some(hint) = failure.hint.filter(|h| !h.is_empty()) {
        out["hint"] = json!(cut(hint));
    }
    (status, out)
}

/// The longest message or hint given back, in characters: PostgreSQL's own messages quote
/// the value they refused whole (`invalid input syntax for type uuid: "…"`), and a caller's
/// value must not come back at any length.
pub const MAX_MESSAGE_CHARS: usize = 500;

fn cut(text: &str) -> String {
    cut_to(text, MAX_MESSAGE_CHARS)
}

/// One line the agent can say for a failure that stopped the whole message. Nothing was
/// changed: the call that failed was rolled back whole.
fn spoken(status: u16, failure: &Failure) -> String {
    if status == 400 {
        let why = failure.message.strip_prefix("phone_holds: ").unwrap_or(failure.message);
        format!("I couldn't do that: {}; nothing was changed.", shown(why.trim_end_matches('.')))
    } else {
        "I couldn't reach the booking system just now, so nothing was changed; please try again in a moment.".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure<'a>(sqlstate: &'a str, message: &'a str) -> Failure<'a> {
        Failure { sqlstate, message, hint: Some("a hint") }
    }

    #[test]
    fn statuses_follow_the_sqlstate_class() {
        for (state, expected) in [
            ("22023", 400),
            ("22P02", 400),
            ("22004", 400),
            ("22008", 400),
            ("28000", 401),
            ("25006", 503),
            ("55P03", 503),
            ("40001", 503),
            ("57014", 503),
            ("53000", 503),
            ("08006", 503),
            ("42501", 500),
            ("42P01", 500),
            ("XX000", 500),
            ("", 500),
        ] {
            assert_eq!(status(state), expected, "{state}");
        }
    }

    #[test]
    fn other_webhooks_get_the_error_and_its_sqlstate() {
        let (code, body) = answer("complete_appointment_for_phone", Some("{}"), &failure("22023", "phone_holds: unknown appointment outcome \"late\""));
        assert_eq!(code, 400);
        assert_eq!(body, json!({"error": "phone_holds: unknown appointment outcome \"late\"", "sqlstate": "22023", "hint": "a hint"}));
        let (code, body) = answer("vapi_end_of_call", None, &Failure { sqlstate: "42501", message: "permission denied for table x", hint: None });
        assert_eq!(code, 500);
        assert_eq!(body, json!({"error": "permission denied for table x", "sqlstate": "42501"}));
    }

    #[test]
    fn long_messages_are_cut() {
        let long = format!("invalid input syntax for type uuid: \"{}\"", "9".repeat(5000));
        let (_, body) = answer("complete_appointment_for_phone", None, &Failure { sqlstate: "22P02", message: &long, hint: None });
        let error = body["error"].as_str().unwrap();
        assert_eq!(error.chars().count(), MAX_MESSAGE_CHARS + 1);
        assert!(error.ends_with('…'));
    }

    #[test]
    fn tool_calls_with_readable_ids_get_a_vapi_answer_per_call() {
        let payload = r#"{"message": {"type": "tool-calls", "toolCallList": [{"id": "call_1"}, {"id": 7}, {"id": "call_3"}]}}"#;
        let (code, body) = answer("vapi_tool_calls", Some(payload), &failure("22023", "phone_holds: the tool-calls message has 51 tool calls."));
        assert_eq!(code, 200);
        assert_eq!(
            body,
            json!({"results": [
                {"toolCallId": "call_1", "error": "I couldn't do that: the tool-calls message has 51 tool calls; nothing was changed."},
                {"toolCallId": "call_3", "error": "I couldn't do that: the tool-calls message has 51 tool calls; nothing was changed."}
            ]})
        );
        let (code, body) = answer("vapi_tool_calls", Some(payload), &failure("55P03", "canceling statement due to lock timeout"));
        assert_eq!(code, 200);
        assert!(body["results"][0]["error"].as_str().unwrap().contains("try again"), "{body}");
    }

    #[test]
    fn a_refused_credential_is_a_401_even_for_tool_calls() {
        let payload = r#"{"message": {"type": "tool-calls", "toolCallList": [{"id": "call_1"}]}}"#;
        for webhook in ["vapi_tool_calls", "vapi"] {
            let (code, body) = answer(webhook, Some(payload), &failure("28000", "phone_holds: VAPI webhook refused: X-Vapi-Secret is not the VAPI secret"));
            assert_eq!(code, 401, "{webhook}");
            assert_eq!(body["sqlstate"], "28000");
        }
        let (code, body) = answer("vapi", Some(payload), &failure("55P03", "canceling statement due to lock timeout"));
        assert_eq!(code, 200, "the one URL answers a tool call's failure as VAPI expects");
        assert!(body["results"][0]["error"].as_str().unwrap().contains("try again"), "{body}");
    }

    #[test]
    fn tool_calls_without_readable_ids_get_the_error() {
        for payload in [None, Some("not json"), Some(r#"{"message": {"type": "status-update"}}"#), Some(r#"{"message": {"toolCallList": [{"id": ""}]}}"#)] {
            let (code, body) = answer("vapi_tool_calls", payload, &failure("22023", "phone_holds: expected a VAPI message"));
            assert_eq!(code, 400, "{payload:?}");
            assert_eq!(body["sqlstate"], "22023");
        }
    }
}
