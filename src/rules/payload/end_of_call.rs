//! What a finished call says to do: VAPI's `end-of-call-report`, or the seed's flattened
//! "Option B" body `{"callId", "leadId", "outcome", "appointmentTime", "transcript"}`.
//!
//! In a VAPI report the lead, outcome and appointment are looked up first in what the call's
//! analysis extracted: `analysis.structuredData` (the analysis plan) and the object `result` of
//! every `artifact.structuredOutputs` entry (VAPI's structured outputs), all of which must agree;
//! then, in this order, in `call.metadata`, `call.assistantOverrides.metadata` (where
//! vapi_assistant_request() puts the lead of an inbound call) and
//! `call.assistantOverrides.variableValues`. An analysis with no outcome but
//! `appointment_booked: true` books.

use super::fields::{at, field, text, unambiguous};
use super::tool_calls::message;
use super::{lead_id, timestamp, Request};
use crate::rules::refusal::{Refusal, Unreadable};
use crate::rules::text::quote;
use crate::rules::Instant;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReport {
    pub call_id: Option<String>,
    pub lead_id: Option<String>,
    /// The outcome as sent.
    pub outcome: Option<String>,
    /// What to do: a request, nothing (`Ok(None)`), or why the report cannot be acted on.
    pub decision: Result<Option<Request>, Refusal>,
}

/// What an outcome asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Book,
    Cancel,
    Reschedule,
}

/// Outcome spellings that change a hold; every other outcome (no answer, voicemail, not
/// interested, showed …) leaves it alone here.
fn action(outcome: &str) -> Option<Action> {
    let folded: String = outcome.trim().chars().map(|c| if c == '-' || c == ' ' { '_' } else { c.to_ascii_lowercase() }).collect();
    match folded.as_str() {
        "appointment_booked" | "booked" | "appointment_scheduled" | "scheduled" => Some(Action::Book),
        "appointment_cancelled" | "appointment_canceled" | "cancelled" | "canceled" => Some(Action::Cancel),
        "appointment_rescheduled" | "rescheduled" => Some(Action::Reschedule),
        _ => None,
    }
}

/// What a finished call asks for; `as_of` only dates the example in a time refusal.
pub fn parse(payload: &Value, as_of: Instant) -> Result<CallReport, Unreadable> {
    let message = message(payload);
    let (analysis, sources): (Vec<(String, &Value)>, Vec<&Value>) = match field(message, &["type"]).and_then(Value::as_str) {
        Some("end-of-call-report") => (analysis(message), [
            at(message, &["call", "metadata"]),
            at(message, &["call", "assistantOverrides", "metadata"]),
            at(message, &["call", "assistantOverrides", "variableValues"]),
        ]
        .into_iter()
        .flatten()
        .collect()),
        Some(other) => {
            return Err(Unreadable::not_this_message(format!(
                "expected an end-of-call-report, got a VAPI message of type {}",
                quote(other)
            )))
        }
        None if field(payload, &["leadId", "outcome"]).is_some() => (Vec::new(), vec![payload]),
        None => {
            return Err(Unreadable::not_this_message(
                "expected a VAPI end-of-call-report or a body with leadId and outcome".to_owned(),
            ))
        }
    };
    // Within one source a value sent under two spellings with different values is ambiguous,
    // and so is one the analysis's places disagree on; past the analysis, the documented order
    // decides.
    let find = |names: &[&str], what: &str| -> Result<Option<String>, Refusal> {
        let mut said: Option<(String, &str)> = None;
        for (place, source) in &analysis {
            let Some(v) = unambiguous(source, names, what)? else { continue };
            let v = text(v).unwrap_or_else(|| v.to_string());
            match &said {
                Some((first, first_place)) if first.trim() != v.trim() => {
                    return Err(Refusal(format!(
                        "{what} is {} in {first_place} but {} in {place}; the call's analysis must say one thing",
                        quote(first),
                        quote(&v)
                    )))
                }
                Some(_) => {}
                None => said = Some((v, place)),
            }
        }
        if let Some((v, _)) = said {
            return Ok(Some(v));
        }
        for source in &sources {
            if let Some(v) = unambiguous(source, names, what)? {
                return Ok(Some(text(v).unwrap_or_else(|| v.to_string())));
            }
        }
        Ok(None)
    };
    let call_id = at(message, &["call", "id"]).or_else(|| field(payload, &["callId"])).and_then(text);
    let lead = find(&["lead_id", "leadId"], "lead_id");
    // A structured result may say only that an appointment was booked, and when.
    let outcome = find(&["outcome"], "outcome").and_then(|outcome| match outcome {
        Some(o) => Ok(Some(o)),
        None => Ok(find(&["appointment_booked", "appointmentBooked"], "appointment_booked")?
            .filter(|flag| flag.trim().eq_ignore_ascii_case("true"))
            .map(|_| "appointment_booked".to_owned())),
    });
    let appointment = find(&["appointment_time", "appointmentTime"], "appointmentTime");

    let decision = match outcome.clone().map(|o| o.as_deref().and_then(action)) {
        Err(refusal) => Err(refusal),
        Ok(None) => Ok(None),
        Ok(Some(action)) => (|| {
            let lead = lead.clone()?.ok_or_else(|| Refusal("the report has no lead id".to_owned()))?;
            let lead = lead_id::parse(&lead)?;
            let time = || -> Result<_, Refusal> {
                let raw = appointment.clone()?.ok_or_else(|| Refusal("the report has no appointment time".to_owned()))?;
                timestamp::parse(&raw, "appointmentTime", as_of)
            };
            Ok(Some(match action {
                Action::Book => Request::Book { lead, at: time()? },
                Action::Cancel => Request::Cancel { lead },
                Action::Reschedule => Request::Reschedule { lead, at: time()? },
            }))
        })(),
    };
    let (lead, outcome) = (lead.ok().flatten(), outcome.ok().flatten());
    Ok(CallReport { call_id, lead_id: lead, outcome, decision })
}

