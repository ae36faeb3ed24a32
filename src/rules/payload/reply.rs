//! The sentences the voice agent is given back, one per tool call.

use super::tool_calls::Function;
use crate::rules::Instant;

/// How an instant is read out: minutes, in UTC, said so.
pub fn spoken_time(t: &Instant) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn booked(number: &str, appointment: &Instant, release_at: &Instant) -> String {
    format!(
        "Booked for {}. The lead keeps the phone number {number} until {}.",
        spoken_time(appointment),
        spoken_time(release_at)
    )
}

pub fn rescheduled(number: &str, appointment: &Instant, release_at: &Instant) -> String {
    format!(
        "Moved to {}. The lead keeps the phone number {number} until {}.",
        spoken_time(appointment),
        spoken_time(release_at)
    )
}

pub fn cancelled(release_at: Option<&Instant>) -> String {
    match release_at {
        Some(_) => "Cancelled. The lead's phone number goes back to the pool.".to_owned(),
        None => "There was no appointment hold to cancel for this lead; nothing changed.".to_owned(),
    }
}

/// A refusal the agent can act on: what it tried, and why not.
pub fn refused(function: &Function, why: &str) -> String {
    let tried = match function {
        Function::Book => "I couldn't book that time",
        Function::Cancel => "I couldn't cancel the appointment",
        Function::Reschedule => "I couldn't move the appointment",
        Function::Unknown(_) => "I can't do that",
    };
    format!("{tried}: {why}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn sentences() {
        let appt = Utc.with_ymd_and_hms(2025, 10, 20, 14, 0, 0).unwrap();
        let release = Utc.with_ymd_and_hms(2025, 10, 21, 14, 0, 0).unwrap();
        assert_eq!(
            booked("+15550100002", &appt, &release),
            "Booked for 2025-10-20 14:00 UTC. The lead keeps the phone number +15550100002 until 2025-10-21 14:00 UTC."
        );
        assert_eq!(refused(&Function::Book, "lead_id is missing"), "I couldn't book that time: lead_id is missing.");
        assert!(cancelled(None).contains("nothing changed"));
    }
}
