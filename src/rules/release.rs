//! When a held number goes back to the pool: the seed's four priority rules as one predicate.
//!
//! The release statement in SQL (`src/spi/statements.rs`) must select exactly the rows this
//! function accepts; a `#[pg_test]` checks the two against each other.

use super::Instant;
use chrono::TimeDelta;

/// An appointment at or before this instant no longer protects its number at `as_of`.
/// The release statement compares the stored appointment with it, so the index on
/// `release_at` does the work and no arithmetic runs per row.
pub fn appointment_cutoff(as_of: Instant, follow_up: TimeDelta) -> Instant {
    as_of - follow_up
}

/// Whether an assigned number is due at `as_of`:
/// its hold is over, and it has no appointment in the future or within the follow-up window.
/// A row without a `release_at` (adopted as it was) is never released by time alone.
pub fn is_due(release_at: Option<Instant>, appointment_at: Option<Instant>, as_of: Instant, follow_up: TimeDelta) -> bool {
    let hold_over = release_at.is_some_and(|r| r <= as_of);
    let appointment_protects = appointment_at.is_some_and(|a| a > appointment_cutoff(as_of, follow_up));
    hold_over && !appointment_protects
}

/// Whether a call at `as_of` to a number released at `released_at` still reaches the lead
/// that held it: within `callback_window` of the release, boundary included. A release after
/// `as_of` has not happened yet; a window of zero turns late callbacks off.
pub fn within_callback_window(released_at: Instant, as_of: Instant, callback_window: TimeDelta) -> bool {
    callback_window > TimeDelta::zero() && released_at <= as_of && as_of - released_at <= callback_window
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn at(h: i64) -> Instant {
        Utc.with_ymd_and_hms(2025, 10, 18, 12, 0, 0).unwrap() + TimeDelta::hours(h)
    }
    const DAY: TimeDelta = TimeDelta::hours(24);

    #[test]
    fn the_seed_priority_rules() {
        let now = at(0);
        // 1. appointment in the future: kept, even with the hold over.
        assert!(!is_due(Some(at(-1)), Some(at(5)), now, DAY));
        // 2. appointment within the last 24 h: kept (follow-up window).
        assert!(!is_due(Some(at(-1)), Some(at(-23)), now, DAY));
        // 3. appointment 24 h or more ago: released.
        assert!(is_due(Some(at(-1)), Some(at(-24)), now, DAY));
        // 4. no appointment and the hold is over: released.
        assert!(is_due(Some(at(-1)), None, now, DAY));
    }

    #[test]
    fn a_late_callback_reaches_the_last_holder_within_the_window() {
        let week = TimeDelta::days(7);
        assert!(within_callback_window(at(-1), at(0), week));
        assert!(within_callback_window(at(-7 * 24), at(0), week), "the boundary is inside");
        assert!(!within_callback_window(at(-7 * 24 - 1), at(0), week));
        assert!(!within_callback_window(at(1), at(0), week), "not released yet at as_of");
        assert!(!within_callback_window(at(-1), at(0), TimeDelta::zero()), "a window of 0 turns it off");
        assert!(!within_callback_window(at(0), at(0), TimeDelta::zero()));
    }

    #[test]
    fn the_hold_boundary_is_inclusive() {
        assert!(is_due(Some(at(0)), None, at(0), DAY));
        assert!(!is_due(Some(at(1)), None, at(0), DAY));
    }

    #[test]
    fn a_row_without_release_at_stays() {
        assert!(!is_due(None, None, at(0), DAY));
    }

    #[test]
    fn cutoff_is_as_of_minus_the_window() {
        assert_eq!(appointment_cutoff(at(0), DAY), at(-24));
    }
}
