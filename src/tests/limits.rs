//! Bounded work and malformed input: the limits docs/reference/limits.md documents, each refusal with its
//! SQLSTATE or sentence and no row changed, and the lock count of a large transaction.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::rules::payload::body::MAX_BYTES;
    use crate::rules::payload::tool_calls::MAX_CALLS;
    use crate::tests::support::*;
    use pgrx::datum::JsonB;
    use pgrx::prelude::*;
    use serde_json::{json, Value};

    fn tool_calls(calls: Vec<Value>) -> String {
        json!({"message": {"type": "tool-calls", "toolCallList": calls}}).to_string()
    }

    fn call(id: Value, name: &str, arguments: Value) -> Value {
        json!({"id": id, "type": "function", "function": {"name": name, "arguments": arguments}})
    }

    fn book(id: &str, lead: &str, time: &str) -> Value {
        call(json!(id), "book_appointment", json!({"lead_id": lead, "appointment_time": time}))
    }

    /// `function(body::text, as_of)`: the text form n8n uses.
    fn answer(function: &str, body: &str, h: i64) -> Value {
        Spi::get_one_with_args::<JsonB>(&format!("SELECT {function}($1::text, {})", ts(h)), &[body.into()])
            .unwrap()
            .unwrap()
            .0
    }

    fn said(response: &Value) -> Vec<(Value, String)> {
        response["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["toolCallId"].clone(), r["result"].as_str().unwrap().to_owned()))
            .collect()
    }

    fn quoted(body: &str) -> String {
        format!("$body${body}$body$")
    }

    #[pg_test]
    fn more_tool_calls_than_the_cap_are_22023_before_anything_is_done() {
        pool_of(60);
        let calls = |n: usize| {
            tool_calls((0..n).map(|i| book(&format!("c{i}"), &format!("00000000-0000-4000-8000-{i:012}"), "2025-10-20T14:00:00Z")).collect())
        };
        for form in ["text", "jsonb"] {
            let f = assert_refused(&format!("SELECT vapi_tool_calls({}::{form}, {})", quoted(&calls(MAX_CALLS + 1)), ts(0)), "22023", "51 tool calls");
            assert!(f.hint.contains("at most 50"), "{f:?}");
        }
        let all = answer("vapi_tool_calls", &calls(MAX_CALLS), 0);
        assert_eq!(said(&all).len(), MAX_CALLS);
        assert_eq!(count("SELECT count(*) FROM public.signalwire_phone_numbers WHERE assignment_status = 'assigned'"), 50);
    }

    #[pg_test]
    fn a_body_too_big_too_deep_or_not_json_is_22023_with_a_hint() {
        pool_of(1);
        let padded = |bytes: usize| {
            let shell = json!({"message": {"type": "tool-calls", "toolCallList": [], "transcript": ""}}).to_string();
            let pad = "x".repeat(bytes - shell.len());
            json!({"message": {"type": "tool-calls", "toolCallList": [], "transcript": pad}}).to_string()
        };
        assert_eq!(said(&answer("vapi_tool_calls", &padded(MAX_BYTES), 0)).len(), 0, "the largest body is read");
        for function in ["vapi_tool_calls", "vapi_end_of_call"] {
            for form in ["text", "jsonb"] {
                let f = assert_refused(&format!("SELECT {function}({}::{form})", quoted(&padded(MAX_BYTES + 1))), "22023", "more than the 4194304");
                assert!(f.hint.contains("strip large fields"), "{f:?}");
            }
            let deep = "[".repeat(200) + &"]".repeat(200);
            for form in ["text", "jsonb"] {
                let f = assert_refused(&format!("SELECT {function}('{deep}'::{form})"), "22023", "more than 128 levels deep");
                assert!(f.message.len() < 120, "{f:?}");
            }
            assert_refused(&format!("SELECT {function}('{{\"message\": ')"), "22023", "is not JSON");
            assert_refused(&format!("SELECT {function}(NULL::text)"), "22004", "payload must not be NULL");
        }
    }

    /// `\u0000` and lone surrogates are valid JSON text that jsonb refuses: the text form reads them.
    #[pg_test]
    fn a_body_jsonb_cannot_hold_is_read_through_the_text_form() {
        pool_of(1);
        let body = format!(
            r#"{{"message": {{"type": "tool-calls", "transcript": "hi\u0000 there \ud83d", "toolCallList": [{}]}}}}"#,
            book("call_nul", LEAD_A, "2025-10-20T14:00:00Z")
        );
        let f = failure(&format!("SELECT vapi_tool_calls({}::jsonb)", quoted(&body)));
        assert_eq!(f.sqlstate, "22P05", "jsonb itself refuses the body: {f:?}");
        let answered = said(&answer("vapi_tool_calls", &body, 0));
        assert_eq!(answered[0].0, json!("call_nul"));
        assert!(answered[0].1.starts_with("Booked for 2025-10-20 14:00 UTC"), "{answered:?}");
        // Echoed values are valid jsonb: control characters blanked.
        let report = r#"{"callId": "c\u0000d", "leadId": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "no\u0000answer"}"#;
        let out = answer("vapi_end_of_call", report, 1);
        assert_eq!((out["callId"].as_str(), out["outcome"].as_str(), out["action"].as_str()), (Some("c d"), Some("no answer"), Some("none")));
    }

    #[pg_test]
    fn malformed_values_are_refused_never_guessed_and_change_nothing() {
        pool_of(2);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        let before = state();
        let body = tool_calls(vec![
            // A sign where a digit belongs would alias Lead A (07f26a19-…).
            book("plus", "+7f26a19-e9dc-422c-b61d-030e3c7971bb", "2025-10-20T14:00:00Z"),
            book("nil", "00000000-0000-0000-0000-000000000000", "2025-10-20T14:00:00Z"),
            json!({"type": "function", "function": {"name": "cancel_appointment", "arguments": {"lead_id": LEAD_A}}}),
            call(json!(42), "cancel_appointment", json!({"lead_id": LEAD_A})),
            call(json!("two"), "cancel_appointment", json!({"lead_id": LEAD_A, "leadId": LEAD_B})),
            call(json!("times"), "book_appointment", json!({"lead_id": LEAD_A, "appointment_time": "2025-10-20T14:00:00Z", "appointmentTime": "2025-10-20T15:00:00Z"})),
            book("unknown_zone", LEAD_A, "2025-10-20T14:00:00-00:00"),
        ]);
        let answered = said(&answer("vapi_tool_calls", &body, 1));
        let expect = [
            (json!("plus"), "lead_id \"+7f26a19-e9dc-422c-b61d-030e3c7971bb\" is not a UUID"),
            (json!("nil"), "is the nil UUID"),
            (Value::Null, "the tool call has no id"),
            (Value::Null, "the tool call has no id"),
            (json!("two"), "lead_id is given twice with different values"),
            (json!("times"), "appointment_time is given twice with different values"),
            (json!("unknown_zone"), "-00:00, which means the local time zone is unknown"),
        ];
        assert_eq!(answered.len(), expect.len());
        for ((id, sentence), (want_id, want)) in answered.iter().zip(expect) {
            assert_eq!(*id, want_id);
            assert!(sentence.contains(want), "{sentence:?} lacks {want:?}");
        }
        assert_eq!(state(), before, "no refused call changed a row");

        // A huge value is echoed cut, in the answer and in the sentence.
        let huge = "x".repeat(1_000_000);
        let out = answer("vapi_end_of_call", &json!({"callId": huge, "leadId": huge, "outcome": "booked"}).to_string(), 1);
        for field in ["callId", "leadId", "reason"] {
            let len = out[field].as_str().unwrap().chars().count();
            assert!(len < 200, "{field} echoed {len} characters");
        }
        let out = answer("vapi_tool_calls", &tool_calls(vec![call(json!("x"), &huge, json!({}))]), 1);
        assert!(said(&out)[0].1.chars().count() < 200);
        assert_eq!(state(), before);
    }

    /// The seed's functions take a uuid, which PostgreSQL parses; the voice agent's text is
    /// parsed by phone_holds and must not be looser.
    #[pg_test]
    fn a_hold_that_would_end_after_9999_is_22008_and_changes_nothing() {
        pool_of(1);
        let late = "'9999-12-31 12:00+00'::timestamptz";
        assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {late})"), "22008", "after 9999-12-31");
        assert_refused(
            &format!("SELECT extend_phone_for_appointment('{LEAD_A}', '9999-12-31 00:00+00', '9999-12-30 00:00+00')"),
            "22008",
            "after 9999-12-31",
        );
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', '9999-12-29 00:00+00')")).unwrap();
        assert_refused(&format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'showed', {late})"), "22008", "after 9999-12-31");
        assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {late})"), "22008", "after 9999-12-31");
        // What was stored can be read back.
        assert_eq!(
            one(&format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'cancelled', '9999-12-30 00:00+00')::text")),
            Some("9999-12-30 00:00:00+00".into())
        );
    }

    /// A repeat that changes nothing writes nothing: one lead named five times in a batch.
    #[pg_test]
    fn repeats_that_change_nothing_write_no_ledger_row() {
        pool_of(1);
        let mut calls: Vec<Value> = (0..5).map(|i| book(&format!("b{i}"), LEAD_A, "2025-10-20T14:00:00Z")).collect();
        calls.extend((0..3).map(|i| call(json!(format!("c{i}")), "cancel_appointment", json!({"lead_id": LEAD_A}))));
        let answered = said(&answer("vapi_tool_calls", &tool_calls(calls), 0));
        assert!(answered.iter().take(5).all(|(_, s)| s.starts_with("Booked")), "{answered:?}");
        assert!(answered.iter().skip(5).all(|(_, s)| s.starts_with("Cancelled")), "{answered:?}");
        assert_eq!(
            one("SELECT string_agg(event, ',' ORDER BY id) FROM public.phone_hold_ledger"),
            Some("assigned,extended,completed".into())
        );
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger WHERE event = 'reused'"), 1, "the second reply changed nothing");
    }

    /// One transaction assigning 1,000 new leads holds a fixed number of locks, not one per lead
    /// (an advisory lock per lead filled the cluster-wide lock table at about 8,400).
    #[pg_test]
    fn a_thousand_new_leads_in_one_transaction_hold_a_bounded_number_of_locks() {
        pool_of(1001);
        let locks = || count("SELECT count(*) FROM pg_locks WHERE pid = pg_backend_pid() AND relation IS DISTINCT FROM 'pg_locks'::regclass");
        let assign = |from: i32, to: i32| {
            Spi::run(&format!(
                "SELECT count(assign_phone_to_lead(('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid, {}))
                   FROM generate_series({from}, {to}) AS i",
                ts(0)
            ))
            .unwrap()
        };
        // The first call takes the locks every call shares (tables, indexes); the test's own
        // setup holds more (it created the tables in this transaction).
        assign(0, 0);
        let before = locks();
        assign(1, 1000);
        assert_eq!(count("SELECT count(*) FROM public.signalwire_phone_numbers WHERE assignment_status = 'assigned'"), 1001);
        assert_eq!(locks(), before, "1,000 more new leads, no more locks");
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_claims"), 0, "claims leave no row behind");
    }

    #[pg_test]
    fn one_batch_releases_at_most_the_batch_size_oldest_hold_first() {
        pool_of(5);
        for (i, lead) in [LEAD_A, LEAD_B, LEAD_C].iter().enumerate() {
            Spi::run(&format!("SELECT assign_phone_to_lead('{lead}', {})", ts(-(30 - i as i64)))).unwrap();
        }
        Spi::run("SET LOCAL phone_holds.release_batch = 2").unwrap();
        assert_eq!(count(&format!("SELECT release_expired_phone_numbers_batch({})::int8", ts(0))), 2);
        assert_eq!(number_of(LEAD_C), Some("+15550000003".into()), "the newest hold is left for the next batch");
        assert_eq!(number_of(LEAD_A), None);
        assert_eq!(count(&format!("SELECT release_expired_phone_numbers_batch({})::int8", ts(0))), 1);
        assert_eq!(count(&format!("SELECT release_expired_phone_numbers_batch({})::int8", ts(0))), 0);
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger WHERE event = 'released'"), 3);
        let f = failure("SET LOCAL phone_holds.release_batch = 0");
        assert_eq!(f.sqlstate, "22023", "{f:?}");
    }

    /// The procedure commits, so it refuses to run inside a transaction block once it has
    /// something to commit: the batch it released is rolled back with the error.
    #[pg_test]
    fn the_drain_refuses_null_and_a_transaction_block_and_changes_nothing() {
        pool_of(1);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(-30))).unwrap();
        let f = failure("CALL drain_expired_phone_numbers(NULL)");
        assert_eq!((f.sqlstate.as_str(), f.message.as_str()), ("22004", "phone_holds: as_of must not be NULL"), "{f:?}");
        let before = state();
        let f = failure(&format!("CALL drain_expired_phone_numbers({})", ts(0)));
        assert_eq!(f.sqlstate, "2D000", "{f:?}");
        assert_eq!(state(), before);
        assert_eq!(count(&format!("SELECT release_expired_phone_numbers({})::int8", ts(0))), 1, "the one-transaction form works here");
    }
}
