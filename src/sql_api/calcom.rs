//! Cal.com's webhook, natively (docs/guides/calendars.md).

use super::calendar::webhook;
use crate::rules::origin::Source;
use crate::rules::payload::calcom;
use pgrx::datum::{JsonB, TimestampWithTimeZone};
use pgrx::prelude::*;

/// Acts on one Cal.com delivery: `body` exactly as Cal.com posted it, `signature` its
/// `X-Cal-Signature-256` header. Books, reschedules, cancels or records the outcome, and says
/// which (see `calendar::summary`).
#[pg_extern(volatile, parallel_unsafe)]
fn calcom_webhook(
    body: Option<&str>,
    signature: default!(Option<&str>, "NULL"),
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> JsonB {
    webhook(Source::Calcom, calcom::parse, body, signature, as_of)
}
