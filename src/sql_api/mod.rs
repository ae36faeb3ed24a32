//! The SQL-facing functions: argument checks and conversion, then one lifecycle call.
//!
//! Every function is VOLATILE, SECURITY INVOKER (the caller's table privileges apply), and
//! takes `as_of timestamptz DEFAULT now()` last, so tests and replays control time without
//! sleeping. None is STRICT: a NULL argument is an error (22004), not a silent NULL result.
//! None depends on the caller's search_path: the SQL they run names every object by schema
//! (see `spi::statements`).

mod appointments;
mod assign;
mod calcom;
mod calendar;
mod calendly;
mod inbound;
mod ledger;
mod release;
mod signature;
mod vapi;
mod webhook;

use crate::errors::{required, HoldError};
use crate::rules::{payload, Instant};
use crate::time::instant;
use pgrx::datum::TimestampWithTimeZone;
use serde_json::Value;

/// The `as_of` argument as an instant.
fn as_of_arg(value: Option<TimestampWithTimeZone>) -> Result<Instant, HoldError> {
    instant(required(value, "as_of")?, "as_of")
}

/// A webhook body as JSON, within the limits of `rules::payload::body`.
fn body(payload: Option<&str>) -> Result<Value, HoldError> {
    Ok(payload::body::parse(required(payload, "payload")?)?)
}

/// Raises the error of a failed call, returns the value of a good one.
fn answer<T>(result: Result<T, HoldError>) -> T {
    result.unwrap_or_else(|e| e.raise())
}
