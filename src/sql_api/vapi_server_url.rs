//! One VAPI server URL for every message: `vapi_webhook()` reads `message.type` and answers
//! each type as VAPI expects (docs/guides/vapi.md). An assistant has one server URL, and VAPI posts
//! there every type its `serverMessages` lists, several a second during a call: the
//! informational ones are answered `{}` from the type alone, without parsing the rest.

use super::inbound::assistant_answer;
use super::vapi::{end_of_call_answer, tool_calls_answer};
use super::{answer, as_of_arg, body};
use crate::errors::required;
use crate::rules::payload::message_type::{self, VapiMessage};
use crate::rules::text::quote;
use pgrx::datum::{JsonB, TimestampWithTimeZone};
use pgrx::prelude::*;
use serde_json::json;

/// What the legacy `function-call` message (functions, before VAPI's tools) is answered: a
/// result the assistant reads out, saying what to set up instead.
pub const FUNCTION_CALL_REFUSED: &str = "I can't do that from here: this server takes tool calls. \
     Define book_appointment, cancel_appointment and reschedule_appointment as tools of the assistant (examples/vapi/*.tool.json).";

/// Answers any VAPI server message: `tool-calls` as vapi_tool_calls(), `end-of-call-report` as
/// vapi_end_of_call(), `assistant-request` as vapi_assistant_request() (the assistant from
/// phone_holds.vapi_assistant_id), the legacy `function-call` with `{"result": …}` saying to
/// use tools; every other type (status, speech and conversation updates, transcripts, hang,
/// …, and types VAPI adds later) with `{}`, changing nothing. A body that is not a VAPI message
/// is 22023. Takes the raw body as text.
#[pg_extern(volatile, parallel_unsafe)]
fn vapi_webhook(payload: Option<&str>, as_of: default!(Option<TimestampWithTimeZone>, "now()")) -> JsonB {
    answer((|| {
        let text = required(payload, "payload")?;
        let as_of = as_of_arg(as_of)?;
        match message_type::read(text)? {
            VapiMessage::Informational(kind) => {
                ereport!(DEBUG1, PgSqlErrorCode::ERRCODE_SUCCESSFUL_COMPLETION, format!("phone_holds: VAPI {} message: nothing to do", quote(&kind)));
                Ok(JsonB(json!({})))
            }
            VapiMessage::FunctionCall => {
                ereport!(
                    WARNING,
                    PgSqlErrorCode::ERRCODE_WARNING,
                    "phone_holds: VAPI sent a legacy function-call message; answered that the assistant needs tools"
                );
                Ok(JsonB(json!({ "result": FUNCTION_CALL_REFUSED })))
            }
            VapiMessage::ToolCalls => tool_calls_answer(&body(Some(text))?, as_of),
            VapiMessage::EndOfCallReport => end_of_call_answer(&body(Some(text))?, as_of),
            VapiMessage::AssistantRequest => assistant_answer(&body(Some(text))?, as_of, None),
        }
    })())
}
