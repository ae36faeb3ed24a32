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
