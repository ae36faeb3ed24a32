//! What VAPI, Cal.com, Calendly and n8n post, parsed into hold requests, and the answers they
//! get back in the shapes they expect: no pgrx, no database.
//!
//! Every value the caller sent is checked here, and every refusal quotes it, so the voice
//! agent can say what was wrong and a person reading the log can see it.
//!
//! Only parsing and answer shapes live here: the events, records and decisions the parsers
//! produce are the rest of `rules`' (`calendar`, `holder`, `refusal`, `text`), and this module
//! only imports them. Nothing but `sql_api` imports this module: `lifecycle`, `spi` and the
//! other rules never see a payload.

pub mod assistant_reply;
pub mod assistant_request;
pub mod body;
pub mod calcom;
pub mod calendar;
pub mod calendly;
pub mod end_of_call;
pub mod fields;
pub mod lead_id;
pub mod lead_phone;
pub mod message_type;
pub mod reply;
pub mod timestamp;
pub mod tool_calls;
pub mod webhook;

use super::Instant;

/// The moment the payload tests read their examples at (the examples book 2025-10-20).
#[cfg(test)]
pub fn test_as_of() -> Instant {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2025, 10, 19, 12, 0, 0).unwrap()
}

/// The files under examples/`dir`/, sorted: each such folder's fixture-list test compares
/// them with the files its tests read.
#[cfg(test)]
pub fn example_files(dir: &str) -> Vec<String> {
    let path = format!("{}/examples/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut found: Vec<String> = std::fs::read_dir(path).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    found.sort();
    found
}

/// A hold change a payload asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Book { lead: [u8; 16], at: Instant },
    Cancel { lead: [u8; 16] },
    Reschedule { lead: [u8; 16], at: Instant },
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    /// Every file under examples/vapi/ is a fixture of some test; a new one must join this list
    /// (and a test), so the examples cannot drift from what the code accepts.
    /// (README.md says where each shape comes from.)
    const FIXTURES: [&str; 24] = [
        "README.md",
        "assistant-request-held.json",
        "assistant-request-released.json",
        "assistant-request-unknown.json",
        "book_appointment.tool.json",
        "cancel_appointment.tool.json",
        "conversation-update.json",
        "end-of-call-report-booked.json",
        "end-of-call-report-no-answer.json",
        "end-of-call-report-structured-booked-no-outcome.json",
        "end-of-call-report-structured-outputs.json",
        "function-call.json",
        "hang.json",
        "inbound.phone-number.json",
        "model-output.json",
        "option-b-booked.json",
        "option-b-cancelled.json",
        "reschedule_appointment.tool.json",
        "speech-update.json",
        "status-update.json",
        "tool-calls-batch.json",
        "tool-calls-book.json",
        "transcript.json",
        "user-interrupted.json",
    ];

    #[test]
    fn every_example_is_a_listed_fixture() {
        assert_eq!(super::example_files("vapi"), FIXTURES);
    }

    /// The phone-number setting docs/guides/inbound-calls.md PATCHes into VAPI leaves the number without an
    /// assistant (so VAPI sends assistant-request) and points it at the inbound workflow's path.
    #[test]
    fn the_inbound_phone_number_points_at_the_inbound_workflow() {
        let setting: Value = serde_json::from_str(include_str!("../../../examples/vapi/inbound.phone-number.json")).unwrap();
        assert_eq!(setting["assistantId"], Value::Null);
        assert_eq!(setting["squadId"], Value::Null);
        let workflow: Value = serde_json::from_str(include_str!("../../../examples/n8n/VAPI_Inbound_Call.json")).unwrap();
        let path = workflow["nodes"].as_array().unwrap().iter().find(|n| n["type"] == "n8n-nodes-base.webhook").unwrap()["parameters"]["path"]
            .as_str()
            .unwrap();
        assert!(setting["server"]["url"].as_str().unwrap().ends_with(&format!("/webhook/{path}")), "{setting}");
    }

    /// The tool definitions to paste into VAPI name the functions and arguments the server
    /// reads, and their example times are ones it accepts.
    #[test]
    fn the_tool_definitions_match_what_the_server_reads() {
        let tools = [
            (include_str!("../../../examples/vapi/book_appointment.tool.json"), "book_appointment", vec!["lead_id", "appointment_time"]),
            (include_str!("../../../examples/vapi/cancel_appointment.tool.json"), "cancel_appointment", vec!["lead_id"]),
            (include_str!("../../../examples/vapi/reschedule_appointment.tool.json"), "reschedule_appointment", vec!["lead_id", "new_time"]),
        ];
        for (text, name, required) in tools {
            let tool: Value = serde_json::from_str(text).unwrap();
            assert_eq!(tool["type"], "function");
            assert_eq!(tool["function"]["name"], name);
            assert!(super::tool_calls::FUNCTIONS.contains(&name));
            assert_eq!(tool["function"]["parameters"]["required"], serde_json::json!(required));
            for time_arg in required.iter().filter(|a| a.ends_with("time")) {
                let said = tool["function"]["parameters"]["properties"][time_arg]["description"].as_str().unwrap();
                assert!(said.contains("offset"), "{name}: the agent must be told to give an offset: {said}");
                let example = said.split_whitespace().find(|w| w.starts_with("2025-")).unwrap().trim_end_matches('.');
                assert!(super::timestamp::parse(example, "t", super::test_as_of()).is_ok(), "{name}: the example must parse: {example}");
            }
            // The optional phone, where a number may be assigned: its example is one the server takes.
            let phone = tool["function"]["parameters"]["properties"]["lead_phone"]["description"].as_str();
            assert_eq!(phone.is_some(), name != "cancel_appointment", "{name}");
            if let Some(said) = phone {
                let example = said.split_whitespace().find(|w| w.starts_with("+1")).unwrap().trim_end_matches(',');
                assert_eq!(crate::rules::locality::lead_phone(example), Ok(Some(example.to_owned())), "{name}");
            }
        }
    }
}
