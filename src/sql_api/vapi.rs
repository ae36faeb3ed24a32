//! VAPI's webhooks, natively: parse with `rules::payload`, act through `lifecycle`, answer in
//! the shape VAPI (or the n8n workflow) expects. A bad value in a payload becomes an answer
//! the agent can act on, never an error: an error would reach VAPI as an HTTP 500.

use super::{answer, as_of_arg, body};
use crate::errors::HoldError;
use crate::rules::origin::{self, Origin, Source};
use crate::rules::payload::message_type::VapiMessage;
use crate::rules::payload::{end_of_call, lead_phone, reply, tool_calls, Request};
use crate::rules::refusal::Refusal;
use crate::rules::text::{quote, shown};
use crate::rules::{rfc3339, Instant, Outcome, Windows};
use crate::spi::pool::{with_pool_to_write, Pool};
use crate::{gucs, lifecycle};
use pgrx::datum::{JsonB, TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;
use serde_json::{json, Value};

/// What a request did.
enum Done {
    Booked { number: String, appointment: Instant, release_at: Instant },
    Rescheduled { number: String, appointment: Instant, release_at: Instant },
    Cancelled { release_at: Option<Instant> },
}

/// The phones a VAPI message gives: the lead's own (the tool call's `lead_phone`, else the
/// number an outbound call dialed), recorded; and the caller's, which only picks a local
/// number (rules::payload::lead_phone).
struct Phones<'a> {
    lead: Option<&'a str>,
    caller: Option<&'a str>,
}

/// Carries out one request. An `Err` is the caller's problem (bad time, empty pool) and no row
/// was written for it, so the other calls of a batch stand. `reference` (the tool-call or call
/// id) and the lead's phone go in the ledger rows.
fn carry_out(pool: &mut Pool, request: &Request, as_of: Instant, w: &Windows, reference: Option<&str>, phones: Phones) -> Result<Done, HoldError> {
    let origin = Origin { source: Source::Vapi, reference: reference.and_then(origin::reference), lead_phone: phones.lead, caller: phones.caller };
    Ok(match *request {
        Request::Book { lead, at } => {
            let (number, release_at) = lifecycle::book(pool, Uuid::from_bytes(lead), at, as_of, w, &origin)?;
            Done::Booked { number, appointment: at, release_at }
        }
        Request::Reschedule { lead, at } => {
            let (number, release_at) = lifecycle::reschedule(pool, Uuid::from_bytes(lead), at, as_of, w, &origin)?;
            Done::Rescheduled { number, appointment: at, release_at }
        }
        Request::Cancel { lead } => {
            let release_at = lifecycle::complete(pool, Uuid::from_bytes(lead), Outcome::Cancelled, as_of, w, &origin)?;
            Done::Cancelled { release_at }
        }
    })
}

fn describe_hold(out: &mut Value, action: &str, number: &str, appointment: &Instant, release_at: &Instant) {
    out["action"] = json!(action);
    out["number"] = json!(number);
    out["appointmentTime"] = json!(rfc3339(appointment));
    out["releaseAt"] = json!(rfc3339(release_at));
}

/// Logs refusals for the people watching the server, since the caller only sees a 200: one
/// WARNING per request, naming at most a few, so a batch of refusals cannot flood the log.
fn warn_refused(what: &str, total: usize, refused: &[(String, String)]) {
    const LISTED: usize = 3;
    if refused.is_empty() {
        return;
    }
    let mut listed: Vec<String> = refused.iter().take(LISTED).map(|(who, why)| format!("{who}: {why}")).collect();
    if refused.len() > LISTED {
        listed.push(format!("and {} more", refused.len() - LISTED));
    }
    ereport!(
        WARNING,
        PgSqlErrorCode::ERRCODE_WARNING,
        format!("phone_holds: {} of {total} {what} refused: {}", refused.len(), listed.join("; "))
    );
}

