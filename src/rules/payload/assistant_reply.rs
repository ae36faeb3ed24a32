//! The answer to an assistant-request: which assistant takes the call, and what it is told
//! about the lead who holds (or held) the called number.
//!
//! ```json
//! {"assistantId": "…",
//!  "assistantOverrides": {
//!    "variableValues": {"number_status": "held", "number_released": false, "lead_id": "…", "number": "+1…",
//!                       "appointment_time": "2025-10-23T18:00:00Z", "appointment_spoken": "Thursday, October 23 at 2 PM EDT",
//!                       "hold_ends_at": "…", "released_at": null, "last_outcome": null, "caller_check": "matches"},
//!    "metadata": {"lead_id": "…"}}}
//! ```
//! The variables are what the assistant's prompt can use (`{{appointment_spoken}}`); the
//! metadata is what the call's later tool calls and its end-of-call report carry, so the lead
//! is known without the model repeating its id. The lead's phone itself is never sent: if
//! someone else is calling, the model must not be able to read it out.

use super::lead_id;
use crate::rules::holder::{Holder, Holding, LocalTime};
use crate::rules::phone::CallerCheck;
use crate::rules::rfc3339;
use crate::rules::text::shown;
use chrono::{FixedOffset, Timelike};
use serde_json::{json, Value};

/// The assistant id as configured, if it has the form of a VAPI id (a UUID), lower-cased.
pub fn assistant_id(raw: &str) -> Option<String> {
    lead_id::parse(raw).ok().map(|_| raw.trim().to_ascii_lowercase())
}

/// How the appointment is read out: "Thursday, October 23 at 2 PM EDT", "… at 2:30 PM EDT".
/// A zone PostgreSQL knows no abbreviation for (`-03`) is said as "UTC-03".
pub fn spoken(t: &LocalTime) -> String {
    let offset = FixedOffset::east_opt(t.utc_offset_seconds).unwrap_or(FixedOffset::east_opt(0).expect("zero is an offset"));
    let local = t.at.with_timezone(&offset);
    let clock = if local.minute() == 0 { local.format("%-I %p") } else { local.format("%-I:%M %p") };
    let zone = if t.zone.starts_with(['+', '-']) { format!("UTC{}", t.zone) } else { t.zone.clone() };
    format!("{} at {clock} {zone}", local.format("%A, %B %-d"))
}

/// The answer for a call to `number` from `caller`: the assistant, with the lead's context when
/// there is a holder, and none when nobody held the number recently.
pub fn answer(assistant_id: &str, number: &str, caller: Option<&str>, holder: Option<&Holder>) -> Value {
    let Some(h) = holder else {
        return json!({
            "assistantId": assistant_id,
            "assistantOverrides": {"variableValues": {"number_status": "free", "number_released": false, "number": number}},
        });
    };
    let (status, release_at, released_at) = match h.holding {
        Holding::Held { release_at } => ("held", Some(release_at), None),
        Holding::Released { released_at } => ("released", None, Some(released_at)),
    };
    json!({
        "assistantId": assistant_id,
        "assistantOverrides": {
            "variableValues": {
                "number_status": status,
                "number_released": released_at.is_some(),
                "lead_id": h.lead_id,
                "number": number,
                "appointment_time": h.appointment.as_ref().map(|a| rfc3339(&a.at)),
                "appointment_spoken": h.appointment.as_ref().map(spoken),
                "hold_ends_at": release_at.as_ref().map(rfc3339),
                "released_at": released_at.as_ref().map(rfc3339),
                "last_outcome": h.last_outcome.as_deref().map(shown),
                "caller_check": CallerCheck::of(h.lead_phone.as_deref(), caller).as_str(),
            },
            "metadata": {"lead_id": h.lead_id},
        },
    })
}

/// A call phone_holds will not route: VAPI speaks `error` to the caller and ends the call.
pub fn refusal(why: &str) -> Value {
    json!({ "error": why })
}

