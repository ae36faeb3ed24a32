//! Which VAPI message a body is, read without building the rest of it: VAPI posts every
//! message type an assistant's `serverMessages` lists to one server URL, several a second
//! during a call, and an informational one (a `conversation-update` carries the whole
//! conversation so far) must be answered without parsing what it will not act on.

use super::body;
use crate::rules::refusal::Unreadable;
use serde::Deserialize;
use std::borrow::Cow;

/// What the one VAPI entry point does with a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VapiMessage {
    ToolCalls,
    EndOfCallReport,
    AssistantRequest,
    /// The legacy `function-call` (functions before tools): answered with a sentence.
    FunctionCall,
    /// Every other type (`status-update`, `speech-update`, `conversation-update`, …), which
    /// needs no answer: an empty object, nothing changed.
    Informational(String),
}

impl VapiMessage {
    pub fn of(kind: &str) -> VapiMessage {
        match kind {
            "tool-calls" => VapiMessage::ToolCalls,
            "end-of-call-report" => VapiMessage::EndOfCallReport,
            "assistant-request" => VapiMessage::AssistantRequest,
            "function-call" => VapiMessage::FunctionCall,
            other => VapiMessage::Informational(other.to_owned()),
        }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    message: Option<Typed<'a>>,
}

#[derive(Deserialize)]
struct Typed<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: Option<Cow<'a, str>>,
}

/// The message type of a VAPI body: `{"message": {"type": …}}`. Every other field is skipped
/// unread (serde skips unknown fields), so the cost is one pass over the text and no allocation.
pub fn read(text: &str) -> Result<VapiMessage, Unreadable> {
    body::check_size(text)?;
    let kind = match serde_json::from_str::<Envelope>(text) {
        Ok(envelope) => envelope.message.and_then(|m| m.kind).map(Cow::into_owned),
        // A body the quick pass cannot take (a lone surrogate, or not JSON): read whole, with
        // the repairs and the refusals of body::parse.
        Err(_) => {
            let value = body::parse(text)?;
            value.get("message").and_then(|m| m.get("type")).and_then(|t| t.as_str()).map(str::to_owned)
        }
    };
    match kind {
        Some(kind) => Ok(VapiMessage::of(&kind)),
        None => Err(Unreadable {
            why: "the body is not a VAPI server message (no message.type)".into(),
            hint: "Point the assistant's server URL at this workflow: VAPI posts {\"message\": {\"type\": …}}. See examples/vapi/.".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_type_decides() {
        for (body, expected) in [
            (r#"{"message": {"type": "tool-calls", "toolCallList": []}}"#, VapiMessage::ToolCalls),
            (r#"{"message": {"call": {"id": "x"}, "type": "end-of-call-report"}}"#, VapiMessage::EndOfCallReport),
            (r#"{"message": {"type": "assistant-request"}}"#, VapiMessage::AssistantRequest),
            (r#"{"message": {"type": "function-call", "functionCall": {"name": "f"}}}"#, VapiMessage::FunctionCall),
            (r#"{"message": {"type": "status-update", "status": "ringing"}}"#, VapiMessage::Informational("status-update".into())),
            (r#"{"message": {"type": "some-new-type"}}"#, VapiMessage::Informational("some-new-type".into())),
            // Escapes in the type are read as JSON says.
            (r#"{"message": {"type": "speech\u002dupdate"}}"#, VapiMessage::Informational("speech-update".into())),
        ] {
            assert_eq!(read(body), Ok(expected), "{body}");
        }
    }

    #[test]
    fn large_messages_are_read_in_one_pass() {
        let turns: Vec<String> = (0..5000).map(|i| format!(r#"{{"role": "user", "message": "turn {i} \u0000 \ud800 x"}}"#)).collect();
        let body = format!(r#"{{"message": {{"messages": [{}], "type": "conversation-update"}}}}"#, turns.join(","));
        assert_eq!(read(&body), Ok(VapiMessage::Informational("conversation-update".into())));
    }

    #[test]
    fn a_body_without_a_type_is_refused() {
        for body in ["{}", r#"{"message": {}}"#, r#"{"message": {"type": 7}}"#, "[1]", "not json", r#"{"leadId": "x"}"#] {
            assert!(read(body).is_err(), "{body}");
        }
        assert!(read(r#"{"message": {"type": 7}}"#).unwrap_err().why.contains("no message.type"));
    }
}
