//! The hold rules, as plain Rust: no pgrx types, no SPI, no clock.
//!
//! Every function here takes the moment it reasons about (`as_of`) as an argument, so the SQL
//! layer decides what "now" is and the unit tests can pin it.

pub mod appointments;
pub mod booking;
pub mod change_event;
pub mod country_code;
pub mod country_codes;
pub mod hold;
pub mod lead_lock;
pub mod locality;
pub mod nanp;
pub mod nanp_regions;
pub mod origin;
pub mod outcome;
pub mod payload;
pub mod phone;
pub mod release;
pub mod signature;
pub mod vapi_credential;
pub mod webhook;
pub mod windows;

pub use booking::BookingError;
pub use hold::Hold;
pub use outcome::{Outcome, UnknownOutcome};
pub use windows::Windows;

/// At most 64 characters of a caller's text, with `…` when cut: messages quote what they were
/// sent without letting a hostile value flood the agent or the log.
pub fn shortened(raw: &str) -> String {
    cut_to(raw, 64)
}

/// At most `max_chars` characters of `raw`, with `…` when cut.
pub fn cut_to(raw: &str, max_chars: usize) -> String {
    let mut shown: String = raw.chars().take(max_chars).collect();
    if raw.chars().nth(max_chars).is_some() {
        shown.push('…');
    }
    shown
}

/// Every instant in the rules is UTC; the SQL boundary converts from `timestamptz`.
pub type Instant = chrono::DateTime<chrono::Utc>;

/// `t` as the answers give times: RFC 3339 in UTC, whole seconds (`2025-10-20T18:00:00Z`).
pub fn rfc3339(t: &Instant) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
