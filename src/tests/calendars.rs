//! Calendar webhooks: `calcom_webhook()` and `calendly_webhook()` move holds as the bookings
//! move, with the files under examples/calcom/ and examples/calendly/ as fixtures.
//!
//! The fixtures tell one story at T0 = 2025-10-18 12:00 UTC: lead A books Monday 2025-10-20
//! 18:00 UTC (T0 + 54 h), moves it to Tuesday 18:00 (T0 + 78 h), and is marked a no-show.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use hmac::{Hmac, KeyInit, Mac};
    use pgrx::datum::JsonB;
    use pgrx::prelude::*;
    use serde_json::Value;
    use sha2::Sha256;

    macro_rules! calcom {
        ($name:literal) => {
            include_str!(concat!("../../examples/calcom/", $name))
        };
    }
    macro_rules! calendly {
        ($name:literal) => {
            include_str!(concat!("../../examples/calendly/", $name))
        };
    }

    const MONDAY: &str = "2025-10-20 18:00:00+00";
    const TUESDAY: &str = "2025-10-21 18:00:00+00";
    const WEDNESDAY: &str = "2025-10-22 18:00:00+00";
    const SECRET: &str = "whsec_9Jq2vX7bLkP4";

    /// `function(body, signature, T0 + h)`.
    fn deliver(function: &str, body: &str, signature: Option<&str>, h: i64) -> Value {
        let sql = format!("SELECT {function}($1, $2, {})", ts(h));
        Spi::get_one_with_args::<JsonB>(&sql, &[body.into(), signature.into()]).unwrap().unwrap().0
    }

    fn cal(body: &str, h: i64) -> Value {
        deliver("calcom_webhook", body, None, h)
    }

    fn cly(body: &str, h: i64) -> Value {
        deliver("calendly_webhook", body, None, h)
    }

    fn mac(parts: &[&[u8]]) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(SECRET.as_bytes()).unwrap();
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Cal.com's X-Cal-Signature-256 for `body`.
    fn calcom_signature(body: &str) -> String {
        mac(&[body.as_bytes()])
    }

    /// Calendly's Calendly-Webhook-Signature for `body`, made `seconds` from now by the
    /// server's clock (which decides whether a signature is fresh, whatever `as_of` says).
    fn calendly_signature(body: &str, seconds: i64) -> String {
        calendly_signature_at(body, chrono::Utc::now().timestamp() + seconds)
    }

    /// The same, made at Unix time `t`.
    fn calendly_signature_at(body: &str, t: i64) -> String {
        format!("t={t},v1={}", mac(&[t.to_string().as_bytes(), b".", body.as_bytes()]))
    }

    fn set_secret(source: &str) {
        Spi::run(&format!("SELECT phone_holds_set_webhook_secret('{source}', '{SECRET}')")).unwrap();
    }

    /// The hold as (number, release_at, appointment, outcome).
    fn hold() -> (Option<String>, Option<String>, Option<String>, Option<String>) {
        let Some(number) = number_of(LEAD_A) else { return (None, None, None, None) };
        let (_, _, release_at, appointment, outcome) = row(&number);
        (Some(number), release_at, appointment, outcome)
    }

    fn held(release_at: &str, appointment: Option<&str>, outcome: Option<&str>) -> (Option<String>, Option<String>, Option<String>, Option<String>) {
        (Some("+15550000001".into()), Some(release_at.into()), appointment.map(Into::into), outcome.map(Into::into))
    }

    fn ledger_rows() -> i64 {
        count("SELECT count(*) FROM public.phone_hold_ledger")
    }

    /// The hold and its history, without the columns that name when a row was written.
    fn history() -> String {
        one("SELECT coalesce(string_agg(concat_ws(' ', l.at, l.event, l.number, l.lead_id, l.old_release_at, l.new_release_at,
                                                  l.appointment_at, l.outcome, l.source, l.source_ref), E'\\n' ORDER BY l.id), '')
               FROM public.phone_hold_ledger AS l")
        .unwrap()
            + &format!("\n{:?}", hold())
    }

    /// A bookings table gone (or not made yet: setup makes it since 0.7.0) is named, with what
    /// brings it back; nothing changes.
    #[pg_test]
    fn a_missing_bookings_table_is_named_with_what_to_run() {
        pool_of(2);
        Spi::run("DROP TABLE public.phone_hold_bookings").unwrap();
        let call = format!("SELECT calcom_webhook($json${}$json$, NULL, {})", calcom!("booking-created.json"), ts(0));
        let f = assert_refused(&call, "42P01", "phone_holds: table public.phone_hold_bookings does not exist");
        assert!(f.hint.contains("SELECT phone_holds_setup() creates it"), "{f:?}");
    }

    #[pg_test]
    fn calcom_bookings_move_the_hold() {
        pool_of(2);
        let booked = cal(calcom!("booking-created.json"), 0);
        assert_eq!(booked["action"], "booked", "{booked}");
        assert_eq!(booked["leadId"], LEAD_A);
        assert_eq!(booked["number"], "+15550000001");
        assert_eq!(booked["appointmentTime"], "2025-10-20T18:00:00Z");
        assert_eq!(booked["releaseAt"], "2025-10-21T18:00:00Z");
        assert_eq!(booked["booking"], "bk_7Qm2fT9x");
        assert_eq!(booked["verified"], false);
        assert_eq!(hold(), held(TUESDAY, Some(MONDAY), None));

        // One step: never a moment when the release job could take the number.
        let moved = cal(calcom!("booking-rescheduled.json"), 1);
        assert_eq!((moved["action"].as_str(), moved["releaseAt"].as_str()), (Some("rescheduled"), Some("2025-10-22T18:00:00Z")), "{moved}");
        assert_eq!(hold(), held(WEDNESDAY, Some(TUESDAY), Some("rescheduled")));

        let cancelled = cal(calcom!("booking-cancelled.json"), 2);
        assert_eq!(cancelled["action"], "cancelled", "{cancelled}");
        assert_eq!(hold(), held(&at(2), None, Some("cancelled")));
    }

    #[pg_test]
    fn a_cancel_asking_to_book_again_keeps_the_hold() {
        pool_of(2);
        cal(calcom!("booking-created.json"), 0);
        let rows = ledger_rows();
        let kept = cal(calcom!("booking-cancelled-request-reschedule.json"), 1);
        assert_eq!(kept["action"], "none", "{kept}");
        assert!(kept["reason"].as_str().unwrap().contains("book again"), "{kept}");
        assert_eq!(hold(), held(TUESDAY, Some(MONDAY), None));
        assert_eq!(ledger_rows(), rows);
        assert_eq!(one("SELECT status FROM public.phone_hold_bookings WHERE booking = 'bk_7Qm2fT9x'").as_deref(), Some("cancelled"));
    }

    #[pg_test]
    fn calcom_no_shows_find_their_lead_through_the_booking() {
        pool_of(2);
        cal(calcom!("booking-created.json"), 0);
        cal(calcom!("booking-rescheduled.json"), 1);
        // The no-show carries only the booking uid; the reschedule recorded its lead.
        let marked = cal(calcom!("booking-no-show-updated.json"), 79);
        assert_eq!((marked["action"].as_str(), marked["leadId"].as_str()), (Some("no_show"), Some(LEAD_A)), "{marked}");
        assert_eq!(hold(), held(&at(79 + 24), Some(TUESDAY), Some("no_show")));
        // The meeting's end (a clock event) does not turn a no-show into a show.
        let ended = cal(calcom!("meeting-ended.json"), 79);
        assert_eq!(ended["action"], "none", "{ended}");
        assert!(ended["reason"].as_str().unwrap().contains("whether anyone joined or not"), "{ended}");
        assert_eq!(hold(), held(&at(79 + 24), Some(TUESDAY), Some("no_show")));
        let cleared = cal(calcom!("booking-no-show-cleared.json"), 80);
        assert_eq!(cleared["action"], "showed", "{cleared}");
        assert_eq!(hold(), held(&at(80 + 24), Some(TUESDAY), Some("showed")));
    }

    #[pg_test]
    fn calcom_meeting_clock_events_record_no_outcome() {
        pool_of(2);
        cal(calcom!("booking-created.json"), 0);
        cal(calcom!("booking-rescheduled.json"), 1);
        let before = history();
        // As Cal.com's scheduled job sends them: flat, the booking row's createdAt (made just
        // before BOOKING_RESCHEDULED's) beside the trigger, at the meeting's start and end,
        // whether anyone joined or not.
        for (body, h) in [(calcom!("meeting-started.json"), 78), (calcom!("meeting-ended.json"), 79)] {
            let answer = cal(body, h);
            assert_eq!((answer["action"].as_str(), answer["booking"].as_str()), (Some("none"), Some("bk_R4sZ8wLp")), "{answer}");
            assert!(answer["reason"].as_str().unwrap().contains("records no outcome"), "{answer}");
            assert!(!answer["reason"].as_str().unwrap().contains("before"), "not judged late by the booking's createdAt: {answer}");
        }
        assert_eq!(history(), before, "the hold runs on through Tuesday's follow-up window");
        assert_eq!(hold(), held("2025-10-22 18:00:00+00", Some(TUESDAY), Some("rescheduled")));
    }

    #[pg_test]
    fn calcom_video_no_shows() {
        pool_of(2);
        Spi::run("DELETE FROM public.phone_hold_bookings; DELETE FROM public.phone_hold_appointments; DELETE FROM public.phone_hold_ledger; UPDATE public.signalwire_phone_numbers SET assignment_status = 'available', currently_assigned_to = NULL, release_at = NULL, appointment_scheduled_at = NULL, last_call_outcome = NULL").unwrap();
        cal(calcom!("booking-created.json"), 0);
        let video = cal(calcom!("after-guests-cal-video-no-show.json"), 54);
        assert_eq!(video["action"], "no_show", "{video}");
        assert_eq!(hold(), held(&at(54 + 24), Some(MONDAY), Some("no_show")));
    }

    #[pg_test]
    fn calendly_invitees_move_the_hold() {
        pool_of(2);
        let booked = cly(calendly!("invitee-created.json"), 0);
        assert_eq!((booked["action"].as_str(), booked["leadId"].as_str()), (Some("booked"), Some(LEAD_A)), "{booked}");
        assert_eq!(hold(), held(TUESDAY, Some(MONDAY), None));
        let cancelled = cly(calendly!("invitee-canceled.json"), 3);
        assert_eq!(cancelled["action"], "cancelled", "{cancelled}");
        assert_eq!(hold(), held(&at(3), None, Some("cancelled")));
    }

    #[pg_test]
    fn calendly_no_shows_and_their_removal() {
        pool_of(2);
        cly(calendly!("invitee-created.json"), 0);
        cly(calendly!("invitee-created-rescheduled.json"), 1);
        let marked = cly(calendly!("invitee-no-show-created.json"), 79);
        assert_eq!(marked["action"], "no_show", "{marked}");
        assert_eq!(hold(), held(&at(79 + 24), Some(TUESDAY), Some("no_show")));
        let removed = cly(calendly!("invitee-no-show-deleted.json"), 80);
        assert_eq!(removed["action"], "showed", "{removed}");
        assert_eq!(hold(), held(&at(80 + 24), Some(TUESDAY), Some("showed")));
    }

    /// Calendly's reschedule is two webhooks; either order gives the same hold and history.
    #[pg_test]
    fn a_calendly_reschedule_is_the_same_in_either_order() {
        let in_order = |first: &str, second: &str| -> (String, Value, Value) {
            set_up();
            Spi::run("DELETE FROM public.phone_hold_bookings; DELETE FROM public.phone_hold_ledger; DELETE FROM public.signalwire_phone_numbers").unwrap();
            pool_of(2);
            cly(calendly!("invitee-created.json"), 0);
            let a = cly(first, 1);
            let b = cly(second, 1);
            (history(), a, b)
        };
        let cancel = calendly!("invitee-canceled-rescheduled.json");
        let create = calendly!("invitee-created-rescheduled.json");
        let (cancel_first, kept, moved) = in_order(cancel, create);
        assert_eq!(kept["action"], "none", "{kept}");
        assert!(kept["reason"].as_str().unwrap().contains("new booking"), "{kept}");
        assert_eq!((moved["action"].as_str(), moved["releaseAt"].as_str()), (Some("rescheduled"), Some("2025-10-22T18:00:00Z")), "{moved}");
        assert_eq!(hold(), held(WEDNESDAY, Some(TUESDAY), Some("rescheduled")));
        let (create_first, moved, late) = in_order(create, cancel);
        assert_eq!(moved["action"], "rescheduled", "{moved}");
        assert_eq!(late["action"], "none", "{late}");
        assert_eq!(create_first, cancel_first);
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_ledger WHERE event = 'rescheduled'"), 1);
    }

    #[pg_test]
    fn a_second_delivery_changes_nothing() {
        pool_of(2);
        for (function, body) in [("calcom_webhook", calcom!("booking-created.json")), ("calendly_webhook", calendly!("invitee-created.json"))] {
            Spi::run("DELETE FROM public.phone_hold_bookings; DELETE FROM public.phone_hold_appointments; DELETE FROM public.phone_hold_ledger; UPDATE public.signalwire_phone_numbers SET assignment_status = 'available', currently_assigned_to = NULL, release_at = NULL, appointment_scheduled_at = NULL, last_call_outcome = NULL").unwrap();
            assert_eq!(deliver(function, body, None, 0)["action"], "booked");
            let before = state();
            let bookings = one("SELECT string_agg(b::text, ';') FROM public.phone_hold_bookings AS b");
            // Retried an hour later, as calendars do.
            let again = deliver(function, body, None, 1);
            assert_eq!(again["action"], "none", "{function}: {again}");
            assert!(again["reason"].as_str().unwrap().contains("already acted on"), "{again}");
            assert_eq!(state(), before, "{function}: a second delivery wrote");
            assert_eq!(one("SELECT string_agg(b::text, ';') FROM public.phone_hold_bookings AS b"), bookings);
        }
    }

    #[pg_test]
    fn late_events_do_not_undo_newer_ones() {
        pool_of(2);
        cal(calcom!("booking-created.json"), 0);
        cal(calcom!("booking-rescheduled.json"), 1);
        let before = state();
        // A cancel of the first booking, delivered after the reschedule that replaced it.
        let late_cancel = calcom!("booking-cancelled-request-reschedule.json").replace("\"requestReschedule\": true", "\"requestReschedule\": false");
        let answer = cal(&late_cancel, 2);
        assert_eq!(answer["action"], "none", "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("rescheduled to booking \"bk_R4sZ8wLp\""), "{answer}");
        assert_eq!(state(), before);
        assert_eq!(hold(), held(WEDNESDAY, Some(TUESDAY), Some("rescheduled")));

        // A booking's creation delivered after its cancellation.
        cal(calcom!("booking-cancelled.json"), 3);
        let before = state();
        let created_late = calcom!("booking-rescheduled.json").replace("BOOKING_RESCHEDULED", "BOOKING_CREATED").replace("13:00:00.000Z", "12:30:00.000Z");
        let answer = cal(&created_late, 4);
        assert_eq!(answer["action"], "none", "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("before \"BOOKING_CANCELLED\""), "{answer}");
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn a_cancelled_booking_does_not_release_a_number_held_for_another() {
        pool_of(2);
        cal(calcom!("booking-created.json"), 0);
        // The lead books a later time on the voice agent.
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', '{WEDNESDAY}'::timestamptz, {})", ts(1))).unwrap();
        let before = state();
        let cancel = calcom!("booking-cancelled-request-reschedule.json").replace("\"requestReschedule\": true", "\"requestReschedule\": false");
        let answer = cal(&cancel, 2);
        // Monday's booking is cancelled; Wednesday's appointment holds the number through its
        // follow-up window.
        assert_eq!(answer["action"], "cancelled", "{answer}");
        assert_eq!(answer["releaseAt"], "2025-10-23T18:00:00Z", "{answer}");
        assert_ne!(state(), before);
        assert_eq!(hold(), held("2025-10-23 18:00:00+00", Some(WEDNESDAY), Some("cancelled")));
    }

    #[pg_test]
    fn events_that_move_no_hold_say_why() {
        pool_of(2);
        let before = state();
        let other = cal(&calcom!("booking-created.json").replace("BOOKING_CREATED", "RECORDING_READY"), 0);
        assert_eq!(other["action"], "none");
        assert_eq!(other["reason"], "Cal.com event \"RECORDING_READY\" moves no hold");
        let routing = cly(calendly!("routing-form-submission-created.json"), 0);
        assert_eq!(routing["reason"], "Calendly event \"routing_form_submission.created\" moves no hold");

        let no_lead = calcom!("booking-created.json").replace("\"lead_id\": \"07f26a19-e9dc-422c-b61d-030e3c7971bb\", ", "");
        let answer = cal(&no_lead, 0);
        assert_eq!((answer["action"].as_str(), answer["leadId"].as_str()), (Some("none"), None), "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("names no lead (payload.metadata.lead_id or payload.responses.lead_id)"), "{answer}");
        let bad_lead = calendly!("invitee-created.json").replace(LEAD_A, "lead_123");
        let answer = cly(&bad_lead, 0);
        assert_eq!(answer["action"], "none");
        assert!(answer["reason"].as_str().unwrap().contains("lead_id \"lead_123\" is not a UUID"), "{answer}");
        // A no-show of a booking phone_holds never saw: nobody to find.
        let unknown = cal(calcom!("booking-no-show-updated.json"), 0);
        assert!(unknown["reason"].as_str().unwrap().contains("no earlier event of booking \"bk_R4sZ8wLp\""), "{unknown}");
        assert_eq!(state(), before);
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_bookings"), 0);
    }

    #[pg_test]
    fn a_time_the_rules_refuse_is_rejected_and_recorded_nowhere() {
        pool_of(2);
        let before = state();
        // Booked for Monday, delivered on Friday: its follow-up window is long over.
        let answer = cal(calcom!("booking-created.json"), 24 * 6);
        assert_eq!(answer["action"], "rejected", "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("too far in the past"), "{answer}");
        assert_eq!(state(), before);
        assert_eq!(count("SELECT count(*) FROM public.phone_hold_bookings"), 0);
    }

    #[pg_test]
    fn bodies_that_are_no_calendar_webhook_are_refused() {
        pool_of(2);
        assert_refused(&format!("SELECT calcom_webhook('{{\"event\": \"invitee.created\", \"payload\": {{}}}}', NULL, {})", ts(0)), "22023", "not a Cal.com webhook");
        assert_refused(&format!("SELECT calendly_webhook('{{\"triggerEvent\": \"BOOKING_CREATED\"}}', NULL, {})", ts(0)), "22023", "not a Calendly webhook");
        assert_refused(&format!("SELECT calendly_webhook('not json', NULL, {})", ts(0)), "22023", "not JSON");
        assert_refused("SELECT calcom_webhook(NULL)", "22004", "body must not be NULL");
        let huge = format!("{{\"triggerEvent\": \"BOOKING_CREATED\", \"pad\": \"{}\"}}", "x".repeat(4 * 1024 * 1024));
        let f = failure(&format!("SELECT calcom_webhook('{huge}')"));
        assert_eq!(f.sqlstate, "22023");
        assert!(f.message.contains("more than the 4194304"), "{f:?}");
    }

    #[pg_test]
    fn calcom_signatures_are_checked_once_a_secret_is_set() {
        pool_of(2);
        set_secret("calcom");
        let body = calcom!("booking-created.json");
        let before = state();
        for (signature, why) in [
            (None, "no X-Cal-Signature-256 header"),
            (Some("00".repeat(32)), "is not the HMAC-SHA256 of the body"),
            (Some(calcom_signature(&body.replace("18:00", "19:00"))), "is not the HMAC-SHA256 of the body"),
        ] {
            let sql = format!("SELECT calcom_webhook($${body}$$, {}, {})", signature.map_or("NULL".into(), |s| format!("'{s}'")), ts(0));
            let f = assert_refused(&sql, "28000", why);
            assert!(f.message.starts_with("phone_holds: Cal.com webhook refused"), "{f:?}");
            assert!(f.hint.contains("raw body"), "{f:?}");
        }
        assert_eq!(state(), before);
        let good = deliver("calcom_webhook", body, Some(&calcom_signature(body)), 0);
        assert_eq!((good["action"].as_str(), good["verified"].as_bool()), (Some("booked"), Some(true)), "{good}");
        // A secret for Cal.com says nothing about Calendly, which stays unsigned.
        assert_eq!(cly(calendly!("invitee-created.json"), 0)["verified"], false);
    }

    #[pg_test]
    fn calendly_signatures_are_checked_and_must_be_fresh() {
        pool_of(2);
        set_secret("calendly");
        let body = calendly!("invitee-created.json");
        let signed_now = calendly_signature(body, 0);
        let sql = |signature: &str, h: i64| format!("SELECT calendly_webhook($${body}$$, '{signature}', {})", ts(h));
        assert_refused(&format!("SELECT calendly_webhook($${body}$$, NULL, {})", ts(0)), "28000", "no Calendly-Webhook-Signature header");
        assert_refused(&sql(&signed_now.replace("t=", "at="), 0), "28000", "is not t=<unix time>");
        assert_refused(&sql(&calendly_signature(&body.replace("Dana", "Dane"), 0), 0), "28000", "is not the HMAC-SHA256");
        // Replayed an hour later: refused, though the signature is good.
        let stale = assert_refused(&sql(&calendly_signature(body, -3600), 0), "28000", "more than phone_holds.calendly_signature_tolerance (180 s)");
        assert!(stale.message.contains(" s from now"), "{stale:?}");
        // A caller cannot make an old signature fresh by dating the call back to it.
        let t0 = 1_760_788_800; // T0 as a Unix time
        assert_refused(&sql(&calendly_signature_at(body, t0), 0), "28000", "more than phone_holds.calendly_signature_tolerance");
        let good = deliver("calendly_webhook", body, Some(&calendly_signature(body, 60)), 0);
        assert_eq!((good["action"].as_str(), good["verified"].as_bool()), (Some("booked"), Some(true)), "{good}");
        // A superuser may widen the window.
        Spi::run("SET LOCAL phone_holds.calendly_signature_tolerance = '2h'").unwrap();
        assert_eq!(deliver("calendly_webhook", calendly!("invitee-canceled.json"), Some(&calendly_signature(calendly!("invitee-canceled.json"), -3600)), 1)["action"], "cancelled");
    }

    /// n8n answers a refused signature with 401, and nothing changes.
    #[pg_test]
    fn the_webhook_wrapper_answers_a_refused_signature_with_401() {
        pool_of(2);
        set_secret("calcom");
        let body = calcom!("booking-created.json");
        let before = state();
        let answer = |signature: &str| -> (i32, Value) {
            Spi::connect(|c| {
                let r = c
                    .select(
                        &format!("SELECT status, response FROM phone_holds_webhook('calcom_webhook', $1, {}, $2)", ts(0)),
                        None,
                        &[body.into(), signature.into()],
                    )
                    .unwrap()
                    .first();
                (r.get::<i32>(1).unwrap().unwrap(), r.get::<JsonB>(2).unwrap().unwrap().0)
            })
        };
        let (status, response) = answer("deadbeef");
        assert_eq!((status, response["sqlstate"].as_str()), (401, Some("28000")), "{response}");
        assert_eq!(state(), before);
        let (status, response) = answer(&calcom_signature(body));
        assert_eq!((status, response["action"].as_str()), (200, Some("booked")), "{response}");
        // The form without a signature still serves the VAPI workflows, and an unsigned
        // calendar body when no secret is set.
        assert_eq!(hook("calendly_webhook", calendly!("invitee-created.json"), 0).0, 200);
    }

    #[pg_test]
    fn the_role_that_calls_the_webhooks_cannot_read_the_secrets() {
        pool_of(2);
        set_secret("calcom");
        Spi::run(
            "CREATE ROLE phone_holds_n8n_test;
             GRANT EXECUTE ON FUNCTION calcom_webhook(text, text, timestamptz), phone_holds_verify_signature(text, text, text, timestamptz),
                                      phone_holds_set_webhook_secret(text, text) TO phone_holds_n8n_test;
             GRANT SELECT, UPDATE ON public.signalwire_phone_numbers TO phone_holds_n8n_test;
             GRANT SELECT, INSERT ON public.phone_hold_ledger TO phone_holds_n8n_test;
             GRANT SELECT, INSERT, UPDATE ON public.phone_hold_bookings TO phone_holds_n8n_test;
             SET LOCAL ROLE phone_holds_n8n_test",
        )
        .unwrap();
        let denied = failure("SELECT secret FROM public.phone_holds_webhook_secrets");
        assert_eq!(denied.sqlstate, "42501", "{denied:?}");
        let overwrite = failure("SELECT phone_holds_set_webhook_secret('calcom', 'mine')");
        assert_eq!(overwrite.sqlstate, "42501", "{overwrite:?}");
        // The check reads the secret for it, and says only whether the body was signed.
        let body = calcom!("booking-created.json");
        assert_refused(&format!("SELECT calcom_webhook($${body}$$, 'forged', {})", ts(0)), "28000", "not a hex");
        let good = deliver("calcom_webhook", body, Some(&calcom_signature(body)), 0);
        assert_eq!((good["action"].as_str(), good["verified"].as_bool()), (Some("booked"), Some(true)), "{good}");
        Spi::run("RESET ROLE").unwrap();
        // Nor can default privileges have handed it out: nobody but the owner has a grant.
        assert_eq!(count("SELECT count(*) FROM pg_class AS c, aclexplode(c.relacl) AS a WHERE c.oid = 'public.phone_holds_webhook_secrets'::regclass AND a.grantee <> c.relowner"), 0);
    }

    #[pg_test]
    fn secrets_are_set_cleared_and_checked() {
        set_up();
        assert_eq!(one("SELECT phone_holds_set_webhook_secret('calendly', 'k1')").as_deref(), Some("set the calendly webhook secret"));
        assert_eq!(one("SELECT phone_holds_set_webhook_secret('calendly', 'k2')").as_deref(), Some("set the calendly webhook secret"));
        assert_eq!(one("SELECT secret FROM public.phone_holds_webhook_secrets WHERE source = 'calendly'").as_deref(), Some("k2"));
        assert!(one("SELECT phone_holds_set_webhook_secret('calendly', NULL)").unwrap().starts_with("cleared"));
        assert_eq!(count("SELECT count(*) FROM public.phone_holds_webhook_secrets"), 0);
        // Letters are kept at either end (E'\v' once trimmed the letter v), the vertical tab is not.
        one("SELECT phone_holds_set_webhook_secret('calcom', E'\\x0Bv1secretv\\n')");
        assert_eq!(one("SELECT secret FROM public.phone_holds_webhook_secrets WHERE source = 'calcom'").as_deref(), Some("v1secretv"));
        for (sql, message) in [
            ("SELECT phone_holds_set_webhook_secret('twilio', 'k')", "is not a sender"),
            ("SELECT phone_holds_set_webhook_secret(NULL, 'k')", "NULL is not a sender"),
            ("SELECT phone_holds_set_webhook_secret('calcom', '  ')", "is blank"),
            ("SELECT phone_holds_verify_signature('twilio', '{}', NULL)", "is not a sender"),
        ] {
            let f = failure(sql);
            assert_eq!(f.sqlstate, "22023", "{sql}: {f:?}");
            assert!(f.message.contains(message), "{sql}: {f:?}");
            assert!(!f.hint.is_empty());
        }
    }

    #[pg_test]
    fn a_secret_pasted_with_whitespace_around_it_still_checks_and_one_of_only_whitespace_refuses() {
        pool_of(2);
        Spi::run(&format!("SELECT phone_holds_set_webhook_secret('calcom', E' {SECRET}\\n')")).unwrap();
        let body = calcom!("booking-created.json");
        let good = deliver("calcom_webhook", body, Some(&calcom_signature(body)), 0);
        assert_eq!((good["action"].as_str(), good["verified"].as_bool()), (Some("booked"), Some(true)), "{good}");
        // Stored without what the clipboard added; one of only whitespace is refused.
        assert_eq!(one("SELECT secret FROM public.phone_holds_webhook_secrets WHERE source = 'calcom'"), Some(SECRET.to_owned()));
        let blank = failure("SELECT phone_holds_set_webhook_secret('calcom', E'\\n\\t\\r ')");
        assert_eq!((blank.sqlstate.as_str(), blank.message.contains("blank")), ("22023", true), "{blank:?}");
        // One 0.9.0's setter stored (it kept newlines and tabs) refuses every delivery, saying why.
        Spi::run("UPDATE public.phone_holds_webhook_secrets SET secret = E'\\n\\t' WHERE source = 'calcom'").unwrap();
        let f = assert_refused(&format!("SELECT calcom_webhook($${body}$$, '{}', {})", calcom_signature(body), ts(1)), "28000", "only whitespace");
        assert!(f.message.contains("Cal.com"), "{f:?}");
    }

    /// Every hold change names its source and the booking that moved it.
    #[pg_test]
    fn the_ledger_says_which_booking_moved_the_number() {
        pool_of(2);
        cal(calcom!("booking-created.json"), 0);
        cal(calcom!("booking-rescheduled.json"), 1);
        cly(calendly!("invitee-created.json").replace(LEAD_A, LEAD_B).as_str(), 2);
        assert_eq!(
            one("SELECT string_agg(concat_ws(' ', event, lead_id, source, source_ref), E'\\n' ORDER BY id) FROM public.phone_hold_ledger"),
            Some(format!(
                "assigned {LEAD_A} calcom bk_7Qm2fT9x\nextended {LEAD_A} calcom bk_7Qm2fT9x\nrescheduled {LEAD_A} calcom bk_R4sZ8wLp\n\
                 assigned {LEAD_B} calendly https://api.calendly.com/scheduled_events/EVT-1/invitees/INV-1\n\
                 extended {LEAD_B} calendly https://api.calendly.com/scheduled_events/EVT-1/invitees/INV-1"
            ))
        );
        assert_eq!(
            one("SELECT string_agg(concat_ws(' ', source, booking, status, replaced_by), E'\\n' ORDER BY source, booking) FROM public.phone_hold_bookings"),
            Some(
                "calcom bk_7Qm2fT9x replaced bk_R4sZ8wLp\ncalcom bk_R4sZ8wLp booked\n\
                 calendly https://api.calendly.com/scheduled_events/EVT-1/invitees/INV-1 booked"
                    .into()
            )
        );
    }

    /// `body` (a fixture) with the JSON at `path` under its "payload" removed.
    fn without(body: &str, path: &[&str]) -> String {
        let mut v: Value = serde_json::from_str(body).unwrap();
        let mut at = &mut v["payload"];
        for key in &path[..path.len() - 1] {
            at = &mut at[*key];
        }
        at.as_object_mut().unwrap().remove(path[path.len() - 1]);
        v.to_string()
    }

    #[pg_test]
    fn a_move_that_names_no_lead_follows_the_booking_it_replaces() {
        pool_of(2);
        cal(calcom!("booking-created.json"), 0);
        let moved = cal(&without(calcom!("booking-rescheduled.json"), &["metadata", "lead_id"]), 1);
        assert_eq!((moved["action"].as_str(), moved["leadId"].as_str()), (Some("rescheduled"), Some(LEAD_A)), "{moved}");
        assert_eq!(hold(), held(WEDNESDAY, Some(TUESDAY), Some("rescheduled")));
        // Calendly's new invitee, naming no lead, after its canceled(rescheduled).
        cly(calendly!("invitee-created.json").replace(LEAD_A, LEAD_B).as_str(), 2);
        cly(calendly!("invitee-canceled-rescheduled.json").replace(LEAD_A, LEAD_B).as_str(), 3);
        let moved = cly(&without(calendly!("invitee-created-rescheduled.json"), &["tracking", "utm_content"]), 4);
        assert_eq!((moved["action"].as_str(), moved["leadId"].as_str()), (Some("rescheduled"), Some(LEAD_B)), "{moved}");
        assert_eq!(
            one(&format!("SELECT appointment_scheduled_at::text FROM public.signalwire_phone_numbers WHERE currently_assigned_to = '{LEAD_B}'")).as_deref(),
            Some(TUESDAY)
        );
    }

    #[pg_test]
    fn a_move_cannot_take_over_another_lead_s_booking() {
        pool_of(3);
        cal(calcom!("booking-created.json"), 0);
        let before = state();
        let bookings = one("SELECT string_agg(b::text, ';') FROM public.phone_hold_bookings AS b");
        // Lead B "reschedules" lead A's booking.
        let takeover = cal(&calcom!("booking-rescheduled.json").replace(LEAD_A, LEAD_B), 1);
        assert_eq!(takeover["action"], "none", "{takeover}");
        assert!(takeover["reason"].as_str().unwrap().contains(&format!("was made for lead {LEAD_A}")), "{takeover}");
        assert_eq!(state(), before, "a refused move wrote");
        assert_eq!(one("SELECT string_agg(b::text, ';') FROM public.phone_hold_bookings AS b"), bookings);
        // A's own cancel still finds its booking, and lets the number go.
        let cancel = calcom!("booking-cancelled.json").replace("bk_R4sZ8wLp", "bk_7Qm2fT9x").replace("2025-10-21T18:00:00+00:00", "2025-10-20T18:00:00+00:00");
        assert_eq!(cal(&cancel, 2)["action"], "cancelled");
        assert_eq!(hold(), held(&at(2), None, Some("cancelled")));
    }

    #[pg_test]
    fn calcom_lead_ids_in_two_places_must_agree() {
        pool_of(2);
        let mut body: Value = serde_json::from_str(calcom!("booking-created.json")).unwrap();
        body["payload"]["responses"]["lead_id"] = serde_json::json!({"label": "lead_id", "value": LEAD_B});
        let before = state();
        let answer = cal(&body.to_string(), 0);
        assert_eq!(answer["action"], "none", "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("disagree"), "{answer}");
        assert_eq!(state(), before);
        // The same lead in both places is read.
        body["payload"]["responses"]["lead_id"] = serde_json::json!(LEAD_A);
        assert_eq!(cal(&body.to_string(), 0)["action"], "booked");
    }

    #[pg_test]
    fn a_cancel_of_a_booking_never_recorded_changes_nothing() {
        pool_of(2);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        let before = state();
        let answer = cal(calcom!("booking-cancelled.json"), 1);
        assert_eq!(answer["action"], "none", "{answer}");
        assert!(answer["reason"].as_str().unwrap().contains("holds no appointment of the lead, so its cancel changes nothing"), "{answer}");
        assert_eq!(state(), before);
        assert_eq!(hold(), held(&at(18), None, None));
    }

    const THURSDAY: &str = "2025-10-23 18:00:00+00";

    /// The BOOKING_CREATED Cal.com sends (handleConfirmation) once the booking of `fixture` is
    /// paid or confirmed, made at `created_at`: accepted, its metadata replaced, no lead id.
    fn confirmation_of(fixture: &str, created_at: &str) -> String {
        let mut body: Value = serde_json::from_str(fixture).unwrap();
        body["triggerEvent"] = "BOOKING_CREATED".into();
        body["createdAt"] = created_at.into();
        let payload = body["payload"].as_object_mut().unwrap();
        let video = format!("https://app.cal.com/video/{}", payload["uid"].as_str().unwrap());
        payload.insert("metadata".into(), serde_json::json!({ "videoCallUrl": video }));
        payload.insert("status".into(), "ACCEPTED".into());
        payload.remove("paymentId");
        body.to_string()
    }

    /// The confirmation of the paid booking, made `minute` minutes past 12:12.
    fn paid_booking_created(minute: u32) -> String {
        confirmation_of(calcom!("booking-paid.json"), &format!("2025-10-18T12:{:02}:31.000Z", 12 + minute))
    }

    fn appointments() -> String {
        one("SELECT string_agg(concat_ws(' ', source, reference, appointment_at, status), '; ' ORDER BY id) FROM public.phone_hold_appointments").unwrap_or_default()
    }

    #[pg_test]
    fn a_paid_booking_holds_from_its_payment_in_either_order() {
        pool_of(2);
        // Lead A's booking is paid before its confirmation arrives; lead B's after.
        for (lead, uid, order) in [(LEAD_A, "bk_Pa1dC0n5", ["initiated", "paid", "created"]), (LEAD_B, "bk_Pa1dC0n6", ["initiated", "created", "paid"])] {
            let created = paid_booking_created(if order[1] == "created" { 0 } else { 1 });
            for (i, step) in order.iter().enumerate() {
                let body = match *step {
                    "initiated" => calcom!("booking-payment-initiated.json").to_owned(),
                    "paid" => calcom!("booking-paid.json").to_owned(),
                    _ => created.clone(),
                };
                let body = body.replace("bk_Pa1dC0n5", uid).replace(LEAD_A, lead);
                let answer = cal(&body, i as i64);
                if *step == "paid" && i == 2 {
                    // Cal.com makes BOOKING_PAID just before the CREATED it sends on payment:
                    // delivered after it, it is older news and changes nothing.
                    assert_eq!(answer["action"], "none", "{order:?} {step}: {answer}");
                    assert!(answer["reason"].as_str().unwrap().contains("before \"BOOKING_CREATED\""), "{answer}");
                    continue;
                }
                // BOOKING_PAID and the confirmation's CREATED name no lead: the payment's first
                // event recorded it with the booking.
                assert_eq!((answer["action"].as_str(), answer["leadId"].as_str()), (Some("booked"), Some(lead)), "{order:?} {step}: {answer}");
                assert_eq!(answer["releaseAt"], "2025-10-24T18:00:00Z", "{order:?} {step}: {answer}");
            }
            let release_at = one(&format!("SELECT release_at::text FROM public.signalwire_phone_numbers WHERE currently_assigned_to = '{lead}'"));
            assert_eq!(release_at.as_deref(), Some("2025-10-24 18:00:00+00"), "{order:?}: the same hold either way");
            let appointments = one(&format!(
                "SELECT string_agg(concat_ws(' ', source, reference, appointment_at, status), '; ') FROM public.phone_hold_appointments WHERE lead_id = '{lead}'"
            ));
            assert_eq!(appointments.as_deref(), Some(format!("calcom {uid} 2025-10-23 18:00:00+00 booked").as_str()), "{order:?}: one appointment");
            let extended = count(&format!("SELECT count(*) FROM public.phone_hold_ledger WHERE lead_id = '{lead}' AND event = 'extended'"));
            assert_eq!(extended, 1, "{order:?}: booked once, the repeats wrote nothing");
        }
    }

    #[pg_test]
    fn a_payment_that_names_no_known_lead_changes_nothing_until_its_lead_is_known() {
        pool_of(2);
        let before = state();
        let paid = cal(calcom!("booking-paid.json"), 0);
        assert_eq!(paid["action"], "none", "{paid}");
        assert!(paid["reason"].as_str().unwrap().contains("names no lead"), "{paid}");
        assert_eq!(state(), before);
        // The payment's first event, delivered late, books; the paid one again changes nothing.
        assert_eq!(cal(calcom!("booking-payment-initiated.json"), 1)["action"], "booked");
        let again = cal(calcom!("booking-paid.json"), 2);
        assert_eq!(again["action"], "booked", "{again}");
        assert_eq!(hold(), held("2025-10-24 18:00:00+00", Some(THURSDAY), None));
        // With the lead as a booking question, BOOKING_PAID keeps it (responses are not replaced).
        let mut question: Value = serde_json::from_str(calcom!("booking-paid.json")).unwrap();
        question["payload"]["uid"] = "bk_Qu3st10n".into();
        question["payload"]["responses"]["lead_id"] = serde_json::json!({"label": "lead_id", "value": LEAD_B, "isHidden": true});
        let b = cal(&question.to_string(), 3);
        assert_eq!((b["action"].as_str(), b["leadId"].as_str()), (Some("booked"), Some(LEAD_B)), "{b}");
    }

    #[pg_test]
    fn a_requested_booking_holds_until_the_host_rejects_it() {
        pool_of(2);
        let requested = cal(calcom!("booking-requested.json"), 0);
        assert_eq!(requested["action"], "booked", "{requested}");
        assert_eq!(hold(), held("2025-10-23 18:00:00+00", Some(WEDNESDAY), None));
        // Rejected: no lead in the body; the booking's lead, and its appointment ends.
        let rejected = cal(calcom!("booking-rejected.json"), 3);
        assert_eq!((rejected["action"].as_str(), rejected["leadId"].as_str()), (Some("cancelled"), Some(LEAD_A)), "{rejected}");
        assert_eq!(hold(), held(&at(3), None, Some("cancelled")));
        assert_eq!(appointments(), "calcom bk_Pend1ng0 2025-10-22 18:00:00+00 cancelled");
        // A rejection of a booking phone_holds never saw changes nothing.
        Spi::run("DELETE FROM public.phone_hold_bookings").unwrap();
        let unknown = cal(&calcom!("booking-rejected.json").replace("15:00:00", "16:00:00"), 4);
        assert_eq!(unknown["action"], "none", "{unknown}");
    }

    #[pg_test]
    fn a_requested_booking_the_host_confirms_stays_booked() {
        pool_of(2);
        cal(calcom!("booking-requested.json"), 0);
        // The confirmation's CREATED (metadata replaced, no lead) books the same appointment.
        let answer = cal(&confirmation_of(calcom!("booking-requested.json"), "2025-10-18T14:00:00.000Z"), 2);
        assert_eq!((answer["action"].as_str(), answer["leadId"].as_str()), (Some("booked"), Some(LEAD_A)), "{answer}");
        assert_eq!(appointments(), "calcom bk_Pend1ng0 2025-10-22 18:00:00+00 booked");
    }
}
