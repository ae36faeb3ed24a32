//! A transaction that cannot write (a hot standby, where every transaction is read-only, or
//! BEGIN READ ONLY): every function that writes refuses with 25006 and a phone_holds message
//! before any work, the webhook entry point answers 503 so the sender retries against the
//! primary, and the reads (inbound routing, the pool, history) answer as before.
//! tests/e2e/tests/standby.rs shows the same on a real standby.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::datum::JsonB;
    use pgrx::prelude::*;
    use serde_json::Value;

    const BOOK: &str = include_str!("../../examples/vapi/tool-calls-book.json");
    const REPORT_BOOKED: &str = include_str!("../../examples/vapi/end-of-call-report-booked.json");
    const ASSISTANT_REQUEST: &str = include_str!("../../examples/vapi/assistant-request-held.json");
    const CALCOM_CREATED: &str = include_str!("../../examples/calcom/booking-created.json");
    const CALENDLY_CREATED: &str = include_str!("../../examples/calendly/invitee-created.json");

    /// `sql` in a transaction made read-only first, as every transaction on a standby is.
    fn read_only(sql: &str) -> String {
        format!("SELECT set_config('transaction_read_only', 'on', true), ({sql})")
    }

    /// A pool where lead A holds a number through an appointment, and one number is due.
    fn busy_pool() {
        pool_of(3);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(50), ts(0))).unwrap();
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {})", ts(0))).unwrap();
    }

    #[pg_test]
    fn every_writer_refuses_a_read_only_transaction_with_25006_before_any_work() {
        busy_pool();
        let writers = [
            ("assign_phone_to_lead()", format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(1))),
            ("extend_phone_for_appointment()", format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {})", ts(60), ts(1))),
            (
                "extend_phone_for_appointment()",
                format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2025-10-21 02:00'::timestamp, {})", ts(1)),
            ),
            ("complete_appointment_for_phone()", format!("SELECT complete_appointment_for_phone('{LEAD_A}', 'showed', {})", ts(51))),
            ("reschedule_appointment_for_phone()", format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, {})", ts(70), ts(1))),
            ("release_expired_phone_numbers()", format!("SELECT release_expired_phone_numbers({})", ts(30))),
            ("release_expired_phone_numbers_batch()", format!("SELECT release_expired_phone_numbers_batch({})", ts(30))),
            ("retire_phone_number()", format!("SELECT retire_phone_number('+15550000003', 'spam flagged', {})", ts(1))),
            ("restore_phone_number()", format!("SELECT restore_phone_number('+15550000003', {})", ts(1))),
            ("vapi_tool_calls()", format!("SELECT vapi_tool_calls({}::jsonb, {})", literal(BOOK), ts(1))),
            ("vapi_end_of_call()", format!("SELECT vapi_end_of_call({}::jsonb, {})", literal(REPORT_BOOKED), ts(1))),
            ("vapi_tool_calls()", format!("SELECT vapi_webhook({}, {})", literal(BOOK), ts(1))),
            ("calcom_webhook()", format!("SELECT calcom_webhook({}, NULL, {})", literal(CALCOM_CREATED), ts(1))),
            ("calendly_webhook()", format!("SELECT calendly_webhook({}, NULL, {})", literal(CALENDLY_CREATED), ts(1))),
            ("phone_holds_set_webhook_secret()", "SELECT phone_holds_set_webhook_secret('calcom', 'whsec_1')".to_owned()),
            ("phone_holds_setup()", "SELECT count(*) FROM phone_holds_setup()".to_owned()),
            ("schedule_phone_release()", "SELECT schedule_phone_release()".to_owned()),
            ("unschedule_phone_release()", "SELECT unschedule_phone_release()".to_owned()),
        ];
        for (function, sql) in writers {
            let f = assert_refused(&read_only(&sql), "25006", &format!("phone_holds: {function} writes, and this transaction is read-only"));
            assert_eq!(f.detail, "Nothing was changed.", "{sql}: {f:?}");
            assert!(f.hint.contains("read-write transaction"), "{sql}: {f:?}");
        }
        // The drain is a procedure: CALLed, it refuses the same way before its first batch.
        let drain = format!(
            "DO $d$ DECLARE n bigint; BEGIN PERFORM set_config('transaction_read_only', 'on', true); CALL drain_expired_phone_numbers({}, n); END $d$",
            ts(30)
        );
        assert_refused(&drain, "25006", "phone_holds: drain_expired_phone_numbers() writes, and this transaction is read-only");
    }

    #[pg_test]
    fn the_webhook_answers_a_read_only_transaction_with_503_and_changes_nothing() {
        busy_pool();
        let before = state();
        for (webhook, payload) in [
            ("vapi_end_of_call", REPORT_BOOKED),
            ("calcom_webhook", CALCOM_CREATED),
            ("calendly_webhook", CALENDLY_CREATED),
            ("complete_appointment_for_phone", r#"{"lead_id": "07f26a19-e9dc-422c-b61d-030e3c7971bb", "outcome": "showed"}"#),
        ] {
            let sql = read_only(&format!("SELECT row(status, response)::text FROM phone_holds_webhook($1, $2, {})", ts(51)));
            let answer = Spi::get_one_with_args::<String>(&format!("SELECT a FROM ({sql}) AS q(s, a)"), &[webhook.into(), payload.into()])
                .unwrap()
                .unwrap();
            assert!(answer.starts_with("(503,"), "{webhook}: {answer}");
            assert!(answer.contains("25006"), "{webhook}: {answer}");
        }
        // VAPI's tool calls get 200 and a sentence per call: the agent says to try again.
        let sql = read_only(&format!("SELECT response::text FROM phone_holds_webhook('vapi_tool_calls', $1, {})", ts(1)));
        let answer = Spi::get_one_with_args::<String>(&format!("SELECT a FROM ({sql}) AS q(s, a)"), &[BOOK.into()]).unwrap().unwrap();
        assert!(answer.contains("please try again"), "{answer}");
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn the_reads_answer_in_a_read_only_transaction() {
        busy_pool();
        Spi::run("SET LOCAL phone_holds.vapi_assistant_id = '5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c'").unwrap();
        Spi::run("SET LOCAL transaction_read_only = on").unwrap();
        let routed = Spi::get_one_with_args::<JsonB>(&format!("SELECT vapi_assistant_request($1::jsonb, {})", ts(1)), &[ASSISTANT_REQUEST.into()])
            .unwrap()
            .unwrap()
            .0;
        assert_eq!(routed["assistantId"], "5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c", "{routed}");
        assert_eq!(routed["assistantOverrides"]["variableValues"]["lead_id"], LEAD_A, "{routed}");
        let (status, _) = hook("vapi_assistant_request", ASSISTANT_REQUEST, 1);
        assert_eq!(status, 200);
        let (status, answer): (i32, Value) = hook("vapi", ASSISTANT_REQUEST, 1);
        assert_eq!(status, 200, "{answer}");
        assert!(count("SELECT count(*) FROM phone_pool_status") > 0);
        assert!(one(&format!("SELECT phone_number_holder_at(number, {})::text FROM signalwire_phone_numbers WHERE currently_assigned_to = '{LEAD_A}'", ts(1))).is_some());
        assert!(count(&format!("SELECT count(*) FROM phone_pool_history({}, {}, '1 hour')", ts(-2), ts(2))) > 0);
        assert!(count(&format!("SELECT count(*) FROM phone_pool_by_area_code({})", ts(1))) > 0);
        // The self-check runs, and finds the pool healthy.
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
    }
}
