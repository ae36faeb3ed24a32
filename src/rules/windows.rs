//! The three lengths of time the hold rules depend on, read from GUCs by the SQL layer.

use chrono::TimeDelta;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// How long a freshly assigned number stays with its lead (`phone_holds.initial_hold`).
    pub initial_hold: TimeDelta,
    /// How long a number stays after an appointment or an outcome (`phone_holds.follow_up_window`).
    pub follow_up: TimeDelta,
    /// How far ahead an appointment may be booked (`phone_holds.booking_horizon`).
    pub booking_horizon: TimeDelta,
}

impl Default for Windows {
    /// The seed's figures: 18 h first hold, 24 h follow-up; a year of booking horizon.
    fn default() -> Self {
        Windows {
            initial_hold: TimeDelta::hours(18),
            follow_up: TimeDelta::hours(24),
            booking_horizon: TimeDelta::days(365),
        }
    }
}
