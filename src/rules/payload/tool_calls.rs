//! VAPI's `tool-calls` message: the body VAPI posts to a tool's server URL.
//!
//! ```json
//! {"message": {"type": "tool-calls", "call": {...},
//!   "toolCallList": [{"id": "call_1", "type": "function",
//!                     "function": {"name": "book_appointment", "arguments": {...}}}]}}
//! ```
//! `arguments` may be an object or a JSON string (the LLM's raw output); the flattened form
//! `{"id", "name", "arguments"}` of VAPI's newer docs is read too. A lead id missing from the
//! arguments is taken from the call's metadata, where an assistant usually carries it
//! (`call.metadata`, or `call.assistantOverrides.metadata`, where vapi_assistant_request()
//! puts it for an inbound call).

use super::fields::{at, field, text, unambiguous};
use super::{lead_id, timestamp, Request};
use crate::rules::refusal::{Refusal, Unreadable};
use crate::rules::text::quote;
use crate::rules::{locality, Instant};
use serde_json::Value;

/// The functions this server answers, by the name the VAPI tool gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Function {
    Book,
    Cancel,
    Reschedule,
    Unknown(String),
}

pub const FUNCTIONS: [&str; 3] = ["book_appointment", "cancel_appointment", "reschedule_appointment"];

/// The most tool calls one message may carry. VAPI sends one per function the model called in
/// a turn, a handful at most; a larger list is not from VAPI, and refusing it whole, before
/// any call is carried out, keeps one request from holding many rows for long.
pub const MAX_CALLS: usize = 50;

/// The longest tool-call id answered: VAPI's (and the models') ids are 20 to 40 characters.
pub const MAX_ID_CHARS: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    /// The id VAPI matches the answer by; `None` when the call had none (or none usable: not
    /// text, too long, control characters), and then the call is refused: an answer VAPI
    /// cannot match must not report work done.
    pub id: Option<String>,
    pub function: Function,
    pub request: Result<Request, Refusal>,
    /// The lead's phone when the arguments give it (`lead_phone`), in E.164; a phone that is
    /// not E.164 refuses the call instead.
    pub lead_phone: Option<String>,
}

/// The `message` object, whether the body is `{"message": …}` or the message itself.
pub fn message(payload: &Value) -> &Value {
    field(payload, &["message"]).unwrap_or(payload)
}

/// The calls of a tool-calls message; `as_of` only dates the example in a time refusal.
pub fn parse(payload: &Value, as_of: Instant) -> Result<Vec<ToolCall>, Unreadable> {
    let message = message(payload);
    let kind = field(message, &["type"]).and_then(Value::as_str);
    if kind != Some("tool-calls") {
        return Err(Unreadable::not_this_message(format!(
            "expected a VAPI message of type \"tool-calls\", got {}",
            kind.map_or("none".to_owned(), quote)
        )));
    }
    let list = field(message, &["toolCallList"]).and_then(Value::as_array).ok_or_else(|| {
        Unreadable::not_this_message("the tool-calls message has no toolCallList array".to_owned())
    })?;
    if list.len() > MAX_CALLS {
        return Err(Unreadable {
            why: format!("the tool-calls message has {} tool calls, more than the {MAX_CALLS} phone_holds carries out in one request", list.len()),
            hint: format!("VAPI sends a handful per message; split a larger batch into messages of at most {MAX_CALLS} calls. Nothing was changed."),
        });
    }
    let metadata_lead = at(message, &["call", "metadata", "lead_id"])
        .or_else(|| at(message, &["call", "assistantOverrides", "metadata", "lead_id"]))
        .or_else(|| at(message, &["call", "assistantOverrides", "variableValues", "lead_id"]));
    Ok(list.iter().map(|call| one_call(call, metadata_lead, as_of)).collect())
}

/// The usable ids of the calls in a tool-calls list, in order, whatever else the message
/// holds: what a failure of the whole message is answered to (rules::payload::webhook).
pub fn ids(payload: &Value) -> Vec<String> {
    let list = field(message(payload), &["toolCallList"]).and_then(Value::as_array);
    list.into_iter()
        .flatten()
        .filter_map(id_of)
        .collect()
}

