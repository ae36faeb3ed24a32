//! Inbound calls: `vapi_assistant_request()` answers VAPI's assistant-request with the lead who
//! holds the called number, with the files under examples/vapi/ as fixtures.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::datum::JsonB;
    use pgrx::prelude::*;
    use serde_json::{json, Value};

    const HELD: &str = include_str!("../../examples/vapi/assistant-request-held.json");
    const RELEASED: &str = include_str!("../../examples/vapi/assistant-request-released.json");
    const UNKNOWN: &str = include_str!("../../examples/vapi/assistant-request-unknown.json");
    const BOOK: &str = include_str!("../../examples/vapi/tool-calls-book.json");

    const ASSISTANT: &str = "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c";
    const OTHER_ASSISTANT: &str = "0d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a";

    /// The assistant-request `payload` answered at T0 + h, with the assistant set as docs/guides/inbound-calls.md says.
    fn routed(payload: &str, h: i64) -> Value {
        Spi::run(&format!("SET LOCAL phone_holds.vapi_assistant_id = '{ASSISTANT}'")).unwrap();
        let sql = format!("SELECT vapi_assistant_request($1::jsonb, {})", ts(h));
        Spi::get_one_with_args::<JsonB>(&sql, &[payload.into()]).unwrap().unwrap().0
    }

    /// `payload` with the caller's number replaced.
    fn called_from(payload: &str, caller: &str) -> String {
        payload.replace("+15550100001", caller).replace("+15550100002", caller)
    }

    fn vars(answer: &Value) -> &Value {
        &answer["assistantOverrides"]["variableValues"]
    }

    /// Lead A books on the example outbound call, which dials it at +15550100001: it holds
    /// +15550000001 through Monday 2025-10-20 18:00 UTC (2 pm in New York) + 24 h.
    fn lead_a_booked_by_phone() {
        pool_of(2);
        Spi::run("SET LOCAL TimeZone = 'America/New_York'").unwrap();
        Spi::get_one_with_args::<JsonB>(&format!("SELECT vapi_tool_calls($1::jsonb, {})", ts(0)), &[BOOK.into()]).unwrap();
    }

    #[pg_test]
    fn a_held_number_reaches_its_lead_with_the_appointment_and_the_hold() {
        lead_a_booked_by_phone();
        let before = state();
        let writes = writes_attempted();
        let answer = routed(HELD, 24);
        assert_eq!(
            answer,
            json!({"assistantId": ASSISTANT, "assistantOverrides": {
                "variableValues": {
                    "number_status": "held", "number_released": false, "lead_id": LEAD_A, "number": "+15550000001",
                    "appointment_time": "2025-10-20T18:00:00Z", "appointment_spoken": "Monday, October 20 at 2 PM EDT",
                    "hold_ends_at": "2025-10-21T18:00:00Z", "released_at": null, "last_outcome": null,
                    "caller_check": "matches"},
                "metadata": {"lead_id": LEAD_A}}})
        );
        // The same answer every time, and nothing written for it.
        assert_eq!(routed(HELD, 24), answer);
        assert_eq!(state(), before);
        assert_eq!(writes_attempted(), writes);
        // The text form answers the same.
        let text = Spi::get_one_with_args::<JsonB>(&format!("SELECT vapi_assistant_request($1::text, {})", ts(24)), &[HELD.into()]);
        assert_eq!(text.unwrap().unwrap().0, answer);
    }

    #[pg_test]
    fn a_held_number_without_an_appointment_says_so_and_the_argument_overrides_the_setting() {
        pool_of(1);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0))).unwrap();
        Spi::run(&format!("SET LOCAL phone_holds.vapi_assistant_id = '{ASSISTANT}'")).unwrap();
        let sql = format!("SELECT vapi_assistant_request($1::jsonb, {}, assistant_id => '{OTHER_ASSISTANT}')", ts(2));
        let answer = Spi::get_one_with_args::<JsonB>(&sql, &[HELD.into()]).unwrap().unwrap().0;
        assert_eq!(answer["assistantId"], OTHER_ASSISTANT);
        assert_eq!(
            *vars(&answer),
            json!({"number_status": "held", "number_released": false, "lead_id": LEAD_B, "number": "+15550000001",
                   "appointment_time": null, "appointment_spoken": null, "hold_ends_at": at_rfc3339(18),
                   "released_at": null, "last_outcome": null, "caller_check": "unknown"})
        );
        assert_eq!(answer["assistantOverrides"]["metadata"], json!({"lead_id": LEAD_B}));
    }

    fn at_rfc3339(h: i64) -> String {
        at(h).replace(' ', "T").replace("+00", "Z")
    }

    /// Lead B held +15550000002 with an appointment at T0+20 h, did not show, and the number
    /// went back to the pool at T0+45 h.
    fn lead_b_released() {
        pool_of(2);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(0))).unwrap();
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_B}', {}, {})", ts(20), ts(0))).unwrap();
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_B}', 'no_show', {})", ts(21))).unwrap();
        Spi::run(&format!("SELECT release_expired_phone_numbers({})", ts(45))).unwrap();
        assert_eq!(row("+15550000002").0, "available");
    }

    #[pg_test]
    fn a_recently_released_number_reaches_its_last_holder_flagged_as_released() {
        lead_b_released();
        let week = 7 * 24;
        let answer = routed(RELEASED, 45 + week);
        assert_eq!(
            answer,
            json!({"assistantId": ASSISTANT, "assistantOverrides": {
                "variableValues": {
                    "number_status": "released", "number_released": true, "lead_id": LEAD_B, "number": "+15550000002",
                    "appointment_time": "2025-10-19T08:00:00Z", "appointment_spoken": "Sunday, October 19 at 8 AM UTC",
                    "hold_ends_at": null, "released_at": "2025-10-20T09:00:00Z", "last_outcome": "no_show",
                    "caller_check": "unknown"},
                "metadata": {"lead_id": LEAD_B}}})
        );
        // An hour past the window, or with the window turned off, nobody's context is given.
        let free = json!({"assistantId": ASSISTANT, "assistantOverrides": {"variableValues":
            {"number_status": "free", "number_released": false, "number": "+15550000002"}}});
        assert_eq!(routed(RELEASED, 45 + week + 1), free);
        Spi::run("SET LOCAL phone_holds.callback_window = '3d'").unwrap();
        assert_eq!(routed(RELEASED, 45 + 72), answer);
        assert_eq!(routed(RELEASED, 45 + 73), free);
        Spi::run("SET LOCAL phone_holds.callback_window = 0").unwrap();
        assert_eq!(routed(RELEASED, 46), free);
    }

    #[pg_test]
    fn retiring_or_restoring_a_released_number_keeps_the_callback_with_its_last_holder() {
        lead_b_released();
        let expected = routed(RELEASED, 50);
        assert_eq!(vars(&expected)["lead_id"], LEAD_B);
        Spi::run(&format!("SELECT retire_phone_number('+15550000002', 'Spam Likely on carriers', {})", ts(46))).unwrap();
        assert_eq!(routed(RELEASED, 50), expected);
        Spi::run(&format!("SELECT restore_phone_number('+15550000002', {})", ts(47))).unwrap();
        assert_eq!(routed(RELEASED, 50), expected);
    }

    #[pg_test]
    fn an_inbound_caller_cannot_vouch_for_itself() {
        lead_a_booked_by_phone();
        // A stranger calls in on +15550100009 and a tool call names the stranger's own number
        // as the lead's phone.
        let stranger = json!({"message": {"type": "tool-calls",
            "call": {"id": "c0ffee00-0000-4000-8000-0000000000aa", "type": "inboundPhoneCall",
                     "customer": {"number": "+15550100009"}, "assistantOverrides": {"metadata": {"lead_id": LEAD_A}}},
            "toolCallList": [{"id": "call_vouch", "type": "function",
                "function": {"name": "reschedule_appointment", "arguments": {"new_time": "2025-10-21T15:00:00Z", "lead_phone": "+15550100009"}}}]}});
        Spi::get_one_with_args::<JsonB>(&format!("SELECT vapi_tool_calls($1::jsonb, {})", ts(2)), &[stranger.to_string().into()]).unwrap();
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger WHERE lead_phone = '+15550100009'"), 0);
        assert_eq!(vars(&routed(&called_from(HELD, "+15550100009"), 24))["caller_check"], "differs");
        assert_eq!(vars(&routed(HELD, 24))["caller_check"], "matches");
    }

    #[pg_test]
    fn a_released_lead_that_books_on_the_inbound_call_gets_its_number_back() {
        lead_b_released();
        // Another lead took a number meanwhile; +15550000002 is still free.
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(46))).unwrap();
        let answer = routed(RELEASED, 50);
        // VAPI starts the call with the answer's overrides; the agent books without a lead_id,
        // which the tool call reads from the call's metadata.
        let tool_call = json!({"message": {"type": "tool-calls",
            "call": {"id": "c0ffee00-0000-4000-8000-00000000002b", "type": "inboundPhoneCall",
                     "customer": {"number": "+15550100002"}, "assistantOverrides": answer["assistantOverrides"]},
            "toolCallList": [{"id": "call_rebook", "type": "function",
                "function": {"name": "book_appointment", "arguments": {"appointment_time": "2025-10-24T15:00:00Z"}}}]}});
        let said = Spi::get_one_with_args::<JsonB>(&format!("SELECT vapi_tool_calls($1::jsonb, {})", ts(50)), &[tool_call.to_string().into()])
            .unwrap()
            .unwrap()
            .0;
        let result = said["results"][0]["result"].as_str().unwrap().to_owned();
        assert!(result.starts_with("Booked for 2025-10-24 15:00 UTC. The lead keeps the phone number +15550000002"), "{result}");
        assert_eq!(number_of(LEAD_B).as_deref(), Some("+15550000002"));
        // An inbound caller is not taken for the lead's phone.
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger WHERE lead_phone IS NOT NULL"), 0);
        assert_eq!(vars(&routed(RELEASED, 51))["number_status"], "held");
    }

    #[pg_test]
    fn a_number_nobody_held_gets_the_assistant_without_a_lead() {
        pool_of(3);
        let never_held = called_from(HELD, "+15550100007").replace("+15550000001", "+15550000003");
        assert_eq!(
            routed(&never_held, 0),
            json!({"assistantId": ASSISTANT, "assistantOverrides": {"variableValues":
                {"number_status": "free", "number_released": false, "number": "+15550000003"}}})
        );
    }

    #[pg_test]
    fn a_number_not_in_the_pool_is_refused_with_an_error_vapi_speaks() {
        pool_of(2);
        assert_eq!(
            routed(UNKNOWN, 0),
            json!({"error": "Sorry, this number cannot take calls right now. Goodbye."})
        );
    }

    #[pg_test]
    fn a_caller_on_another_phone_than_the_lead_s_is_flagged() {
        lead_a_booked_by_phone();
        assert_eq!(one("SELECT string_agg(event || ' ' || lead_phone, ', ' ORDER BY id) FROM public.phone_hold_ledger").as_deref(), Some("assigned +15550100001, extended +15550100001"));
        assert_eq!(vars(&routed(&called_from(HELD, "+15550100009"), 24))["caller_check"], "differs");
        assert_eq!(vars(&routed(&called_from(HELD, "+1 (555) 010-0001"), 24))["caller_check"], "matches");
        // A withheld number, or one without its country code, is not guessed either way.
        let withheld: Value = {
            let mut v: Value = serde_json::from_str(HELD).unwrap();
            v["message"]["customer"] = json!({});
            v["message"]["call"]["customer"] = json!({});
            v
        };
        assert_eq!(vars(&routed(&withheld.to_string(), 24))["caller_check"], "unknown");
        assert_eq!(vars(&routed(&called_from(HELD, "5550100001"), 24))["caller_check"], "unknown");
    }

    #[pg_test]
    fn the_lead_s_phone_is_written_in_the_ledger_rows_of_outbound_calls_only() {
        lead_a_booked_by_phone();
        Spi::run(&format!("SELECT release_expired_phone_numbers({})", ts(80))).unwrap();
        // Booked again on another outbound call that dialed a new phone: the previous number
        // comes back, and the assignment and the booking record the new phone.
        let again = BOOK.replace("+15550100001", "+15550100011").replace("2025-10-20T14:00:00-04:00", "2025-10-23T14:00:00-04:00");
        Spi::get_one_with_args::<JsonB>(&format!("SELECT vapi_tool_calls($1::jsonb, {})", ts(90)), &[again.as_str().into()]).unwrap();
        // The same booking from an inbound call records no phone: the caller may be anyone.
        let inbound = again.replace("outboundPhoneCall", "inboundPhoneCall").replace("2025-10-23T14:00:00", "2025-10-23T15:00:00");
        Spi::get_one_with_args::<JsonB>(&format!("SELECT vapi_tool_calls($1::jsonb, {})", ts(91)), &[inbound.as_str().into()]).unwrap();
        assert_eq!(
            one("SELECT string_agg(concat_ws(' ', event, number, lead_phone), ', ' ORDER BY id) FROM public.phone_hold_ledger").as_deref(),
            Some("assigned +15550000001 +15550100001, extended +15550000001 +15550100001, released +15550000001, \
                  assigned +15550000001 +15550100011, extended +15550000001 +15550100011, extended +15550000001")
        );
        assert_eq!(vars(&routed(HELD, 92))["caller_check"], "differs", "the phone recorded last is the lead's");
    }

    #[pg_test]
    fn no_assistant_configured_is_refused_naming_the_setting() {
        pool_of(1);
        let sql = format!("SELECT vapi_assistant_request('{}'::jsonb, {})", HELD.replace('\'', "''"), ts(0));
        Spi::run("SET LOCAL phone_holds.vapi_assistant_id = ''").unwrap();
        let f = assert_refused(&sql, "55000", "phone_holds.vapi_assistant_id is not set");
        assert!(f.hint.contains("ALTER ROLE"), "{f:?}");
        Spi::run("SET LOCAL phone_holds.vapi_assistant_id = 'my assistant'").unwrap();
        assert_refused(&sql, "55000", "phone_holds.vapi_assistant_id \"my assistant\" is not a VAPI assistant id");
        let with_argument = sql.replace(&format!(", {})", ts(0)), &format!(", {}, assistant_id => 'nope')", ts(0)));
        assert_refused(&with_argument, "22023", "assistant_id \"nope\" is not a VAPI assistant id");
        // Through the webhook: a server problem, 500, with the message and the hint.
        let (status, body) = hook("vapi_assistant_request", HELD, 0);
        assert_eq!(status, 500);
        assert_eq!(body["sqlstate"], "55000");
        assert!(body["error"].as_str().unwrap().contains("phone_holds.vapi_assistant_id"), "{body}");
    }

    #[pg_test]
    fn other_messages_are_answered_with_an_error_and_non_vapi_bodies_are_22023() {
        pool_of(1);
        // No assistant is needed to say that this is not an assistant-request.
        let status = json!({"message": {"type": "status-update", "status": "ended"}}).to_string();
        let answer = Spi::get_one_with_args::<JsonB>("SELECT vapi_assistant_request($1::text)", &[status.as_str().into()]).unwrap().unwrap().0;
        assert!(answer["error"].as_str().unwrap().contains("\"status-update\""), "{answer}");
        assert_eq!(answer.as_object().unwrap().len(), 1);
        assert_refused("SELECT vapi_assistant_request('{\"leadId\": \"x\"}'::text)", "22023", "not a VAPI server message");
        assert_refused("SELECT vapi_assistant_request('{not json'::text)", "22023", "not JSON");
        assert_refused("SELECT vapi_assistant_request(NULL::text)", "22004", "payload must not be NULL");
    }

    #[pg_test]
    fn the_webhook_answers_an_assistant_request_with_200_and_the_answer() {
        lead_a_booked_by_phone();
        Spi::run(&format!("SET LOCAL phone_holds.vapi_assistant_id = '{ASSISTANT}'")).unwrap();
        let (status, body) = hook("vapi_assistant_request", HELD, 24);
        assert_eq!((status, &body), (200, &routed(HELD, 24)));
        assert_eq!(hook("vapi_assistant_request", UNKNOWN, 24).0, 200, "a refusal VAPI can act on is still a 200");
        assert_eq!(hook("vapi_assistant_request", "{not json", 24).0, 400);
    }
}
