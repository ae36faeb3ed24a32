//! What VAPI and n8n post, parsed into hold requests: no pgrx, no database.
//!
//! Every value the caller sent is checked here, and every refusal quotes it, so the voice
//! agent can say what was wrong and a person reading the log can see it.

pub mod end_of_call;
pub mod fields;
pub mod lead_id;
pub mod reply;
pub mod timestamp;
pub mod tool_calls;

use super::Instant;

/// A hold change a payload asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Book { lead: [u8; 16], at: Instant },
    Cancel { lead: [u8; 16] },
    Reschedule { lead: [u8; 16], at: Instant },
}

/// Why a payload, or one call in it, cannot be acted on: a sentence that quotes the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// A payload that is not the kind of message the function takes at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotThisMessage(pub String);

/// Shows a caller's value in a message, cut so a hostile payload cannot flood the agent or log.
pub fn quote(raw: &str) -> String {
    const MAX_CHARS: usize = 64;
    let mut shown: String = raw.chars().take(MAX_CHARS).collect();
    if raw.chars().nth(MAX_CHARS).is_some() {
        shown.push('…');
    }
    format!("\"{}\"", shown.replace('"', "'"))
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Every file under examples/vapi/ is a fixture of some test; a new one must join this list
    /// (and a test), so the examples cannot drift from what the code accepts.
    const FIXTURES: [&str; 7] = [
        "book_appointment.tool.json",
        "end-of-call-report-booked.json",
        "end-of-call-report-no-answer.json",
        "option-b-booked.json",
        "option-b-cancelled.json",
        "tool-calls-batch.json",
        "tool-calls-book.json",
    ];

    #[test]
    fn every_example_is_a_listed_fixture() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/vapi");
        let mut found: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        found.sort();
        assert_eq!(found, FIXTURES);
    }

    #[test]
    fn the_tool_definition_matches_what_the_server_reads() {
        let tool: Value = serde_json::from_str(include_str!("../../../examples/vapi/book_appointment.tool.json")).unwrap();
        assert_eq!(tool["type"], "function");
        assert_eq!(tool["function"]["name"], super::tool_calls::FUNCTIONS[0]);
        assert_eq!(tool["function"]["parameters"]["required"], serde_json::json!(["lead_id", "appointment_time"]));
        let time = tool["function"]["parameters"]["properties"]["appointment_time"]["description"].as_str().unwrap();
        assert!(time.contains("offset"), "the agent must be told to give an offset: {time}");
        let example = time.split_whitespace().find(|w| w.starts_with("2025-")).unwrap().trim_end_matches('.');
        assert!(super::timestamp::parse(example, "t").is_ok(), "the description's example must parse: {example}");
    }
}