/// A call's id, when it is one the answer can echo ([`usable_id`]).
fn id_of(call: &Value) -> Option<String> {
    field(call, &["id"]).and_then(Value::as_str).filter(|id| usable_id(id)).map(str::to_owned)
}

fn one_call(call: &Value, metadata_lead: Option<&Value>, as_of: Instant) -> ToolCall {
    let id = id_of(call);
    let function_object = field(call, &["function"]).unwrap_or(call);
    let name = field(function_object, &["name"]).and_then(text).unwrap_or_default();
    let function = match name.as_str() {
        "book_appointment" => Function::Book,
        "cancel_appointment" => Function::Cancel,
        "reschedule_appointment" => Function::Reschedule,
        _ => Function::Unknown(name),
    };
    let parsed = match id {
        None => Err(Refusal("the tool call has no id, so its answer could not be matched to it; nothing was done".to_owned())),
        Some(_) => arguments(function_object).and_then(|args| Ok((request(&function, &args, metadata_lead, as_of)?, phone_argument(&args)?))),
    };
    let (request, lead_phone) = match parsed {
        Ok((request, phone)) => (Ok(request), phone),
        Err(refusal) => (Err(refusal), None),
    };
    ToolCall { id, function, request, lead_phone }
}

/// The `lead_phone` argument, if given: E.164, or the call is refused (rules::locality).
fn phone_argument(args: &Value) -> Result<Option<String>, Refusal> {
    match unambiguous(args, &["lead_phone", "leadPhone"], "lead_phone")? {
        None | Some(Value::Null) => Ok(None),
        Some(v) => locality::lead_phone(&text(v).unwrap_or_else(|| v.to_string())).map_err(Refusal),
    }
}

/// An id VAPI could have sent and the answer can echo whole: some text, at most
/// [`MAX_ID_CHARS`] characters, none of them control characters.
fn usable_id(id: &str) -> bool {
    !id.trim().is_empty() && id.chars().count() <= MAX_ID_CHARS && !id.chars().any(char::is_control)
}

/// The call's arguments as an object, parsing them when they came as a JSON string.
fn arguments(function_object: &Value) -> Result<Value, Refusal> {
    match field(function_object, &["arguments", "parameters"]) {
        None => Ok(Value::Object(Default::default())),
        Some(Value::String(s)) => serde_json::from_str::<Value>(s)
            .ok()
            .filter(Value::is_object)
            .ok_or_else(|| Refusal(format!("the arguments {} are not a JSON object", quote(s)))),
        Some(v) if v.is_object() => Ok(v.clone()),
        Some(v) => Err(Refusal(format!("the arguments {} are not a JSON object", quote(&v.to_string())))),
    }
}

