//! How a lead's hold on a number moves: the seed's lifecycle as pure transitions.

use super::booking::{check_appointment, BookingError};
use super::{Instant, Outcome, Windows};
use chrono::Datelike;

/// The part of a `signalwire_phone_numbers` row that the rules decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// When the number may go back to the pool. `None` only on adopted rows that were assigned
    /// without one; every transition sets it.
    pub release_at: Option<Instant>,
    /// The latest booked appointment, if any.
    pub appointment_at: Option<Instant>,
}

/// What an outcome does to a hold, whatever the hold was: its new release time, and whether the
/// booked appointment stays on record. The SQL layer can apply it in the same statement that
/// reads the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completion {
    pub release_at: Instant,
    pub keeps_appointment: bool,
}

/// `showed`/`no_show` give a follow-up window from `as_of` and keep the appointment on record
/// (a later booked appointment still protects the number through the release rule);
/// `cancelled`/`rescheduled` make the number due at once and forget the appointment.
pub fn completion(outcome: Outcome, as_of: Instant, w: &Windows) -> Completion {
    if outcome.keeps_follow_up() {
        Completion { release_at: as_of + w.follow_up, keeps_appointment: true }
    } else {
        Completion { release_at: as_of, keeps_appointment: false }
    }
}

/// The later of a stored instant and a new one: holds only grow unless an outcome says otherwise.
fn later(stored: Option<Instant>, new: Instant) -> Instant {
    stored.map_or(new, |s| s.max(new))
}

/// Whether a hold ending at `release_at` can be stored and read back: the functions read
/// timestamps of the years 1 to 9999 only (`time.rs`), so a hold that would end in year 10000
/// is refused when it is made, not found unreadable by every later call.
pub fn storable(release_at: Instant) -> bool {
    release_at.year() <= 9999
}

impl Hold {
    /// A number just taken from the pool: the initial hold, no appointment.
    pub fn fresh(as_of: Instant, w: &Windows) -> Hold {
        Hold { release_at: Some(as_of + w.initial_hold), appointment_at: None }
    }

    /// The lead asked again while holding the number: it keeps it, for at least another initial hold.
    pub fn reused(self, as_of: Instant, w: &Windows) -> Hold {
        Hold { release_at: Some(later(self.release_at, as_of + w.initial_hold)), ..self }
    }

    /// An appointment was booked: hold through its follow-up window. The latest appointment wins
    /// and a booking never shortens a hold.
    pub fn booked(self, appointment: Instant, as_of: Instant, w: &Windows) -> Result<Hold, BookingError> {
        check_appointment(appointment, as_of, w)?;
        Ok(Hold {
            release_at: Some(later(self.release_at, appointment + w.follow_up)),
            appointment_at: Some(later(self.appointment_at, appointment)),
        })
    }

    /// The broker recorded how the appointment went: see [`completion`].
    pub fn completed(self, outcome: Outcome, as_of: Instant, w: &Windows) -> Hold {
        let c = completion(outcome, as_of, w);
        Hold { release_at: Some(c.release_at), appointment_at: self.appointment_at.filter(|_| c.keeps_appointment) }
    }

    /// The seed's "mark rescheduled, then book the new time" as one transition, so no release
    /// run can fall between the two.
    pub fn rescheduled(self, new_time: Instant, as_of: Instant, w: &Windows) -> Result<Hold, BookingError> {
        self.completed(Outcome::Rescheduled, as_of, w).booked(new_time, as_of, w)
    }
}

