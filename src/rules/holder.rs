//! The lead who holds a called number, or held it until recently: what an inbound call's
//! assistant is told about, as the pool and the ledger have it.

use super::Instant;

/// An instant as PostgreSQL's TimeZone setting places it: its UTC offset and zone abbreviation
/// at that instant (`-14400`, `EDT`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalTime {
    pub at: Instant,
    pub utc_offset_seconds: i32,
    pub zone: String,
}

/// Whether the lead still holds the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holding {
    /// Held now; the hold ends at `release_at` (the release job frees it after that).
    Held { release_at: Instant },
    /// Back in the pool since `released_at`, within the callback window.
    Released { released_at: Instant },
}

/// The lead who holds the called number, or held it until recently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holder {
    pub lead_id: String,
    pub holding: Holding,
    pub appointment: Option<LocalTime>,
    pub last_outcome: Option<String>,
    /// The lead's phone, when phone_holds has recorded one (docs/guides/inbound-calls.md).
    pub lead_phone: Option<String>,
}
