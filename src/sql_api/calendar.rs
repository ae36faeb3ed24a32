//! What the calendar webhooks share: the body checked for size, its signature checked (before
//! it is parsed), the event read by the source's parser, acted on by `lifecycle::calendar`,
//! and answered with a summary. A calendar only needs a 2xx to stop retrying, so everything
//! the event cannot do is a 200 answer with `"action": "none"` and a reason; errors are kept
//! for a refused signature (28000), a body that is no webhook of that calendar (22023), and
//! server trouble worth a retry.

use super::{answer, as_of_arg};
use crate::errors::required;
use crate::gucs;
use crate::lifecycle::{self, CalendarDone};
use crate::rules::calendar::CalendarEvent;
use crate::rules::origin::Source;
use crate::rules::payload::body;
use crate::rules::refusal::Unreadable;
use crate::rules::text::shown;
use crate::rules::{rfc3339, Instant};
use crate::spi::pool::with_pool_to_write;
use pgrx::datum::{JsonB, TimestampWithTimeZone};
use pgrx::prelude::*;
use serde_json::{json, Value};

/// A source's parser (rules::payload::calcom / calendly).
pub(super) type Parser = fn(&Value, Instant) -> Result<CalendarEvent, Unreadable>;

/// One delivery of `source`'s webhook.
pub(super) fn webhook(source: Source, parse: Parser, payload: Option<&str>, signature: Option<&str>, as_of: Option<TimestampWithTimeZone>) -> JsonB {
    answer((|| {
        let text = required(payload, "body")?;
        body::check_size(text)?;
        let as_of = as_of_arg(as_of)?;
        with_pool_to_write(&format!("{}_webhook()", source.as_str()), |pool| {
            let verified = pool.verify_signature(source, text, signature, as_of);
            let event = parse(&body::parse(text)?, as_of)?;
            let done = lifecycle::calendar(pool, &event, as_of, &gucs::windows())?;
            if done.action == "rejected" {
                ereport!(
                    WARNING,
                    PgSqlErrorCode::ERRCODE_WARNING,
                    format!("phone_holds: {} event {} rejected: {}", source.title(), shown(&event.name), done.reason.as_deref().unwrap_or(""))
                );
            }
            Ok(JsonB(summary(&event, &done, verified)))
        })
    })())
}

/// `{"event", "booking", "leadId", "action", "number", "appointmentTime", "releaseAt",
/// "reason", "verified"}`; the caller's values are echoed cut to 64 characters.
fn summary(event: &CalendarEvent, done: &CalendarDone, verified: bool) -> Value {
    let time = |t: &Option<Instant>| t.as_ref().map(rfc3339);
    json!({
        "event": shown(&event.name),
        "booking": event.booking.as_deref().map(shown),
        "leadId": done.lead.map(|l| l.to_string()),
        "action": done.action,
        "number": done.number,
        "appointmentTime": time(&done.appointment),
        "releaseAt": time(&done.release_at),
        "reason": done.reason,
        "verified": verified,
    })
}