#[cfg(test)]
mod storable_tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    #[test]
    fn holds_end_by_the_last_day_of_9999() {
        let last = Utc.with_ymd_and_hms(9999, 12, 31, 23, 59, 59).unwrap();
        assert!(storable(last));
        let fresh = Hold::fresh(Utc.with_ymd_and_hms(9999, 12, 31, 12, 0, 0).unwrap(), &Windows::default());
        assert!(!storable(fresh.release_at.unwrap()), "{fresh:?}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::release::is_due;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn at(h: i64) -> Instant {
        Utc.with_ymd_and_hms(2025, 10, 18, 12, 0, 0).unwrap() + TimeDelta::hours(h)
    }
    fn due(h: Hold, as_of: Instant) -> bool {
        is_due(h.release_at, h.appointment_at, as_of, Windows::default().follow_up)
    }
    const W: Windows = Windows {
        initial_hold: TimeDelta::hours(18),
        follow_up: TimeDelta::hours(24),
        booking_horizon: TimeDelta::days(365),
        min_rest: TimeDelta::hours(1),
        geo_match: crate::rules::locality::GeoMatch::AreaCode,
    };

    #[test]
    fn scenario_1_no_appointment_releases_after_18_hours() {
        let h = Hold::fresh(at(0), &W);
        assert_eq!(h, Hold { release_at: Some(at(18)), appointment_at: None });
        assert!(!due(h, at(17)));
        assert!(due(h, at(18)));
    }

    #[test]
    fn scenario_2_booking_holds_until_appointment_plus_24_hours() {
        let h = Hold::fresh(at(0), &W).booked(at(50), at(1), &W).unwrap();
        assert_eq!(h, Hold { release_at: Some(at(74)), appointment_at: Some(at(50)) });
        assert!(!due(h, at(73)));
        assert!(due(h, at(74)));
    }

    #[test]
    fn scenario_3_no_show_gives_24_hours_from_the_outcome() {
        let h = Hold::fresh(at(0), &W).booked(at(50), at(1), &W).unwrap();
        let h = h.completed(Outcome::NoShow, at(51), &W);
        assert_eq!(h, Hold { release_at: Some(at(75)), appointment_at: Some(at(50)) });
        assert!(!due(h, at(74)));
        assert!(due(h, at(75)));
    }

    #[test]
    fn scenario_4_cancel_is_due_now_and_forgets_the_appointment() {
        let h = Hold::fresh(at(0), &W).booked(at(50), at(1), &W).unwrap();
        let h = h.completed(Outcome::Cancelled, at(2), &W);
        assert_eq!(h, Hold { release_at: Some(at(2)), appointment_at: None });
        assert!(due(h, at(2)));
    }

    #[test]
    fn latest_appointment_wins_and_a_booking_never_shortens() {
        let h = Hold::fresh(at(0), &W).booked(at(100), at(1), &W).unwrap();
        let h = h.booked(at(30), at(2), &W).unwrap();
        assert_eq!(h, Hold { release_at: Some(at(124)), appointment_at: Some(at(100)) });
    }

    #[test]
    fn showed_keeps_a_later_appointment_on_record() {
        // Two consultations booked; the first one happened.
        let h = Hold::fresh(at(0), &W).booked(at(100), at(1), &W).unwrap();
        let h = h.completed(Outcome::Showed, at(20), &W);
        assert_eq!(h, Hold { release_at: Some(at(44)), appointment_at: Some(at(100)) });
        // The hold is over but the appointment still protects the number.
        assert!(!due(h, at(50)));
        assert!(due(h, at(124)));
    }

    #[test]
    fn a_reply_extends_to_at_least_a_fresh_initial_hold() {
        let h = Hold::fresh(at(0), &W).reused(at(10), &W);
        assert_eq!(h.release_at, Some(at(28)));
        // ... and never shortens a longer hold.
        let booked = Hold::fresh(at(0), &W).booked(at(100), at(1), &W).unwrap();
        assert_eq!(booked.reused(at(10), &W), booked);
    }

    #[test]
    fn reschedule_equals_cancel_then_book() {
        let h = Hold::fresh(at(0), &W).booked(at(100), at(1), &W).unwrap();
        let one_step = h.rescheduled(at(40), at(5), &W).unwrap();
        let two_steps = h.completed(Outcome::Rescheduled, at(5), &W).booked(at(40), at(5), &W).unwrap();
        assert_eq!(one_step, two_steps);
        // Moving earlier really moves the hold earlier: the old appointment is gone.
        assert_eq!(one_step, Hold { release_at: Some(at(64)), appointment_at: Some(at(40)) });
    }

    #[test]
    fn reschedule_to_a_refused_time_fails_whole() {
        let h = Hold::fresh(at(0), &W).booked(at(100), at(1), &W).unwrap();
        assert!(matches!(h.rescheduled(at(-30), at(5), &W), Err(BookingError::FollowUpOver { .. })));
    }

    #[test]
    fn adopted_row_without_release_at_gets_one() {
        let h = Hold { release_at: None, appointment_at: None };
        assert_eq!(h.reused(at(0), &W).release_at, Some(at(18)));
        assert_eq!(h.booked(at(5), at(0), &W).unwrap().release_at, Some(at(29)));
    }
}
