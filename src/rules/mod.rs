//! The hold rules, as plain Rust: no pgrx types, no SPI, no clock.
//!
//! Every function here takes the moment it reasons about (`as_of`) as an argument, so the SQL
//! layer decides what "now" is and the unit tests can pin it.
//!
//! `payload` reads what the webhooks post into the types defined beside it (a calendar event,
//! a refusal) and answers in their shapes; it imports the other rules, never the other way
//! round, and only `sql_api` imports it.

pub mod appointments;
pub mod booking;
pub mod calendar;
pub mod change_event;
pub mod country_code;
pub mod country_codes;
pub mod hold;
pub mod holder;
pub mod locality;
pub mod nanp;
pub mod nanp_regions;
pub mod origin;
pub mod outcome;
pub mod payload;
pub mod phone;
pub mod refusal;
pub mod release;
pub mod signature;
pub mod text;
pub mod vapi_credential;
pub mod windows;

pub use booking::BookingError;
pub use hold::Hold;
pub use outcome::{Outcome, UnknownOutcome};
pub use windows::Windows;

/// Every instant in the rules is UTC; the SQL boundary converts from `timestamptz`.
pub type Instant = chrono::DateTime<chrono::Utc>;

/// `t` as the answers give times: RFC 3339 in UTC, whole seconds (`2025-10-20T18:00:00Z`).
pub fn rfc3339(t: &Instant) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
