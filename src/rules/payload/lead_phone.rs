//! The lead's own phone, as a VAPI message proves it: on an outbound call VAPI dialed the
//! lead, so the call's customer number is the lead's phone. On an inbound call the customer
//! is whoever called, who may be someone else, so nothing is recorded from it; its number
//! still says where the caller is, which is enough to choose a local number
//! (rules::locality).

use super::fields::{at, text};
use super::tool_calls::message;
use crate::rules::phone;
use serde_json::Value;

/// The number VAPI dialed, in E.164, when the message is about an outbound phone call.
pub fn dialed(payload: &Value) -> Option<String> {
    let message = message(payload);
    if at(message, &["call", "type"]).and_then(Value::as_str) != Some("outboundPhoneCall") {
        return None;
    }
    customer(message)
}

/// Whether a phone the agent was told on this call can be taken for the lead's: on an
/// outbound call VAPI dialed the lead, and a message with no call comes from the user's own
/// systems. On an inbound or web call whoever is speaking may be someone else, who could name
/// their own phone and pass the inbound caller check from then on.
pub fn vouched(payload: &Value) -> bool {
    match at(message(payload), &["call", "type"]).and_then(Value::as_str) {
        None => at(message(payload), &["call"]).is_none(),
        Some(kind) => kind == "outboundPhoneCall",
    }
}

/// The call's customer number, in E.164, whoever dialed: where the lead is, not proof of its
/// phone. A withheld or malformed caller id gives `None`.
pub fn caller(payload: &Value) -> Option<String> {
    customer(message(payload))
}

fn customer(message: &Value) -> Option<String> {
    at(message, &["call", "customer", "number"]).or_else(|| at(message, &["customer", "number"])).and_then(text).and_then(|n| phone::e164(&n))
}

#[cfg(test)]
mod tests {
    use super::{caller, dialed};
    use serde_json::json;

    #[test]
    fn only_an_outbound_call_proves_the_lead_phone() {
        let outbound = json!({"message": {"type": "tool-calls", "call": {"type": "outboundPhoneCall", "customer": {"number": "+1 555 010 0001"}}}});
        assert_eq!(dialed(&outbound).as_deref(), Some("+15550100001"));
        let top_level = json!({"message": {"call": {"type": "outboundPhoneCall"}, "customer": {"number": "+15550100001"}}});
        assert_eq!(dialed(&top_level).as_deref(), Some("+15550100001"));
        for other in [
            json!({"message": {"call": {"type": "inboundPhoneCall", "customer": {"number": "+15550100001"}}}}),
            json!({"message": {"call": {"type": "webCall"}}}),
            json!({"message": {"call": {"type": "outboundPhoneCall", "customer": {"number": "5550100001"}}}}),
            json!({"leadId": "x"}),
        ] {
            assert_eq!(dialed(&other), None, "{other}");
        }
    }

    #[test]
    fn only_a_call_vapi_placed_or_no_call_vouches_for_a_phone_it_is_told() {
        use super::vouched;
        assert!(vouched(&json!({"message": {"call": {"type": "outboundPhoneCall"}}})));
        assert!(vouched(&json!({"message": {"type": "tool-calls"}})));
        for not in [
            json!({"message": {"call": {"type": "inboundPhoneCall"}}}),
            json!({"message": {"call": {"type": "webCall"}}}),
            json!({"message": {"call": {"id": "c"}}}),
        ] {
            assert!(!vouched(&not), "{not}");
        }
    }

    #[test]
    fn any_call_says_where_the_caller_is() {
        let inbound = json!({"message": {"call": {"type": "inboundPhoneCall", "customer": {"number": "+1 415 555 0100"}}}});
        assert_eq!(caller(&inbound).as_deref(), Some("+14155550100"));
        let outbound = json!({"message": {"call": {"type": "outboundPhoneCall"}, "customer": {"number": "+14155550100"}}});
        assert_eq!(caller(&outbound).as_deref(), Some("+14155550100"));
        for none in [json!({"message": {"call": {"customer": {"number": "anonymous"}}}}), json!({"message": {"call": {"type": "webCall"}}})] {
            assert_eq!(caller(&none), None, "{none}");
        }
    }
}