fn request(function: &Function, args: &Value, metadata_lead: Option<&Value>, as_of: Instant) -> Result<Request, Refusal> {
    if let Function::Unknown(name) = function {
        return Err(Refusal(format!(
            "this server has no function {}; it handles {}",
            quote(name),
            FUNCTIONS.join(", ")
        )));
    }
    let lead = unambiguous(args, &["lead_id", "leadId"], "lead_id")?
        .or(metadata_lead)
        .map(|v| text(v).unwrap_or_else(|| v.to_string()))
        .ok_or_else(|| Refusal("lead_id is missing".to_owned()))?;
    let lead = lead_id::parse(&lead)?;
    let time = |names: &[&str], what: &str| -> Result<_, Refusal> {
        let v = unambiguous(args, names, what)?.ok_or_else(|| Refusal(format!("{what} is missing")))?;
        timestamp::parse(&text(v).unwrap_or_else(|| v.to_string()), what, as_of)
    };
    Ok(match function {
        Function::Book => Request::Book { lead, at: time(&["appointment_time", "appointmentTime"], "appointment_time")? },
        Function::Cancel => Request::Cancel { lead },
        Function::Reschedule => Request::Reschedule {
            lead,
            at: time(&["new_time", "newTime", "appointment_time", "appointmentTime"], "new_time")?,
        },
        Function::Unknown(_) => unreachable!("refused above"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::payload::test_as_of as as_of;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    const LEAD: &str = "07f26a19-e9dc-422c-b61d-030e3c7971bb";

    #[test]
    fn the_example_booking_parses() {
        let payload: Value = serde_json::from_str(include_str!("../../../examples/vapi/tool-calls-book.json")).unwrap();
        let calls = parse(&payload, as_of()).unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].function, Function::Book);
        assert_eq!(
            calls[0].request,
            Ok(Request::Book { lead: lead_id::parse(LEAD).unwrap(), at: Utc.with_ymd_and_hms(2025, 10, 20, 18, 0, 0).unwrap() })
        );
    }

    #[test]
    fn the_example_batch_parses_each_call_on_its_own() {
        let payload: Value = serde_json::from_str(include_str!("../../../examples/vapi/tool-calls-batch.json")).unwrap();
        let calls = parse(&payload, as_of()).unwrap();
        let kinds: Vec<_> = calls.iter().map(|c| (c.id.as_deref().unwrap(), c.request.is_ok())).collect();
        assert_eq!(
            kinds,
            [("call_book_ben", true), ("call_no_zone", false), ("call_move_amy", true), ("call_cancel_cat", true), ("call_weather", false)]
        );
        let Err(Refusal(why)) = &calls[1].request else { panic!() };
        assert!(why.contains("has no time zone"), "{why}");
        let Err(Refusal(why)) = &calls[4].request else { panic!() };
        assert!(why.contains("\"get_weather\""), "{why}");
    }

    #[test]
    fn string_arguments_flattened_calls_and_metadata_leads() {
        let payload = json!({"message": {"type": "tool-calls",
            "call": {"metadata": {"leadId": LEAD}},
            "toolCallList": [
                {"id": "a", "function": {"name": "cancel_appointment", "arguments": "{}"}},
                {"id": "b", "name": "book_appointment", "arguments": {"appointmentTime": "2025-10-20T14:00:00Z"}},
                {"id": "c", "function": {"name": "book_appointment", "arguments": "{not json"}}]}});
        let calls = parse(&payload, as_of()).unwrap();
        assert_eq!(calls[0].request, Ok(Request::Cancel { lead: lead_id::parse(LEAD).unwrap() }));
        assert!(matches!(calls[1].request, Ok(Request::Book { .. })));
        assert!(matches!(&calls[2].request, Err(Refusal(m)) if m.contains("not a JSON object")));
    }

    #[test]
    fn the_lead_of_an_inbound_call_comes_from_the_assistant_overrides_metadata() {
        // Where vapi_assistant_request() put it; the call's own metadata still comes first.
        let overrides = json!({"metadata": {"lead_id": LEAD}, "variableValues": {"lead_id": "ignored"}});
        let payload = json!({"message": {"type": "tool-calls", "call": {"assistantOverrides": overrides},
            "toolCallList": [{"id": "a", "function": {"name": "cancel_appointment", "arguments": {}}}]}});
        assert_eq!(parse(&payload, as_of()).unwrap()[0].request, Ok(Request::Cancel { lead: lead_id::parse(LEAD).unwrap() }));
    }

    #[test]
    fn missing_and_bad_arguments_are_refused_per_call() {
        let payload = json!({"message": {"type": "tool-calls", "toolCallList": [
            {"id": "1", "function": {"name": "book_appointment", "arguments": {"appointment_time": "2025-10-20T14:00:00Z"}}},
            {"id": "2", "function": {"name": "book_appointment", "arguments": {"lead_id": LEAD}}},
            {"id": "3", "function": {"name": "reschedule_appointment", "arguments": {"lead_id": "42", "new_time": "x"}}}]}});
        let why: Vec<String> = parse(&payload, as_of()).unwrap().into_iter().map(|c| c.request.unwrap_err().0).collect();
        assert_eq!(why[0], "lead_id is missing");
        assert_eq!(why[1], "appointment_time is missing");
        assert!(why[2].starts_with("lead_id \"42\" is not a UUID"), "{}", why[2]);
    }

    #[test]
    fn a_call_without_a_text_id_is_refused_not_carried_out() {
        let book = json!({"name": "cancel_appointment", "arguments": {"lead_id": LEAD}});
        let payload = json!({"message": {"type": "tool-calls", "toolCallList": [
            {"function": book}, {"id": null, "function": book}, {"id": 7, "function": book}, {"id": " ", "function": book},
            {"id": "x".repeat(65), "function": book}, {"id": "a\u{0}b", "function": book},
            {"id": "ok", "function": book}]}});
        let calls = parse(&payload, as_of()).unwrap();
        for call in &calls[..6] {
            assert_eq!(call.id, None);
            assert!(matches!(&call.request, Err(Refusal(m)) if m.contains("has no id")), "{:?}", call.request);
        }
        assert!(calls[6].request.is_ok());
    }

    #[test]
    fn a_lead_phone_argument_is_taken_in_e164_or_refuses_its_call() {
        let payload = json!({"message": {"type": "tool-calls", "toolCallList": [
            {"id": "1", "function": {"name": "book_appointment", "arguments": {"lead_id": LEAD, "appointment_time": "2025-10-20T14:00:00Z", "lead_phone": "+1 (415) 555-0100"}}},
            {"id": "2", "function": {"name": "book_appointment", "arguments": {"lead_id": LEAD, "appointment_time": "2025-10-20T14:00:00Z", "leadPhone": "415-555-0100"}}},
            {"id": "3", "function": {"name": "cancel_appointment", "arguments": {"lead_id": LEAD, "lead_phone": null}}}]}});
        let calls = parse(&payload, as_of()).unwrap();
        assert_eq!(calls[0].lead_phone.as_deref(), Some("+14155550100"));
        assert!(calls[0].request.is_ok());
        assert!(matches!(&calls[1].request, Err(Refusal(m)) if m.contains("is not an E.164")), "{:?}", calls[1].request);
        assert_eq!(calls[1].lead_phone, None);
        assert!(calls[2].request.is_ok() && calls[2].lead_phone.is_none());
    }

    #[test]
    fn ambiguous_arguments_are_refused() {
        let payload = json!({"message": {"type": "tool-calls", "toolCallList": [
            {"id": "1", "function": {"name": "cancel_appointment",
                                     "arguments": {"lead_id": LEAD, "leadId": "17f26a19-e9dc-422c-b61d-030e3c7971bb"}}},
            {"id": "2", "function": {"name": "reschedule_appointment",
                                     "arguments": {"lead_id": LEAD, "new_time": "2025-10-20T14:00:00Z", "appointment_time": "2025-10-21T14:00:00Z"}}},
            {"id": "3", "function": {"name": "cancel_appointment", "arguments": {"lead_id": LEAD, "leadId": LEAD}}}]}});
        let calls = parse(&payload, as_of()).unwrap();
        assert!(matches!(&calls[0].request, Err(Refusal(m)) if m.contains("lead_id is given twice")));
        assert!(matches!(&calls[1].request, Err(Refusal(m)) if m.contains("new_time is given twice")));
        assert!(calls[2].request.is_ok(), "the same value twice is not ambiguous");
    }

    #[test]
    fn more_calls_than_the_cap_are_refused_whole() {
        let call = json!({"id": "x", "function": {"name": "cancel_appointment", "arguments": {"lead_id": LEAD}}});
        let with = |n: usize| json!({"message": {"type": "tool-calls", "toolCallList": vec![call.clone(); n]}});
        assert_eq!(parse(&with(MAX_CALLS), as_of()).unwrap().len(), MAX_CALLS);
        let refused = parse(&with(MAX_CALLS + 1), as_of()).unwrap_err();
        assert!(refused.why.contains("has 51 tool calls, more than the 50"), "{}", refused.why);
        assert!(refused.hint.contains("Nothing was changed"));
    }

    #[test]
    fn other_messages_are_not_tool_calls() {
        assert!(parse(&json!({"message": {"type": "status-update"}}), as_of()).is_err());
        assert!(parse(&json!({"message": {"type": "tool-calls"}}), as_of()).is_err());
        assert!(parse(&json!("tool-calls"), as_of()).is_err());
        assert!(parse(&json!({}), as_of()).is_err());
    }
}
