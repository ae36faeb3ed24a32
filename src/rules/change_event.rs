//! The change events sent on channel `phone_holds` (docs/operations/monitoring.md, Change events): one
//! per ledger row a hold change writes, as the JSON payload of a NOTIFY.

use super::{rfc3339, Instant};
use serde::Serialize;

/// The channel every event is sent on.
pub const CHANNEL: &str = "phone_holds";

/// PostgreSQL refuses a NOTIFY payload of 8000 bytes or more; an event that would be that
/// long (only a pool number or source reference thousands of characters long could make one)
/// is not sent, rather than fail the change.
pub const MAX_PAYLOAD: usize = 7999;

/// One hold change, as its ledger row records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeEvent {
    /// assigned, reused, extended, completed, rescheduled or released.
    pub event: &'static str,
    pub number: String,
    /// The lead that holds the number (released: the lead that held it).
    pub lead_id: Option<String>,
    /// The hold's end after the change; null once released.
    #[serde(serialize_with = "time")]
    pub release_at: Option<Instant>,
    /// The appointment the hold is for after the change, if any.
    #[serde(serialize_with = "time")]
    pub appointment_at: Option<Instant>,
    /// sql, vapi, calcom or calendly; null while the ledger has no source column (before setup
    /// has run since the update to 0.7.0).
    pub source: Option<&'static str>,
    /// The change's as_of: the ledger row's `at`.
    #[serde(serialize_with = "time_always")]
    pub at: Instant,
    /// The ledger row's id: with it a listener can read the whole row, and tell a change it
    /// has already handled.
    pub ledger_id: i64,
    /// Completed: the outcome recorded.
    pub outcome: Option<String>,
    /// Assigned: the tier the number was found in (previous, area_code, state, any).
    pub geo_tier: Option<&'static str>,
}

impl ChangeEvent {
    /// The NOTIFY payload, or `None` when it would be too long to send.
    pub fn payload(&self) -> Option<String> {
        let text = serde_json::to_string(self).expect("an event always serialises");
        (text.len() <= MAX_PAYLOAD).then_some(text)
    }
}

fn time<S: serde::Serializer>(t: &Option<Instant>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&rfc3339(t)),
        None => s.serialize_none(),
    }
}

fn time_always<S: serde::Serializer>(t: &Instant, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(t))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> Instant {
        chrono::Utc.with_ymd_and_hms(2025, 10, 18, h, 0, 0).unwrap()
    }

    fn assigned() -> ChangeEvent {
        ChangeEvent {
            event: "assigned",
            number: "+14155550101".into(),
            lead_id: Some("07f26a19-e9dc-422c-b61d-030e3c7971bb".into()),
            release_at: Some(at(18)),
            appointment_at: None,
            source: Some("vapi"),
            at: at(0),
            ledger_id: 42,
            outcome: None,
            geo_tier: Some("area_code"),
        }
    }

    #[test]
    fn an_event_is_one_json_object_with_every_field_named_as_readme_says() {
        let payload = assigned().payload().unwrap();
        assert_eq!(
            payload,
            r#"{"event":"assigned","number":"+14155550101","leadId":"07f26a19-e9dc-422c-b61d-030e3c7971bb","releaseAt":"2025-10-18T18:00:00Z","appointmentAt":null,"source":"vapi","at":"2025-10-18T00:00:00Z","ledgerId":42,"outcome":null,"geoTier":"area_code"}"#
        );
    }

    #[test]
    fn text_from_the_pool_is_escaped_not_pasted() {
        let e = ChangeEvent { number: "+1\"},{\"event\":\"x\n".into(), ..assigned() };
        let parsed: serde_json::Value = serde_json::from_str(&e.payload().unwrap()).unwrap();
        assert_eq!(parsed["number"], "+1\"},{\"event\":\"x\n");
        assert_eq!(parsed["event"], "assigned");
    }

    #[test]
    fn an_event_too_long_for_notify_is_not_sent() {
        let fits = ChangeEvent { number: "1".repeat(7700), ..assigned() };
        assert!(fits.payload().is_some_and(|p| p.len() <= MAX_PAYLOAD));
        let too_long = ChangeEvent { number: "1".repeat(8000), ..assigned() };
        assert_eq!(too_long.payload(), None);
    }
}
