//! VAPI's `assistant-request`: the message VAPI posts to a phone number's server URL when a
//! call comes in, asking which assistant should answer it.
//!
//! ```json
//! {"message": {"type": "assistant-request",
//!   "phoneNumber": {"id": "…", "number": "+15550000001"},
//!   "customer": {"number": "+15550100001"},
//!   "call": {"id": "…", "type": "inboundPhoneCall", "customer": {"number": "+15550100001"}}}}
//! ```
//! The called number is `phoneNumber.number` (or `call.phoneNumber.number`); the caller is
//! `customer.number` (or `call.customer.number`), absent when the caller withholds it.

use super::fields::{at, field, text};
use super::tool_calls::message;
use crate::rules::phone;
use crate::rules::refusal::{Refusal, Unreadable};
use crate::rules::text::quote;
use serde_json::Value;

/// An inbound call, as the assistant-request describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundCall {
    /// The number called, as looked up in the pool: E.164 when it is one, else as sent.
    pub called: String,
    /// The caller's number as sent, if any.
    pub caller: Option<String>,
}

/// The call an assistant-request asks about. `Err` when the body is not a VAPI message at all
/// (the SQL layer raises 22023); `Ok(Err)` when it is another VAPI message, or an
/// assistant-request without a called number, which is answered with an `error` field.
pub fn parse(payload: &Value) -> Result<Result<InboundCall, Refusal>, Unreadable> {
    let message = message(payload);
    let Some(kind) = field(message, &["type"]).and_then(Value::as_str) else {
        return Err(Unreadable {
            why: "the body is not a VAPI server message: it has no message.type".to_owned(),
            hint: "vapi_assistant_request() takes the body VAPI posts to a phone number's server URL, {\"message\": {\"type\": \"assistant-request\", …}}. See examples/vapi/.".to_owned(),
        });
    };
    if kind != "assistant-request" {
        return Ok(Err(Refusal(format!(
            "this server URL answers VAPI's assistant-request messages only; this was a message of type {}",
            quote(kind)
        ))));
    }
    let number = |path: &[&str]| at(message, path).and_then(text).filter(|n| !n.trim().is_empty());
    let Some(called) = number(&["phoneNumber", "number"]).or_else(|| number(&["call", "phoneNumber", "number"])) else {
        return Ok(Err(Refusal(
            "the assistant-request names no called number (message.phoneNumber.number)".to_owned(),
        )));
    };
    let caller = number(&["customer", "number"]).or_else(|| number(&["call", "customer", "number"]));
    let called = phone::e164(&called).unwrap_or(called);
    Ok(Ok(InboundCall { called, caller }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn example(name: &str) -> Value {
        let path = format!("{}/examples/vapi/{name}", env!("CARGO_MANIFEST_DIR"));
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_examples_name_the_called_number_and_the_caller() {
        let held = parse(&example("assistant-request-held.json")).unwrap().unwrap();
        assert_eq!(held, InboundCall { called: "+15550000001".into(), caller: Some("+15550100001".into()) });
        let unknown = parse(&example("assistant-request-unknown.json")).unwrap().unwrap();
        assert_eq!(unknown.called, "+15559990000");
    }

    #[test]
    fn numbers_are_read_where_vapi_puts_them() {
        let nested = json!({"message": {"type": "assistant-request",
            "call": {"phoneNumber": {"number": "+1 555 000 0002"}, "customer": {"number": "+15550100009"}}}});
        assert_eq!(
            parse(&nested).unwrap().unwrap(),
            InboundCall { called: "+15550000002".into(), caller: Some("+15550100009".into()) }
        );
        // A withheld caller id: the call is still routed.
        let withheld = json!({"type": "assistant-request", "phoneNumber": {"number": "+15550000002"}, "customer": {}});
        assert_eq!(parse(&withheld).unwrap().unwrap().caller, None);
        // Not E.164: looked up as sent, so a pool that stores another form can still match it.
        let local = json!({"message": {"type": "assistant-request", "phoneNumber": {"number": "555-0100"}}});
        assert_eq!(parse(&local).unwrap().unwrap().called, "555-0100");
    }

    #[test]
    fn other_messages_are_refused_and_non_vapi_bodies_are_unreadable() {
        let Refusal(why) = parse(&json!({"message": {"type": "status-update"}})).unwrap().unwrap_err();
        assert!(why.contains("\"status-update\""), "{why}");
        let Refusal(why) = parse(&json!({"message": {"type": "assistant-request", "phoneNumber": {"number": " "}}})).unwrap().unwrap_err();
        assert!(why.contains("no called number"), "{why}");
        for body in [json!({"leadId": "x"}), json!([1]), json!({"message": {"type": 7}}), json!("assistant-request")] {
            assert!(parse(&body).unwrap_err().why.contains("not a VAPI server message"), "{body}");
        }
    }
}
