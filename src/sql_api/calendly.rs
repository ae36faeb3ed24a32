//! Calendly's webhook, natively (docs/guides/calendars.md).

use super::calendar::webhook;
use crate::rules::origin::Source;
use crate::rules::payload::calendly;
use pgrx::datum::{JsonB, TimestampWithTimeZone};
use pgrx::prelude::*;

/// Acts on one Calendly delivery: `body` exactly as Calendly posted it, `signature` its
/// `Calendly-Webhook-Signature` header. Books, moves, cancels or records the outcome, and says
/// which (see `calendar::summary`).
#[pg_extern(volatile, parallel_unsafe)]
fn calendly_webhook(
    body: Option<&str>,
    signature: default!(Option<&str>, "NULL"),
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> JsonB {
    webhook(Source::Calendly, calendly::parse, body, signature, as_of)
}
