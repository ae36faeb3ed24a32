//! `phone_holds_webhook()`: each webhook's call as an HTTP status and body, every failure
//! answered with its SQLSTATE and nothing changed.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;
    use serde_json::json;

    const BOOK: &str = include_str!("../../examples/vapi/tool-calls-book.json");
    const REPORT_BOOKED: &str = include_str!("../../examples/vapi/end-of-call-report-booked.json");

    fn outcome(lead: &str, outcome: &str) -> String {
        json!({"lead_id": lead, "outcome": outcome}).to_string()
    }

    #[pg_test]
    fn a_booking_is_answered_200_with_what_vapi_tool_calls_returns() {
        pool_of(2);
        assert_eq!(
            hook("vapi_tool_calls", BOOK, 0),
            (200, json!({"results": [{"toolCallId": "call_book_07f26a19",
                "result": "Booked for 2025-10-20 18:00 UTC. The lead keeps the phone number +15550000001 until 2025-10-21 18:00 UTC."}]}))
        );
        let (status, report) = hook("vapi_end_of_call", REPORT_BOOKED, 0);
        assert_eq!((status, report["action"].as_str()), (200, Some("booked")), "{report}");
    }

    #[pg_test]
    fn an_outcome_is_answered_with_release_at_as_javascript_writes_dates() {
        pool_of(1);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(30), ts(0))).unwrap();
        // The answer does not depend on the session's zone.
        Spi::run("SET LOCAL TimeZone = 'America/New_York'").unwrap();
        assert_eq!(hook("complete_appointment_for_phone", &outcome(LEAD_A, "No-Show"), 1), (200, json!({"release_at": "2025-10-19T13:00:00.000Z"})));
        assert_eq!(row("+15550000001").4.as_deref(), Some("no_show"));
        // A lead holding no number: nothing to do, safe to retry.
        assert_eq!(hook("complete_appointment_for_phone", &outcome(LEAD_B, "showed"), 1), (200, json!({"release_at": null})));
    }

    #[pg_test]
    fn refused_input_is_a_400_with_the_sqlstate_and_changes_nothing() {
        pool_of(1);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(30), ts(0))).unwrap();
        let before = state();
        for (webhook, body, sqlstate, says) in [
            ("complete_appointment_for_phone", outcome(LEAD_A, "late"), "22023", "unknown appointment outcome \"late\""),
            ("complete_appointment_for_phone", outcome("not-a-uuid", "showed"), "22P02", "invalid input syntax for type uuid"),
            ("complete_appointment_for_phone", r#"{"outcome": "showed"}"#.to_owned(), "22004", "lead_id must not be NULL"),
            ("complete_appointment_for_phone", json!({"lead_id": LEAD_A}).to_string(), "22004", "outcome must not be NULL"),
            ("complete_appointment_for_phone", "[1, 2]".to_owned(), "22023", "not a JSON object"),
            ("complete_appointment_for_phone", "lead_id=1".to_owned(), "22P02", "invalid input syntax for type json"),
            ("vapi_tool_calls", r#"{"message": {"type": "status-update"}}"#.to_owned(), "22023", "expected a VAPI message of type \"tool-calls\""),
            ("vapi_tool_calls", "not json".to_owned(), "22023", "the body is not JSON"),
            ("vapi_end_of_call", "[]".to_owned(), "22023", ""),
        ] {
            let (status, answer) = hook(webhook, &body, 1);
            assert_eq!(status, 400, "{webhook} {body}: {answer}");
            assert_eq!(answer["sqlstate"], sqlstate, "{webhook} {body}: {answer}");
            assert!(answer["error"].as_str().unwrap().contains(says), "{webhook} {body}: {answer}");
        }
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn a_tool_calls_message_refused_whole_is_answered_per_call_id() {
        pool_of(1);
        let call = json!({"id": "call_x", "function": {"name": "book_appointment", "arguments": {}}});
        let mut calls = vec![call; 51];
        calls[0]["id"] = json!("call_first");
        let body = json!({"message": {"type": "tool-calls", "toolCallList": calls}}).to_string();
        let before = state();
        let (status, answer) = hook("vapi_tool_calls", &body, 0);
        assert_eq!(status, 200, "{answer}");
        let results = answer["results"].as_array().unwrap();
        assert_eq!(results.len(), 51);
        assert_eq!(results[0]["toolCallId"], "call_first");
        let said = results[0]["error"].as_str().unwrap();
        assert!(said.starts_with("I couldn't do that: the tool-calls message has 51 tool calls") && said.ends_with("nothing was changed."), "{said}");
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn a_server_problem_is_a_500_or_a_retry_sentence_for_the_agent() {
        pool_of(1);
        Spi::run("ALTER TABLE public.signalwire_phone_numbers RENAME TO signalwire_phone_numbers_moved").unwrap();
        let (status, answer) = hook("complete_appointment_for_phone", &outcome(LEAD_A, "showed"), 0);
        assert_eq!((status, answer["sqlstate"].as_str()), (500, Some("42P01")), "{answer}");
        let (status, answer) = hook("vapi_tool_calls", BOOK, 0);
        assert_eq!(status, 200);
        assert_eq!(answer["results"][0]["toolCallId"], "call_book_07f26a19");
        assert!(answer["results"][0]["error"].as_str().unwrap().contains("try again in a moment"), "{answer}");
    }

    #[pg_test]
    fn a_call_that_fails_half_way_is_rolled_back_whole() {
        pool_of(1);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(30), ts(0))).unwrap();
        // A failure after the pool row was written (a trigger of the user's, say).
        Spi::run(
            "CREATE FUNCTION pg_temp.refuse() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN RAISE EXCEPTION 'refused by a trigger'; END $$;
             CREATE TRIGGER refuse AFTER UPDATE ON public.signalwire_phone_numbers
               FOR EACH ROW EXECUTE FUNCTION pg_temp.refuse();",
        )
        .unwrap();
        let before = state();
        let (status, answer) = hook("complete_appointment_for_phone", &outcome(LEAD_A, "showed"), 1);
        assert_eq!((status, answer), (500, json!({"error": "refused by a trigger", "sqlstate": "P0001"})));
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn an_unknown_webhook_is_an_error_not_an_answer() {
        set_up();
        assert_refused("SELECT * FROM phone_holds_webhook('book_appointment', '{}')", "22023", "unknown webhook 'book_appointment'");
        assert_refused("SELECT * FROM phone_holds_webhook(NULL, '{}')", "22023", "unknown webhook NULL");
    }
}
