//! Which appointment times a booking accepts.

use super::{Instant, Windows};

/// Why an appointment time was refused. Each keeps the instants the message needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookingError {
    /// The appointment and its follow-up window both lie in the past: holding a number for it
    /// would protect nothing.
    FollowUpOver { appointment: Instant, window_ended: Instant },
    /// Further ahead than `phone_holds.booking_horizon`: almost always a typo in the year or a
    /// unit mix-up, and it would pin a number for as long.
    BeyondHorizon { appointment: Instant, latest: Instant },
}

/// Accepts an appointment whose follow-up window is still open at `as_of` and which lies
/// within the booking horizon.
pub fn check_appointment(appointment: Instant, as_of: Instant, w: &Windows) -> Result<(), BookingError> {
    let window_ended = appointment + w.follow_up;
    if window_ended <= as_of {
        return Err(BookingError::FollowUpOver { appointment, window_ended });
    }
    let latest = as_of + w.booking_horizon;
    if appointment > latest {
        return Err(BookingError::BeyondHorizon { appointment, latest });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    fn at(h: i64) -> Instant {
        Utc.with_ymd_and_hms(2025, 10, 18, 12, 0, 0).unwrap() + TimeDelta::hours(h)
    }

    #[test]
    fn future_and_recent_appointments_are_accepted() {
        let w = Windows::default();
        assert_eq!(check_appointment(at(48), at(0), &w), Ok(()));
        assert_eq!(check_appointment(at(0), at(0), &w), Ok(()));
        // Booked after the fact, still inside the follow-up window: the lead may call back.
        assert_eq!(check_appointment(at(-23), at(0), &w), Ok(()));
    }

    #[test]
    fn an_appointment_whose_window_has_closed_is_refused() {
        let w = Windows::default();
        assert_eq!(
            check_appointment(at(-24), at(0), &w),
            Err(BookingError::FollowUpOver { appointment: at(-24), window_ended: at(0) })
        );
        assert!(check_appointment(at(-1000), at(0), &w).is_err());
    }

    #[test]
    fn the_horizon_is_inclusive() {
        let w = Windows { booking_horizon: TimeDelta::hours(100), ..Windows::default() };
        assert_eq!(check_appointment(at(100), at(0), &w), Ok(()));
        assert_eq!(
            check_appointment(at(101), at(0), &w),
            Err(BookingError::BeyondHorizon { appointment: at(101), latest: at(100) })
        );
    }
}
