//! The lead's own phone, as a VAPI message proves it: on an outbound call VAPI dialed the
//! lead, so the call's customer number is the lead's phone. On an inbound call the customer
//! is whoever called, who may be someone else, so nothing is recorded from it.

use super::fields::{at, field, text};
use super::tool_calls::message;
use crate::rules::phone;
use serde_json::Value;

/// The number VAPI dialed, in E.164, when the message is about an outbound phone call.
pub fn dialed(payload: &Value) -> Option<String> {
    let message = message(payload);
    let call = field(message, &["call"])?;
    if field(call, &["type"]).and_then(Value::as_str) != Some("outboundPhoneCall") {
        return None;
    }
    at(call, &["customer", "number"]).or_else(|| at(message, &["customer", "number"])).and_then(text).and_then(|n| phone::e164(&n))
}

#[cfg(test)]
mod tests {
    use super::dialed;
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
}
