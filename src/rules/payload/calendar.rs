//! Field readers the calendar parsers (`calcom`, `calendly`) share: a time and a lead id, each
//! refused with a sentence that quotes it when it cannot be read.

use super::{fields, lead_id, timestamp};
use crate::rules::refusal::Refusal;
use crate::rules::Instant;

/// A time field of a calendar payload, if present: `None` when absent, a refusal when it is
/// not an RFC 3339 time with a zone.
pub fn time_field(value: Option<&serde_json::Value>, what: &str, as_of: Instant) -> Option<Result<Instant, Refusal>> {
    let value = value?;
    Some(match fields::text(value) {
        Some(raw) => timestamp::parse(&raw, what, as_of),
        None => Err(Refusal(format!("{what} is not text"))),
    })
}

/// A lead id field, if present: `None` when absent or blank.
pub fn lead_field(value: Option<&serde_json::Value>) -> Option<Result<[u8; 16], Refusal>> {
    let raw = fields::text(value?)?;
    (!raw.trim().is_empty()).then(|| lead_id::parse(&raw))
}
