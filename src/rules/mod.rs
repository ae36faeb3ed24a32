//! The hold rules, as plain Rust: no pgrx types, no SPI, no clock.
//!
//! Every function here takes the moment it reasons about (`as_of`) as an argument, so the SQL
//! layer decides what "now" is and the unit tests can pin it.

pub mod booking;
pub mod hold;
pub mod lead_lock;
pub mod outcome;
pub mod payload;
pub mod release;
pub mod windows;

pub use booking::BookingError;
pub use hold::Hold;
pub use outcome::{Outcome, UnknownOutcome};
pub use windows::Windows;

/// Every instant in the rules is UTC; the SQL boundary converts from `timestamptz`.
pub type Instant = chrono::DateTime<chrono::Utc>;