/// The places the call's analysis extracted values to, named for messages:
/// `analysis.structuredData`, and each structured output whose result is an object.
fn analysis(message: &Value) -> Vec<(String, &Value)> {
    let mut places: Vec<(String, &Value)> = at(message, &["analysis", "structuredData"]).map(|v| ("analysis.structuredData".to_owned(), v)).into_iter().collect();
    if let Some(outputs) = at(message, &["artifact", "structuredOutputs"]).and_then(Value::as_object) {
        for (id, output) in outputs {
            if let Some(result) = output.get("result").filter(|r| r.is_object()) {
                let name = output.get("name").and_then(text).unwrap_or_else(|| id.clone());
                places.push((format!("structured output {}", quote(&name)), result));
            }
        }
    }
    places
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::payload::test_as_of as as_of;
    use chrono::{TimeZone, Utc};
    use serde_json::json;

    fn example(name: &str) -> Value {
        let text = match name {
            "end-of-call-report-booked" => include_str!("../../../examples/vapi/end-of-call-report-booked.json"),
            "end-of-call-report-no-answer" => include_str!("../../../examples/vapi/end-of-call-report-no-answer.json"),
            "option-b-booked" => include_str!("../../../examples/vapi/option-b-booked.json"),
            "option-b-cancelled" => include_str!("../../../examples/vapi/option-b-cancelled.json"),
            "structured-outputs" => include_str!("../../../examples/vapi/end-of-call-report-structured-outputs.json"),
            "structured-booked" => include_str!("../../../examples/vapi/end-of-call-report-structured-booked-no-outcome.json"),
            _ => unreachable!(),
        };
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn a_report_with_a_booking_books() {
        let r = parse(&example("end-of-call-report-booked"), as_of()).unwrap();
        assert_eq!(r.call_id.as_deref(), Some("b1e2c3d4-0000-4000-8000-00000000ca11"));
        assert_eq!(
            r.decision,
            Ok(Some(Request::Book {
                lead: lead_id::parse("07f26a19-e9dc-422c-b61d-030e3c7971bb").unwrap(),
                at: Utc.with_ymd_and_hms(2025, 10, 20, 14, 0, 0).unwrap()
            }))
        );
    }

    #[test]
    fn a_report_without_a_booking_does_nothing() {
        let r = parse(&example("end-of-call-report-no-answer"), as_of()).unwrap();
        assert_eq!(r.outcome.as_deref(), Some("no_answer"));
        assert_eq!(r.decision, Ok(None));
    }

    #[test]
    fn the_seeds_option_b_body_books_and_cancels() {
        assert!(matches!(parse(&example("option-b-booked"), as_of()).unwrap().decision, Ok(Some(Request::Book { .. }))));
        assert!(matches!(parse(&example("option-b-cancelled"), as_of()).unwrap().decision, Ok(Some(Request::Cancel { .. }))));
    }

    #[test]
    fn a_booking_without_what_it_needs_is_refused() {
        let r = parse(&json!({"leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "Appointment Booked"}), as_of()).unwrap();
        assert_eq!(r.decision, Err(Refusal("the report has no appointment time".into())));
        let r = parse(&json!({"leadId": "nope", "outcome": "appointment_booked", "appointmentTime": "2025-10-20T14:00:00Z"}), as_of()).unwrap();
        assert!(matches!(r.decision, Err(Refusal(m)) if m.contains("\"nope\"")));
        let r = parse(&json!({"outcome": "cancelled"}), as_of()).unwrap();
        assert_eq!(r.decision, Err(Refusal("the report has no lead id".into())));
    }

    #[test]
    fn a_value_sent_two_ways_is_refused_as_ambiguous() {
        let r = parse(&json!({"leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "lead_id": "17f26a19-e9dc-422c-b61d-030e3c7971bb",
                              "outcome": "cancelled"}), as_of())
        .unwrap();
        assert!(matches!(&r.decision, Err(Refusal(m)) if m.contains("lead_id is given twice")), "{:?}", r.decision);
        let r = parse(&json!({"leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "booked",
                              "appointmentTime": "2025-10-20T14:00:00Z", "appointment_time": "2025-10-21T14:00:00Z"}), as_of())
        .unwrap();
        assert!(matches!(&r.decision, Err(Refusal(m)) if m.contains("appointmentTime is given twice")), "{:?}", r.decision);
    }

    #[test]
    fn an_inbound_call_s_lead_comes_from_the_assistant_overrides_metadata() {
        let report = json!({"message": {"type": "end-of-call-report",
            "analysis": {"structuredData": {"outcome": "cancelled"}},
            "call": {"id": "c1", "assistantOverrides": {"metadata": {"lead_id": "07f26a19-e9dc-422c-b61d-030e3c7971bb"}}}}});
        let r = parse(&report, as_of()).unwrap();
        assert_eq!(r.lead_id.as_deref(), Some("07f26a19-e9dc-422c-b61d-030e3c7971bb"));
        assert!(matches!(r.decision, Ok(Some(Request::Cancel { .. }))));
    }

    #[test]
    fn structured_outputs_are_read_like_structured_data() {
        let lead = lead_id::parse("07f26a19-e9dc-422c-b61d-030e3c7971bb").unwrap();
        let r = parse(&example("structured-outputs"), as_of()).unwrap();
        assert_eq!(r.decision, Ok(Some(Request::Book { lead, at: Utc.with_ymd_and_hms(2025, 10, 20, 14, 0, 0).unwrap() })));
        // No outcome, but booked and a time: books (14:00 Eastern is 18:00 UTC).
        let r = parse(&example("structured-booked"), as_of()).unwrap();
        assert_eq!(r.outcome.as_deref(), Some("appointment_booked"));
        assert_eq!(r.decision, Ok(Some(Request::Book { lead, at: Utc.with_ymd_and_hms(2025, 10, 20, 18, 0, 0).unwrap() })));
        let mut not_booked = example("structured-booked");
        not_booked["message"]["artifact"]["structuredOutputs"]["5b0e6f3a-2c1d-4e8f-9a7b-3c4d5e6f7a81"]["result"]["appointment_booked"] = json!(false);
        assert_eq!(parse(&not_booked, as_of()).unwrap().decision, Ok(None));
    }

    #[test]
    fn places_of_the_analysis_that_disagree_are_refused() {
        let mut both = example("structured-outputs");
        both["message"]["analysis"]["structuredData"] = json!({"outcome": "cancelled"});
        let r = parse(&both, as_of()).unwrap();
        assert!(
            matches!(&r.decision, Err(Refusal(m)) if m.contains("outcome is \"cancelled\" in analysis.structuredData but \"appointment_booked\" in structured output \"Appointment outcome\"")),
            "{:?}",
            r.decision
        );
        // Saying the same thing twice is no disagreement.
        both["message"]["analysis"]["structuredData"] = json!({"outcome": "appointment_booked", "leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb"});
        assert!(matches!(parse(&both, as_of()).unwrap().decision, Ok(Some(Request::Book { .. }))));
        // Two outputs naming different leads.
        let mut two = example("structured-outputs");
        two["message"]["artifact"]["structuredOutputs"]["c8d2a4e6-1f3b-4d5c-8e7a-9b0c1d2e3f45"]["result"] = json!({"lead_id": "17f26a19-e9dc-422c-b61d-030e3c7971bb"});
        assert!(matches!(&parse(&two, as_of()).unwrap().decision, Err(Refusal(m)) if m.contains("lead_id is")), "lead");
    }

    #[test]
    fn other_messages_are_not_reports() {
        assert!(parse(&json!({"message": {"type": "tool-calls"}}), as_of()).is_err());
        assert!(parse(&json!({"transcript": "hi"}), as_of()).is_err());
    }
}
