//! The lengths of time the hold rules depend on, and how closely a new number matches its lead,
//! read from GUCs by the SQL layer.

use super::locality::GeoMatch;
use chrono::TimeDelta;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Windows {
    /// How long a freshly assigned number stays with its lead (`phone_holds.initial_hold`).
    pub initial_hold: TimeDelta,
    /// How long a number stays after an appointment or an outcome (`phone_holds.follow_up_window`).
    pub follow_up: TimeDelta,
    /// How far ahead an appointment may be booked (`phone_holds.booking_horizon`).
    pub booking_horizon: TimeDelta,
    /// How long a released number rests before another lead gets it (`phone_holds.min_rest`);
    /// zero: no rest.
    pub min_rest: TimeDelta,
    /// Which free numbers a new lead is offered first (`phone_holds.geo_match`).
    pub geo_match: GeoMatch,
}

impl Default for Windows {
    /// The seed's figures: 18 h first hold, 24 h follow-up; a year of booking horizon, an hour
    /// of rest, the lead's area code first.
    fn default() -> Self {
        Windows {
            initial_hold: TimeDelta::hours(18),
            follow_up: TimeDelta::hours(24),
            booking_horizon: TimeDelta::days(365),
            min_rest: TimeDelta::hours(1),
            geo_match: GeoMatch::AreaCode,
        }
    }
}
