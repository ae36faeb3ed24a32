//! Inbound calls: VAPI's assistant-request, answered with the assistant and the context of the
//! lead who holds the called number, or held it until recently. Reads only.

use super::{answer, as_of_arg, body};
use crate::errors::HoldError;
use crate::rules::payload::assistant_reply::{self, NOT_IN_POOL};
use crate::rules::payload::assistant_request;
use crate::rules::refusal::Refusal;
use crate::rules::text::quote;
use crate::rules::Instant;
use crate::spi::pool::with_pool;
use crate::{gucs, lifecycle};
use pgrx::datum::{JsonB, TimestampWithTimeZone};
use pgrx::prelude::*;
use serde_json::Value;

/// The assistant to answer with: the argument if given, else `phone_holds.vapi_assistant_id`.
fn assistant(argument: Option<&str>) -> Result<String, HoldError> {
    let (value, from_setting) = match argument {
        Some(given) => (given.to_owned(), false),
        None => (gucs::vapi_assistant_id().ok_or(HoldError::AssistantNotSet)?, true),
    };
    assistant_reply::assistant_id(&value).ok_or(HoldError::AssistantIdInvalid { value, from_setting })
}

/// Answers VAPI's `assistant-request` (the message a phone number's server URL gets for each
/// inbound call) with `{"assistantId", "assistantOverrides": {"variableValues", "metadata"}}`:
/// the lead who holds the called number, or released it within `phone_holds.callback_window`
/// (`number_released: true`), or no lead when nobody did. A number the pool does not list, or
/// another kind of VAPI message, is answered `{"error": …}`, which VAPI speaks to the caller
/// before it hangs up. A body that is not a VAPI message is 22023; no assistant configured is
/// 55000. Takes the body as text; the jsonb form calls this one (sql/vapi.sql).
#[pg_extern(stable, parallel_restricted, name = "vapi_assistant_request")]
fn vapi_assistant_request_text(
    payload: Option<&str>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
    assistant_id: default!(Option<&str>, "NULL"),
) -> JsonB {
    answer((|| assistant_answer(&body(payload)?, as_of_arg(as_of)?, assistant_id))())
}

/// The answer to an assistant-request (see vapi_assistant_request).
pub(super) fn assistant_answer(payload: &Value, as_of: Instant, assistant_id: Option<&str>) -> Result<JsonB, HoldError> {
    let call = match assistant_request::parse(payload)? {
        Ok(call) => call,
        Err(Refusal(why)) => return Ok(JsonB(assistant_reply::refusal(&why))),
    };
    let assistant = assistant(assistant_id)?;
    let found = with_pool(|pool| lifecycle::inbound(pool, &call.called, as_of, gucs::callback_window()))?;
    let Some((number, holder)) = found else {
        ereport!(
            WARNING,
            PgSqlErrorCode::ERRCODE_WARNING,
            format!(
                "phone_holds: a call to {} was refused: public.signalwire_phone_numbers does not list that number",
                quote(&call.called)
            )
        );
        return Ok(JsonB(assistant_reply::refusal(NOT_IN_POOL)));
    };
    Ok(JsonB(assistant_reply::answer(&assistant, &number, call.caller.as_deref(), holder.as_ref())))
}
