//! VAPI's webhooks, natively: parse with `rules::payload`, act through `lifecycle`, answer in
//! the shape VAPI (or the n8n workflow) expects. A bad value in a payload becomes an answer
//! the agent can act on, never an error: an error would reach VAPI as an HTTP 500.

use super::{answer, as_of_arg};
use crate::errors::{required, HoldError};
use crate::rules::payload::{end_of_call, quote, reply, tool_calls, Refusal, Request};
use crate::rules::{Instant, Outcome, Windows};
use crate::spi::pool::{with_pool, Pool};
use crate::{gucs, lifecycle};
use chrono::SecondsFormat;
use pgrx::datum::{JsonB, TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;
use serde_json::{json, Value};

/// What a request did.
enum Done {
    Booked { number: String, appointment: Instant, release_at: Instant },
    Rescheduled { number: String, appointment: Instant, release_at: Instant },
    Cancelled { release_at: Option<Instant> },
}

/// Carries out one request. An `Err` is the caller's problem (bad time, empty pool) and no row
/// was written for it, so the other calls of a batch stand.
fn carry_out(pool: &mut Pool, request: &Request, as_of: Instant, w: &Windows) -> Result<Done, HoldError> {
    Ok(match *request {
        Request::Book { lead, at } => {
            let (number, release_at) = lifecycle::book(pool, Uuid::from_bytes(lead), at, as_of, w)?;
            Done::Booked { number, appointment: at, release_at }
        }
        Request::Reschedule { lead, at } => {
            let (number, release_at) = lifecycle::reschedule(pool, Uuid::from_bytes(lead), at, as_of, w)?;
            Done::Rescheduled { number, appointment: at, release_at }
        }
        Request::Cancel { lead } => {
            let release_at = lifecycle::complete(pool, Uuid::from_bytes(lead), Outcome::Cancelled, as_of, w)?;
            Done::Cancelled { release_at }
        }
    })
}

fn rfc3339(t: &Instant) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn describe_hold(out: &mut Value, action: &str, number: &str, appointment: &Instant, release_at: &Instant) {
    out["action"] = json!(action);
    out["number"] = json!(number);
    out["appointmentTime"] = json!(rfc3339(appointment));
    out["releaseAt"] = json!(rfc3339(release_at));
}

/// Logs a refusal for the people watching the server, since the caller only sees a 200.
fn warn_refused(what: &str, why: &str) {
    ereport!(WARNING, PgSqlErrorCode::ERRCODE_WARNING, format!("phone_holds: {what} refused: {why}"));
}

/// Answers VAPI's `tool-calls` message: `book_appointment(lead_id, appointment_time)`,
/// `cancel_appointment(lead_id)`, `reschedule_appointment(lead_id, new_time)`. Returns
/// `{"results": [{"toolCallId", "result"}]}` with one sentence per call.
#[pg_extern(volatile, parallel_unsafe)]
fn vapi_tool_calls(payload: Option<JsonB>, as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> JsonB {
    answer((|| {
        let payload = required(payload, "payload")?;
        let as_of = as_of_arg(as_of)?;
        let calls = tool_calls::parse(&payload.0).map_err(|e| HoldError::NotThisMessage(e.0))?;
        let w = gucs::windows();
        let results = with_pool(|pool| {
            Ok(calls
                .iter()
                .map(|call| {
                    let said = match call.request.as_ref().map(|r| carry_out(pool, r, as_of, &w)) {
                        Err(Refusal(why)) => Err(why.clone()),
                        Ok(Err(e)) => Err(e.spoken()),
                        Ok(Ok(Done::Booked { number, appointment, release_at })) => Ok(reply::booked(&number, &appointment, &release_at)),
                        Ok(Ok(Done::Rescheduled { number, appointment, release_at })) => Ok(reply::rescheduled(&number, &appointment, &release_at)),
                        Ok(Ok(Done::Cancelled { release_at })) => Ok(reply::cancelled(release_at.as_ref())),
                    }
                    .unwrap_or_else(|why| {
                        warn_refused(&format!("tool call {}", quote(&call.id)), &why);
                        reply::refused(&call.function, &why)
                    });
                    json!({"toolCallId": call.id, "result": said})
                })
                .collect::<Vec<Value>>())
        })?;
        Ok(JsonB(json!({ "results": results })))
    })())
}

/// Acts on a finished call: VAPI's `end-of-call-report`, or the seed's flattened body
/// `{"callId", "leadId", "outcome", "appointmentTime"}`. Books, cancels or reschedules as the
/// outcome says, or does nothing; returns what it did as
/// `{"callId", "leadId", "outcome", "action", "number", "appointmentTime", "releaseAt", "reason"}`,
/// with `action` one of booked, rescheduled, cancelled, none, rejected.
#[pg_extern(volatile, parallel_unsafe)]
fn vapi_end_of_call(payload: Option<JsonB>, as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> JsonB {
    answer((|| {
        let payload = required(payload, "payload")?;
        let as_of = as_of_arg(as_of)?;
        let report = end_of_call::parse(&payload.0).map_err(|e| HoldError::NotThisMessage(e.0))?;
        let mut out = json!({"callId": report.call_id, "leadId": report.lead_id, "outcome": report.outcome});
        let done = match &report.decision {
            Ok(None) => {
                out["action"] = json!("none");
                out["reason"] = json!(format!(
                    "outcome {} changes no hold",
                    report.outcome.as_deref().map_or("(none)".to_owned(), quote)
                ));
                return Ok(JsonB(out));
            }
            Err(refusal) => Err(refusal.0.clone()),
            Ok(Some(request)) => {
                let w = gucs::windows();
                with_pool(|pool| Ok(carry_out(pool, request, as_of, &w)))?.map_err(|e| e.spoken())
            }
        };
        match done {
            Err(why) => {
                warn_refused(&format!("end-of-call report {}", report.call_id.as_deref().map_or("(no call id)".to_owned(), quote)), &why);
                out["action"] = json!("rejected");
                out["reason"] = json!(why);
            }
            Ok(Done::Booked { number, appointment, release_at }) => {
                describe_hold(&mut out, "booked", &number, &appointment, &release_at)
            }
            Ok(Done::Rescheduled { number, appointment, release_at }) => {
                describe_hold(&mut out, "rescheduled", &number, &appointment, &release_at)
            }
            Ok(Done::Cancelled { release_at }) => {
                out["action"] = json!(if release_at.is_some() { "cancelled" } else { "none" });
                out["releaseAt"] = json!(release_at.as_ref().map(rfc3339));
                if release_at.is_none() {
                    out["reason"] = json!("the lead holds no number");
                }
            }
        }
        Ok(JsonB(out))
    })())
}
