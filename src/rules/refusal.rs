//! Why a caller's input is not acted on, as a sentence that quotes it: one value of a payload
//! ([`Refusal`]: the rest of the payload still counts), or the whole payload ([`Unreadable`]).

/// Why a payload, or one call in it, cannot be acted on: a sentence that quotes the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

/// A payload phone_holds does not act on at all (not the message the function takes, too big,
/// unreadable): why, quoting it, and what the sender can do. The SQL layer raises it as 22023.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub why: String,
    pub hint: String,
}

impl Unreadable {
    /// A payload of another kind than the function takes.
    pub fn not_this_message(why: String) -> Unreadable {
        Unreadable {
            why,
            hint: "vapi_tool_calls() takes the body VAPI posts for tool calls; vapi_end_of_call() an end-of-call-report or {\"leadId\", \"outcome\", \"appointmentTime\"}. See examples/vapi/.".into(),
        }
    }
}
