//! A lead's appointments, from every source, and the hold they call for.
//!
//! A lead may book through VAPI, SQL and both calendars at once (the seed's "consultation
//! series"). Each appointment is kept with its status (public.phone_hold_appointments); a
//! booking only ever lengthens the hold (rules::hold), and when one appointment is cancelled,
//! moved or has its outcome, the hold is worked out again from all of them, so the others
//! keep the number.

use super::{Hold, Instant, Outcome, Windows};

/// The status of one appointment: live while `Booked` and its follow-up window is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentStatus {
    Booked,
    Showed,
    NoShow,
    Cancelled,
    /// Replaced by a reschedule.
    Moved,
}

impl AppointmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Showed => "showed",
            AppointmentStatus::NoShow => "no_show",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::Moved => "moved",
        }
    }

    /// What an outcome makes of the appointments it is about.
    pub fn after(outcome: Outcome) -> AppointmentStatus {
        match outcome {
            Outcome::Showed => AppointmentStatus::Showed,
            Outcome::NoShow => AppointmentStatus::NoShow,
            Outcome::Cancelled => AppointmentStatus::Cancelled,
            Outcome::Rescheduled => AppointmentStatus::Moved,
        }
    }
}

/// Which of a lead's live appointments an outcome that names none (the seed's
/// `complete_appointment_for_phone(lead, outcome)`) is about: those that have begun for
/// `showed` and `no_show` (a later one is still to come and keeps the number), all of them
/// for `cancelled` and `rescheduled` (the lead called the appointment off: the seed's "due
/// now"). `None`: no upper bound.
pub fn ended_by(outcome: Outcome, as_of: Instant) -> Option<Instant> {
    outcome.keeps_follow_up().then_some(as_of)
}

/// What a lead's appointments say at `as_of`, as the table is read.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeadAppointments {
    /// The latest booked appointment whose follow-up window is still open.
    pub latest_live: Option<Instant>,
    /// The latest outcome (showed, no_show) whose follow-up window is still open: when it was
    /// recorded, and the appointment it was for.
    pub outcome: Option<(Instant, Instant)>,
}

/// The start of the follow-up windows still open at `as_of`: appointments and outcomes after
/// it still hold the number.
pub fn live_since(as_of: Instant, w: &Windows) -> Instant {
    as_of - w.follow_up
}

impl Hold {
    /// The hold a lead's appointments call for once one of them was cancelled, moved or given
    /// its outcome: through the latest live appointment's follow-up window and through any
    /// outcome's still running; due at `as_of` when neither is left. The pool row keeps the
    /// latest live appointment (or, when none is left, the one whose follow-up runs), so the
    /// release rule, the monitoring views and the inbound answer see the appointment that
    /// holds the number longest.
    pub fn for_appointments(a: LeadAppointments, as_of: Instant, w: &Windows) -> Hold {
        let ends = [a.latest_live.map(|at| at + w.follow_up), a.outcome.map(|(recorded, _)| recorded + w.follow_up)];
        let release_at = ends.into_iter().flatten().fold(as_of, Instant::max);
        Hold { release_at: Some(release_at), appointment_at: a.latest_live.or(a.outcome.map(|(_, at)| at)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::release::is_due;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn day(d: i64) -> Instant {
        Utc.with_ymd_and_hms(2025, 10, 18, 12, 0, 0).unwrap() + TimeDelta::days(d)
    }

    fn due(h: Hold, as_of: Instant) -> bool {
        is_due(h.release_at, h.appointment_at, as_of, Windows::default().follow_up)
    }

    #[test]
    fn the_latest_live_appointment_holds_the_number_through_its_follow_up() {
        let w = Windows::default();
        let h = Hold::for_appointments(LeadAppointments { latest_live: Some(day(3)), outcome: None }, day(1), &w);
        assert_eq!(h, Hold { release_at: Some(day(4)), appointment_at: Some(day(3)) });
        assert!(!due(h, day(4) - TimeDelta::seconds(1)));
        assert!(due(h, day(4)));
    }

    #[test]
    fn nothing_left_is_due_now() {
        let h = Hold::for_appointments(LeadAppointments::default(), day(1), &Windows::default());
        assert_eq!(h, Hold { release_at: Some(day(1)), appointment_at: None });
    }

    #[test]
    fn a_running_outcome_follow_up_is_kept() {
        let w = Windows::default();
        // Showed on day 1 at noon; the day-6 booking is cancelled six hours later.
        let recorded = day(1);
        let h = Hold::for_appointments(LeadAppointments { latest_live: None, outcome: Some((recorded, day(1))) }, day(1) + TimeDelta::hours(6), &w);
        assert_eq!(h, Hold { release_at: Some(day(2)), appointment_at: Some(day(1)) });
        // A later live appointment outlasts it.
        let h = Hold::for_appointments(LeadAppointments { latest_live: Some(day(5)), outcome: Some((recorded, day(1))) }, day(1), &w);
        assert_eq!(h, Hold { release_at: Some(day(6)), appointment_at: Some(day(5)) });
    }

    #[test]
    fn outcomes_that_name_no_appointment_end_the_right_ones() {
        assert_eq!(ended_by(Outcome::Showed, day(2)), Some(day(2)));
        assert_eq!(ended_by(Outcome::NoShow, day(2)), Some(day(2)));
        assert_eq!(ended_by(Outcome::Cancelled, day(2)), None);
        assert_eq!(ended_by(Outcome::Rescheduled, day(2)), None);
        assert_eq!(AppointmentStatus::after(Outcome::Rescheduled), AppointmentStatus::Moved);
        assert_eq!(live_since(day(2), &Windows::default()), day(1));
    }
}
