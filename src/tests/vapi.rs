//! VAPI payloads end to end inside the backend, with the files under examples/vapi/ as fixtures.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::datum::JsonB;
    use pgrx::prelude::*;
    use serde_json::{json, Value};

    const BOOK: &str = include_str!("../../examples/vapi/tool-calls-book.json");
    const BATCH: &str = include_str!("../../examples/vapi/tool-calls-batch.json");
    const REPORT_BOOKED: &str = include_str!("../../examples/vapi/end-of-call-report-booked.json");
    const REPORT_NO_ANSWER: &str = include_str!("../../examples/vapi/end-of-call-report-no-answer.json");
    const OPTION_B_BOOKED: &str = include_str!("../../examples/vapi/option-b-booked.json");
    const OPTION_B_CANCELLED: &str = include_str!("../../examples/vapi/option-b-cancelled.json");

    const AMY: &str = "aaaaaaaa-0000-4000-8000-000000000001";
    const BEN: &str = "bbbbbbbb-0000-4000-8000-000000000002";
    const CAT: &str = "cccccccc-0000-4000-8000-000000000003";
    const DAN: &str = "dddddddd-0000-4000-8000-000000000004";

    fn call(function: &str, payload: &str, h: i64) -> Value {
        let sql = format!("SELECT {function}($1::jsonb, {})", ts(h));
        Spi::get_one_with_args::<JsonB>(&sql, &[payload.into()]).unwrap().unwrap().0
    }

    fn results(response: &Value) -> Vec<(String, String)> {
        response["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["toolCallId"].as_str().unwrap().to_owned(), r["result"].as_str().unwrap().to_owned()))
            .collect()
    }

    #[pg_test]
    fn the_example_booking_books_and_answers_in_vapi_s_shape() {
        pool_of(2);
        let response = call("vapi_tool_calls", BOOK, 0);
        assert_eq!(
            response,
            json!({"results": [{"toolCallId": "call_book_07f26a19",
                "result": "Booked for 2025-10-20 18:00 UTC. The lead keeps the phone number +15550000001 until 2025-10-21 18:00 UTC."}]})
        );
        assert_eq!(row("+15550000001").3.as_deref(), Some("2025-10-20 18:00:00+00"));
    }

    #[pg_test]
    fn one_bad_call_in_a_batch_does_not_undo_the_others() {
        pool_of(4);
        for lead in [AMY, CAT] {
            Spi::run(&format!("SELECT extend_phone_for_appointment('{lead}', {}, {})", ts(30), ts(0))).unwrap();
        }
        let said = results(&call("vapi_tool_calls", BATCH, 1));
        let ids: Vec<&str> = said.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(ids, ["call_book_ben", "call_no_zone", "call_move_amy", "call_cancel_cat", "call_weather"]);
        assert!(said[0].1.starts_with("Booked for 2025-10-20 14:00 UTC."), "{}", said[0].1);
        assert_eq!(
            said[1].1,
            "I couldn't book that time: appointment_time \"2025-10-20T14:00:00\" has no time zone; \
             say it with an offset such as 2025-10-19T14:00:00-04:00 or Z for UTC.",
            "the example is 2 pm at UTC-04:00 on the day after as_of (2025-10-18 13:00 UTC)"
        );
        assert!(said[2].1.starts_with("Moved to 2025-10-22 16:30 UTC."), "{}", said[2].1);
        assert_eq!(said[3].1, "Cancelled. The lead's phone number goes back to the pool.");
        assert!(said[4].1.starts_with("I can't do that: this server has no function \"get_weather\""), "{}", said[4].1);
        assert!(number_of(BEN).is_some(), "Ben's booking stands");
        assert_eq!(number_of(DAN), None, "the refused call took no number");
        assert_eq!(row(&number_of(CAT).unwrap()).2, Some(at(1)), "Cat's number is due now");
    }

    #[pg_test]
    fn a_refused_time_or_an_empty_pool_is_a_sentence_not_an_error() {
        pool_of(1);
        let past = r#"{"message": {"type": "tool-calls", "toolCallList": [
            {"id": "old", "function": {"name": "book_appointment",
             "arguments": {"lead_id": "aaaaaaaa-0000-4000-8000-000000000001", "appointment_time": "2025-10-01T14:00:00Z"}}},
            {"id": "ok", "function": {"name": "book_appointment",
             "arguments": {"lead_id": "bbbbbbbb-0000-4000-8000-000000000002", "appointment_time": "2025-10-20T14:00:00Z"}}},
            {"id": "full", "function": {"name": "book_appointment",
             "arguments": {"lead_id": "cccccccc-0000-4000-8000-000000000003", "appointment_time": "2025-10-20T15:00:00Z"}}}]}}"#;
        let said = results(&call("vapi_tool_calls", past, 0));
        assert_eq!(
            said[0].1,
            "I couldn't book that time: appointment 2025-10-01 14:00:00+00 is too far in the past to hold a number for."
        );
        assert!(said[1].1.starts_with("Booked"));
        assert_eq!(said[2].1, "I couldn't book that time: no phone number is available to assign.");
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger"), 2, "only Ben's booking was written");
    }

    #[pg_test]
    fn hostile_values_are_quoted_back_and_change_nothing() {
        pool_of(1);
        let before = state();
        let evil = json!({"message": {"type": "tool-calls", "toolCallList": [
            {"id": "x", "function": {"name": "book_appointment", "arguments": {
                "lead_id": "'; DELETE FROM public.signalwire_phone_numbers; --",
                "appointment_time": "2025-10-20T14:00:00Z"}}}]}});
        let said = results(&call("vapi_tool_calls", &evil.to_string(), 0));
        assert!(said[0].1.contains("\"'; DELETE FROM public.signalwire_phone_numbers; --\" is not a UUID"), "{}", said[0].1);
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn a_payload_that_is_not_a_tool_call_is_22023() {
        pool_of(1);
        let f = assert_refused(
            "SELECT vapi_tool_calls('{\"message\": {\"type\": \"status-update\"}}')",
            "22023",
            "expected a VAPI message of type \"tool-calls\"",
        );
        assert!(f.hint.contains("examples/vapi"), "{f:?}");
        assert_refused("SELECT vapi_end_of_call('[1, 2]')", "22023", "expected a VAPI end-of-call-report");
        assert_refused("SELECT vapi_tool_calls(NULL)", "22004", "payload must not be NULL");
        assert_refused("SELECT vapi_end_of_call('{}', NULL)", "22004", "as_of must not be NULL");
    }

    #[pg_test]
    fn an_end_of_call_report_with_a_booking_books() {
        pool_of(1);
        assert_eq!(
            call("vapi_end_of_call", REPORT_BOOKED, 0),
            json!({"callId": "b1e2c3d4-0000-4000-8000-00000000ca11", "leadId": LEAD_A, "outcome": "appointment_booked",
                   "action": "booked", "number": "+15550000001",
                   "appointmentTime": "2025-10-20T14:00:00Z", "releaseAt": "2025-10-21T14:00:00Z"})
        );
    }

    #[pg_test]
    fn an_end_of_call_report_without_a_booking_does_nothing() {
        pool_of(1);
        let before = state();
        let out = call("vapi_end_of_call", REPORT_NO_ANSWER, 0);
        assert_eq!(out["action"], "none");
        assert_eq!(out["reason"], "outcome \"no_answer\" changes no hold");
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn the_seeds_option_b_body_books_then_cancels() {
        pool_of(1);
        let booked = call("vapi_end_of_call", OPTION_B_BOOKED, 0);
        assert_eq!((booked["action"].as_str(), booked["releaseAt"].as_str()), (Some("booked"), Some("2025-10-21T14:00:00Z")));
        let cancelled = call("vapi_end_of_call", OPTION_B_CANCELLED, 2);
        assert_eq!(cancelled["action"], "cancelled");
        assert_eq!(cancelled["releaseAt"], "2025-10-18T14:00:00Z");
        // n8n retries webhooks: a second delivery is harmless.
        Spi::run(&format!("SELECT release_expired_phone_numbers({})", ts(2))).unwrap();
        let again = call("vapi_end_of_call", OPTION_B_CANCELLED, 3);
        assert_eq!((again["action"].as_str(), again["reason"].as_str()), (Some("none"), Some("the lead holds no number")));
    }

    #[pg_test]
    fn an_end_of_call_report_with_bad_values_is_rejected_with_the_value_quoted() {
        pool_of(1);
        let before = state();
        let out = call(
            "vapi_end_of_call",
            r#"{"callId": "c1", "leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "appointment_booked", "appointmentTime": "Monday 2pm"}"#,
            0,
        );
        assert_eq!(out["action"], "rejected");
        assert_eq!(out["reason"], "appointmentTime \"Monday 2pm\" is not a date and time such as 2025-10-19T14:00:00-04:00");
        assert_eq!(state(), before);
    }
}
