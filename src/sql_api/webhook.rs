//! The answer of a failed webhook, for `phone_holds_webhook()` (sql/webhook.sql), which
//! catches the error in PL/pgSQL (a subtransaction rolls the failed call back) and hands its
//! SQLSTATE, message and hint here.

use crate::rules::payload::webhook::{self, Failure};
use pgrx::datum::JsonB;
use pgrx::prelude::*;
use serde_json::json;

/// `{"status": <HTTP status>, "body": <JSON answer>}` for a webhook whose call failed with
/// `sqlstate`. Reads nothing and writes nothing.
#[pg_extern(volatile, parallel_safe)]
fn phone_holds_webhook_failure(
    webhook: Option<&str>,
    payload: Option<&str>,
    sqlstate: Option<&str>,
    message: Option<&str>,
    hint: default!(Option<&str>, "NULL"),
) -> JsonB {
    let failure = Failure { sqlstate: sqlstate.unwrap_or(""), message: message.unwrap_or(""), hint };
    let (status, body) = webhook::answer(webhook.unwrap_or(""), payload, &failure);
    JsonB(json!({"status": status, "body": body}))
}