/// Answers VAPI's `tool-calls` message: `book_appointment(lead_id, appointment_time)`,
/// `cancel_appointment(lead_id)`, `reschedule_appointment(lead_id, new_time)`. Returns
/// `{"results": [{"toolCallId", "result"}]}` with one sentence per call. Takes the body as
/// text, so a body jsonb cannot hold (`\u0000`) is read too; the jsonb form calls this one
/// (sql/vapi.sql).
#[pg_extern(volatile, parallel_unsafe, name = "vapi_tool_calls")]
pub(super) fn vapi_tool_calls_text(payload: Option<&str>, as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> JsonB {
    answer((|| tool_calls_answer(&body(payload)?, as_of_arg(as_of)?))())
}

/// The answer to a tool-calls message (see vapi_tool_calls).
pub(super) fn tool_calls_answer(payload: &Value, as_of: Instant) -> Result<JsonB, HoldError> {
    let calls = tool_calls::parse(payload, as_of)?;
    let (dialed, caller) = (lead_phone::dialed(payload), lead_phone::caller(payload));
    let vouched = lead_phone::vouched(payload);
    let w = gucs::windows();
    let mut refused = Vec::new();
    let results = with_pool_to_write("vapi_tool_calls()", |pool| {
        Ok(calls
            .iter()
            .map(|call| {
                // A phone said on a call VAPI did not place may be the caller's own: it
                // chooses a local number, and is not recorded as the lead's.
                let phones = match vouched {
                    true => Phones { lead: call.lead_phone.as_deref().or(dialed.as_deref()), caller: caller.as_deref() },
                    false => Phones { lead: dialed.as_deref(), caller: call.lead_phone.as_deref().or(caller.as_deref()) },
                };
                let said = match call.request.as_ref().map(|r| carry_out(pool, r, as_of, &w, call.id.as_deref(), phones)) {
                    Err(Refusal(why)) => Err(why.clone()),
                    Ok(Err(e)) => Err(e.spoken()),
                    Ok(Ok(Done::Booked { number, appointment, release_at })) => Ok(reply::booked(&number, &appointment, &release_at)),
                    Ok(Ok(Done::Rescheduled { number, appointment, release_at })) => Ok(reply::rescheduled(&number, &appointment, &release_at)),
                    Ok(Ok(Done::Cancelled { release_at })) => Ok(reply::cancelled(release_at.as_ref())),
                }
                .unwrap_or_else(|why| {
                    let reply = reply::refused(&call.function, &why);
                    refused.push((call.id.as_deref().map_or("(no id)".to_owned(), quote), why));
                    reply
                });
                json!({"toolCallId": call.id, "result": said})
            })
            .collect::<Vec<Value>>())
    })?;
    warn_refused("tool calls", calls.len(), &refused);
    Ok(JsonB(json!({ "results": results })))
}

/// Acts on a finished call: VAPI's `end-of-call-report`, or the seed's flattened body
/// `{"callId", "leadId", "outcome", "appointmentTime"}`. Books, cancels or reschedules as the
/// outcome says, or does nothing; returns what it did as
/// `{"callId", "leadId", "outcome", "action", "number", "appointmentTime", "releaseAt", "reason"}`,
/// with `action` one of booked, rescheduled, cancelled, none, rejected. The values echoed are
/// cut to 64 characters. Takes the body as text; the jsonb form calls this one (sql/vapi.sql).
#[pg_extern(volatile, parallel_unsafe, name = "vapi_end_of_call")]
pub(super) fn vapi_end_of_call_text(payload: Option<&str>, as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> JsonB {
    answer((|| end_of_call_answer(&body(payload)?, as_of_arg(as_of)?))())
}

/// The answer to an end-of-call report (see vapi_end_of_call).
pub(super) fn end_of_call_answer(payload: &Value, as_of: Instant) -> Result<JsonB, HoldError> {
    // VAPI posts every message type the assistant lists to its server URL: one that only
    // informs (a status or speech update) changes no hold and is answered as such, not refused.
    if let Some(kind) = payload.pointer("/message/type").and_then(Value::as_str) {
        if let VapiMessage::Informational(kind) = VapiMessage::of(kind) {
            return Ok(JsonB(json!({"action": "none", "reason": format!("a {} message changes no hold", quote(&kind))})));
        }
    }
    let report = end_of_call::parse(payload, as_of)?;
    let echo = |v: &Option<String>| v.as_deref().map(shown);
    let mut out = json!({"callId": echo(&report.call_id), "leadId": echo(&report.lead_id), "outcome": echo(&report.outcome)});
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
            let (dialed, caller) = (lead_phone::dialed(payload), lead_phone::caller(payload));
            let phones = Phones { lead: dialed.as_deref(), caller: caller.as_deref() };
            with_pool_to_write("vapi_end_of_call()", |pool| Ok(carry_out(pool, request, as_of, &w, report.call_id.as_deref(), phones)))?.map_err(|e| e.spoken())
        }
    };
    match done {
        Err(why) => {
            let who = format!("end-of-call report {}", report.call_id.as_deref().map_or("(no call id)".to_owned(), quote));
            warn_refused("reports", 1, &[(who, why.clone())]);
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
}
