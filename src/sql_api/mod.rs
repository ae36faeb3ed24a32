//! The SQL-facing functions: argument checks and conversion, then one lifecycle call.
//!
//! Every function is VOLATILE, SECURITY INVOKER (the caller's table privileges apply), and
//! takes `as_of timestamptz DEFAULT now()` last, so tests and replays control time without
//! sleeping. None is STRICT: a NULL argument is an error (22004), not a silent NULL result.
//! None depends on the caller's search_path: the SQL they run names every object by schema
//! (see `spi::statements`).

mod appointments;
mod area_codes;
mod assign;
mod calcom;
mod calendar;
mod calendly;
mod inbound;
mod ledger;
mod read_only;
mod release;
mod removed;
mod signature;
mod vapi;
mod vapi_server_url;
mod webhook;

use crate::errors::{required, HoldError};
use crate::rules::origin::Origin;
use crate::rules::{locality, payload, Instant};
use crate::time::instant;
use pgrx::datum::TimestampWithTimeZone;
use serde_json::Value;

/// The `as_of` argument as an instant.
fn as_of_arg(value: Option<TimestampWithTimeZone>) -> Result<Instant, HoldError> {
    instant(required(value, "as_of")?, "as_of")
}

/// The `lead_phone` argument in E.164; `None` when NULL or blank (not known).
fn lead_phone_arg(value: Option<&str>) -> Result<Option<String>, HoldError> {
    let Some(raw) = value else { return Ok(None) };
    locality::lead_phone(raw).map_err(|why| HoldError::LeadPhoneInvalid { why, looks_like_time: locality::looks_like_a_time(raw) })
}

/// A direct SQL call that gave the lead's phone: recorded, and matched by area code.
fn sql_origin(lead_phone: Option<&str>) -> Origin<'_> {
    Origin { lead_phone, ..Origin::SQL }
}

/// A webhook body as JSON, within the limits of `rules::payload::body`.
fn body(payload: Option<&str>) -> Result<Value, HoldError> {
    Ok(payload::body::parse(required(payload, "payload")?)?)
}

/// Raises the error of a failed call, returns the value of a good one.
fn answer<T>(result: Result<T, HoldError>) -> T {
    result.unwrap_or_else(|e| e.raise())
}
