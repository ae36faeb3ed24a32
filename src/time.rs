//! Where PostgreSQL timestamps become rule instants and back.
//!
//! Infinite and far-fetched timestamps stop here with SQLSTATE 22008, so the rules only ever
//! see years 1 to 9999 and their arithmetic cannot overflow.

use crate::errors::HoldError;
use crate::rules::Instant;
use chrono::{DateTime, Datelike};
use pgrx::datum::{Timestamp, TimestampWithTimeZone};

/// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01 00:00 UTC).
const PG_EPOCH_UNIX_MICROS: i64 = 946_684_800 * 1_000_000;

fn from_pg_micros(micros: i64, what: &'static str, shown: impl FnOnce() -> String) -> Result<Instant, HoldError> {
    micros
        .checked_add(PG_EPOCH_UNIX_MICROS)
        .and_then(DateTime::from_timestamp_micros)
        .filter(|t| (1..=9999).contains(&t.year()))
        .ok_or_else(|| HoldError::TimeOutOfRange { what, value: shown() })
}

/// A `timestamptz` argument as an instant; `what` names the argument in the error.
pub fn instant(ts: TimestampWithTimeZone, what: &'static str) -> Result<Instant, HoldError> {
    from_pg_micros(ts.into_inner(), what, || ts.to_string())
}

/// A `timestamp without time zone` argument, read as UTC: that is what the seed's
/// `'2025-10-20T14:00:00Z'::TIMESTAMP` leaves after PostgreSQL drops the `Z`.
pub fn instant_from_naive_utc(ts: Timestamp, what: &'static str) -> Result<Instant, HoldError> {
    from_pg_micros(ts.into_inner(), what, || ts.to_string())
}

/// An instant as a `timestamptz` value.
pub fn to_pg(t: Instant) -> TimestampWithTimeZone {
    let micros = t.timestamp_micros() - PG_EPOCH_UNIX_MICROS;
    TimestampWithTimeZone::try_from(micros).expect("years 1 to 9999 are valid timestamptz values")
}