/// What the caller hears when the called number is not in the pool. The reason, which names
/// the number, goes to the server log, not to the caller.
pub const NOT_IN_POOL: &str = "Sorry, this number cannot take calls right now. Goodbye.";

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    const LEAD: &str = "07f26a19-e9dc-422c-b61d-030e3c7971bb";
    const ASSISTANT: &str = "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c";

    fn eastern(h: u32, m: u32) -> LocalTime {
        LocalTime { at: Utc.with_ymd_and_hms(2025, 10, 23, h, m, 0).unwrap(), utc_offset_seconds: -4 * 3600, zone: "EDT".into() }
    }

    #[test]
    fn appointments_are_spoken_in_the_local_time_of_the_zone() {
        assert_eq!(spoken(&eastern(18, 0)), "Thursday, October 23 at 2 PM EDT");
        assert_eq!(spoken(&eastern(13, 30)), "Thursday, October 23 at 9:30 AM EDT");
        // Near midnight UTC the local date is the day before.
        assert_eq!(spoken(&eastern(2, 5)), "Wednesday, October 22 at 10:05 PM EDT");
        let utc = LocalTime { at: Utc.with_ymd_and_hms(2025, 10, 23, 12, 0, 0).unwrap(), utc_offset_seconds: 0, zone: "UTC".into() };
        assert_eq!(spoken(&utc), "Thursday, October 23 at 12 PM UTC");
        let no_abbreviation = LocalTime { zone: "-03".into(), utc_offset_seconds: -3 * 3600, ..utc };
        assert_eq!(spoken(&no_abbreviation), "Thursday, October 23 at 9 AM UTC-03");
    }

    #[test]
    fn a_held_number_carries_the_lead_and_its_hold() {
        let holder = Holder {
            lead_id: LEAD.into(),
            holding: Holding::Held { release_at: Utc.with_ymd_and_hms(2025, 10, 24, 18, 0, 0).unwrap() },
            appointment: Some(eastern(18, 0)),
            last_outcome: None,
            lead_phone: Some("+15550100001".into()),
        };
        assert_eq!(
            answer(ASSISTANT, "+15550000001", Some("+15550100001"), Some(&holder)),
            json!({"assistantId": ASSISTANT, "assistantOverrides": {
                "variableValues": {"number_status": "held", "number_released": false, "lead_id": LEAD, "number": "+15550000001",
                    "appointment_time": "2025-10-23T18:00:00Z", "appointment_spoken": "Thursday, October 23 at 2 PM EDT",
                    "hold_ends_at": "2025-10-24T18:00:00Z", "released_at": null, "last_outcome": null, "caller_check": "matches"},
                "metadata": {"lead_id": LEAD}}})
        );
    }

    #[test]
    fn a_released_number_says_so_and_a_free_one_carries_no_lead() {
        let holder = Holder {
            lead_id: LEAD.into(),
            holding: Holding::Released { released_at: Utc.with_ymd_and_hms(2025, 10, 25, 0, 0, 0).unwrap() },
            appointment: None,
            last_outcome: Some("no_show".into()),
            lead_phone: None,
        };
        let vars = &answer(ASSISTANT, "+15550000001", Some("+15550100002"), Some(&holder))["assistantOverrides"]["variableValues"];
        assert_eq!(vars["number_status"], "released");
        assert_eq!(vars["number_released"], true);
        assert_eq!(vars["released_at"], "2025-10-25T00:00:00Z");
        assert_eq!(vars["hold_ends_at"], Value::Null);
        assert_eq!(vars["last_outcome"], "no_show");
        assert_eq!(vars["caller_check"], "unknown");
        assert_eq!(
            answer(ASSISTANT, "+15550000009", None, None),
            json!({"assistantId": ASSISTANT, "assistantOverrides": {"variableValues": {"number_status": "free", "number_released": false, "number": "+15550000009"}}})
        );
        assert_eq!(refusal("no"), json!({"error": "no"}));
    }

    #[test]
    fn assistant_ids_are_uuids() {
        assert_eq!(assistant_id(" 5B0A4C1E-8F7D-4E2A-9C3B-1D2E3F4A5B6C ").as_deref(), Some(ASSISTANT));
        assert_eq!(assistant_id("my-assistant"), None);
        assert_eq!(assistant_id(""), None);
    }
}
