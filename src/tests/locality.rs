//! Local presence: a lead's previous number, else one of its area code, of its state, or any
//! (`phone_holds.geo_match`); numbers rest before another lead gets them
//! (`phone_holds.min_rest`); retired numbers are never handed out.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::rules::{nanp, phone};
    use crate::tests::support::*;
    use pgrx::datum::JsonB;
    use pgrx::prelude::*;
    use serde_json::Value;

    const LEAD_D: &str = "4d4d4d4d-0000-4000-8000-000000000004";
    const LEAD_E: &str = "5e5e5e5e-0000-4000-8000-000000000005";
    /// San Francisco and Los Angeles (California), Manhattan (New York).
    const SF_1: &str = "+14155550101";
    const SF_2: &str = "+14155550102";
    const LA: &str = "+13105550101";
    const NYC: &str = "+12125550101";
    /// Leads' phones.
    const IN_SF: &str = "+1 (415) 555-7000";
    const IN_NYC: &str = "+12125557000";

    /// A pool of these numbers, never used, and no rest (unless a test sets it): their order
    /// among equals is their text order, +1212 < +1310 < +1415.
    fn pool(numbers: &[&str]) {
        set_up();
        Spi::run("SET LOCAL phone_holds.min_rest = 0").unwrap();
        for n in numbers {
            Spi::run_with_args("INSERT INTO public.signalwire_phone_numbers (number) VALUES ($1)", &[(*n).into()]).unwrap();
        }
    }

    /// `assign_phone_to_lead(lead, T0 + h, phone)`.
    fn assign(lead: &str, h: i64, phone: &str) -> String {
        one(&format!("SELECT assign_phone_to_lead('{lead}', {}, '{phone}')", ts(h))).unwrap()
    }

    /// The tier and phone of the lead's latest assignment, by the ledger.
    fn assigned_how(lead: &str) -> (String, Option<String>) {
        Spi::connect(|c| {
            let r = c
                .select(
                    "SELECT geo_tier, lead_phone FROM public.phone_hold_ledger
                      WHERE lead_id = $1::uuid AND event = 'assigned' ORDER BY id DESC LIMIT 1",
                    None,
                    &[lead.into()],
                )
                .unwrap()
                .first();
            (r.get::<String>(1).unwrap().unwrap(), r.get(2).unwrap())
        })
    }

    /// The lead's number released at T0 + h (cancelled, then the release run).
    fn release(lead: &str, h: i64) {
        Spi::run(&format!("SELECT complete_appointment_for_phone('{lead}', 'cancelled', {0}); SELECT release_expired_phone_numbers({0})", ts(h)))
            .unwrap();
    }

    #[pg_test]
    fn area_code_then_state_then_any_and_each_is_recorded() {
        pool(&[SF_1, LA, NYC]);
        assert_eq!(assign(LEAD_A, 0, IN_SF), SF_1);
        assert_eq!(assigned_how(LEAD_A), ("area_code".into(), Some("+14155557000".into())));
        // San Francisco's only number is taken: Los Angeles is in the same state.
        assert_eq!(assign(LEAD_B, 0, IN_SF), LA);
        assert_eq!(assigned_how(LEAD_B).0, "state");
        // California is taken: any number.
        assert_eq!(assign(LEAD_C, 0, IN_SF), NYC);
        assert_eq!(assigned_how(LEAD_C).0, "any");
    }

    #[pg_test]
    fn the_previous_number_comes_first_even_from_another_area() {
        pool(&[SF_1, NYC]);
        assert_eq!(assign(LEAD_A, 0, IN_SF), SF_1);
        release(LEAD_A, 1);
        // Back from New York: its old San Francisco number, not the local one.
        assert_eq!(assign(LEAD_A, 2, IN_NYC), SF_1);
        assert_eq!(assigned_how(LEAD_A).0, "previous");
        // A lead that holds a number keeps it, whatever phone it gives.
        assert_eq!(assign(LEAD_A, 3, IN_NYC), SF_1);
    }

    #[pg_test]
    fn within_a_tier_the_number_rested_longest() {
        pool(&[SF_1, SF_2, NYC]);
        // SF_1 is released at T0+1, SF_2 at T0+2: SF_1 has rested longer.
        assert_eq!(assign(LEAD_A, 0, IN_SF), SF_1);
        assert_eq!(assign(LEAD_B, 0, IN_SF), SF_2);
        release(LEAD_A, 1);
        release(LEAD_B, 2);
        assert_eq!(assign(LEAD_C, 5, IN_SF), SF_1);
        assert_eq!(assign(LEAD_D, 5, IN_SF), SF_2);
    }

    #[pg_test]
    fn within_the_state_the_number_rested_longest_across_its_area_codes() {
        const SAN_DIEGO: &str = "+16195550101";
        pool(&[LA, SAN_DIEGO, NYC]);
        // Los Angeles released at T0+1, San Diego at T0: San Diego has rested longer, and
        // New York (never used) is in another state.
        Spi::run(&format!(
            "UPDATE signalwire_phone_numbers SET released_at = CASE number WHEN '{LA}' THEN {} WHEN '{SAN_DIEGO}' THEN {} END WHERE number <> '{NYC}'",
            ts(1),
            ts(0)
        ))
        .unwrap();
        assert_eq!(assign(LEAD_A, 5, IN_SF), SAN_DIEGO);
        assert_eq!(assign(LEAD_B, 5, IN_SF), LA);
        assert_eq!(assigned_how(LEAD_B).0, "state");
        assert_eq!(assign(LEAD_C, 5, IN_SF), NYC);
        // Resting numbers of the state are passed over for any number.
        Spi::run("SET LOCAL phone_holds.min_rest = '1h'").unwrap();
        release(LEAD_B, 6);
        Spi::run("INSERT INTO signalwire_phone_numbers (number) VALUES ('+12125550102')").unwrap();
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_D}', {}::timestamptz + interval '30 minutes', '{IN_SF}')", ts(6))).as_deref(), Some("+12125550102"));
        assert_eq!(assigned_how(LEAD_D).0, "any");
    }

    #[pg_test]
    fn without_a_phone_or_outside_the_nanp_any_number() {
        pool(&[NYC, SF_1]);
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap(), NYC);
        assert_eq!(assigned_how(LEAD_A), ("any".into(), None));
        assert_eq!(assign(LEAD_B, 0, "+44 20 7946 0958"), SF_1);
        assert_eq!(assigned_how(LEAD_B), ("any".into(), Some("+442079460958".into())));
    }

    #[pg_test]
    fn geo_match_state_and_off() {
        pool(&[NYC, LA, SF_1]);
        Spi::run("SET LOCAL phone_holds.geo_match = 'state'").unwrap();
        // The whole state at once: LA and SF_1 have rested alike (never used), LA sorts first.
        assert_eq!(assign(LEAD_A, 0, IN_SF), LA);
        assert_eq!(assigned_how(LEAD_A).0, "state");
        Spi::run("SET LOCAL phone_holds.geo_match = 'off'").unwrap();
        assert_eq!(assign(LEAD_B, 0, IN_SF), NYC);
        assert_eq!(assigned_how(LEAD_B).0, "any");
        Spi::run("SET LOCAL phone_holds.geo_match = 'area_code'").unwrap();
        assert_eq!(assign(LEAD_C, 0, IN_SF), SF_1);
        let bad = failure("SET LOCAL phone_holds.geo_match = 'country'");
        assert_eq!(bad.sqlstate, "22023", "{bad:?}");
        assert!(bad.hint.contains("area_code, state, off"), "{bad:?}");
    }

    #[pg_test]
    fn a_released_number_rests_before_another_lead_gets_it() {
        pool(&[SF_1, LA]);
        Spi::run("SET LOCAL phone_holds.min_rest = '1h'").unwrap();
        assert_eq!(assign(LEAD_A, 0, IN_SF), SF_1);
        release(LEAD_A, 18);
        // 30 minutes after: SF_1 rests, so another San Francisco lead gets LA.
        let half_past = format!("{}::timestamptz + interval '30 minutes'", ts(18));
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {half_past}, '{IN_SF}')")).unwrap(), LA);
        // Its previous holder may have it back at once.
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {half_past}, '{IN_SF}')")).unwrap(), SF_1);
        assert_eq!(assigned_how(LEAD_A).0, "previous");
    }

    #[pg_test]
    fn a_rested_number_goes_to_another_lead_after_min_rest() {
        pool(&[SF_1]);
        Spi::run("SET LOCAL phone_holds.min_rest = '1h'").unwrap();
        assert_eq!(assign(LEAD_A, 0, IN_SF), SF_1);
        release(LEAD_A, 18);
        assert_eq!(assign(LEAD_B, 19, IN_SF), SF_1);
    }

    #[pg_test]
    fn a_number_another_lead_held_since_rests_even_for_its_previous_holder() {
        pool(&[SF_1, LA]);
        Spi::run("SET LOCAL phone_holds.min_rest = '1h'").unwrap();
        assert_eq!(assign(LEAD_A, 0, IN_SF), SF_1);
        release(LEAD_A, 18);
        // SF_1 rested; B gets it, and lets it go at T0 + 38 h.
        assert_eq!(assign(LEAD_B, 20, IN_SF), SF_1);
        release(LEAD_B, 38);
        // A minute later A comes back: SF_1 was B's a minute ago, so it rests, and A gets LA.
        let minute_after = format!("{}::timestamptz + interval '1 minute'", ts(38));
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {minute_after}, '{IN_SF}')")).unwrap(), LA);
        assert_eq!(assigned_how(LEAD_A).0, "state");
        // Once rested, its previous holder may have it back.
        release(LEAD_A, 60);
        assert_eq!(assign(LEAD_A, 61, IN_SF), LA);
        assert_eq!(assigned_how(LEAD_A).0, "previous");
        // With no rest at all, the previous number comes back at once as before.
        release(LEAD_A, 80);
        Spi::run("SET LOCAL phone_holds.min_rest = 0").unwrap();
        assert_eq!(assign(LEAD_B, 80, IN_SF), SF_1);
        release(LEAD_B, 90);
        assert_eq!(assign(LEAD_A, 90, IN_SF), LA);
        assert_eq!(assigned_how(LEAD_A).0, "previous");
    }

    #[pg_test]
    fn a_sub_second_rest_is_kept_not_rounded_to_none() {
        pool(&[SF_1]);
        Spi::run("SET LOCAL phone_holds.min_rest = '500ms'").unwrap();
        assert_eq!(one("SELECT current_setting('phone_holds.min_rest')").as_deref(), Some("500ms"));
        assert_eq!(one("SELECT phone_holds_min_rest()::text").as_deref(), Some("00:00:00.5"));
        assign(LEAD_A, 0, IN_SF);
        release(LEAD_A, 18);
        let f = failure(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {}::timestamptz + interval '300 milliseconds')", ts(18)));
        assert_eq!(f.sqlstate, "53000", "{f:?}");
        let later = format!("{}::timestamptz + interval '600 milliseconds'", ts(18));
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {later})")).as_deref(), Some(SF_1));
    }

    #[pg_test]
    fn only_resting_numbers_left_is_53000_saying_how_many_and_until_when() {
        pool(&[SF_1, LA]);
        Spi::run("SET LOCAL phone_holds.min_rest = '2h'").unwrap();
        assign(LEAD_A, 0, IN_SF);
        assign(LEAD_B, 0, IN_SF);
        release(LEAD_A, 18);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_B}', {}, {})", ts(30), ts(0))).unwrap();
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_B}', 'cancelled', {0}); SELECT release_expired_phone_numbers({0})", ts(19)))
            .unwrap();
        let f = assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_C}', {})", ts(19)), "53000", "2 numbers are resting after their release");
        assert!(f.hint.contains("phone_holds.min_rest"), "{f:?}");
        assert!(f.detail.contains("phone_holds.min_rest is 02:00:00"), "{f:?}");
        assert!(f.detail.contains("The first is free again at 2025-10-19 08:00:00+00"), "{f:?}");
        // Without resting numbers it is the plain empty pool.
        Spi::run("SET LOCAL phone_holds.min_rest = 0").unwrap();
        assign(LEAD_C, 19, IN_SF);
        assign(LEAD_D, 19, IN_SF);
        let f = assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_E}', {})", ts(19)), "53000", "no phone number is available");
        assert!(!f.message.contains("resting"), "{f:?}");
    }

    #[pg_test]
    fn a_retired_number_is_never_handed_out_until_restored() {
        pool(&[SF_1, SF_2]);
        assert_eq!(one(&format!("SELECT retire_phone_number('{SF_1}', 'Spam Likely on carriers', {})::text", ts(0))).as_deref(), Some("true"));
        assert_eq!(assign(LEAD_A, 1, IN_SF), SF_2);
        let retired = one(&format!("SELECT retired_at::text || ' ' || retired_reason FROM signalwire_phone_numbers WHERE number = '{SF_1}'"));
        assert_eq!(retired.as_deref(), Some(format!("{} Spam Likely on carriers", at(0)).as_str()));
        assert_eq!(
            one(&format!("SELECT event || ' ' || coalesce(lead_id::text, '-') || ' ' || reason || ' ' || source FROM phone_hold_ledger WHERE number = '{SF_1}'")).as_deref(),
            Some("retired - Spam Likely on carriers sql")
        );
        // Again: nothing changes.
        let before = state();
        assert_eq!(one(&format!("SELECT retire_phone_number('{SF_1}', 'again')::text")).as_deref(), Some("false"));
        assert_eq!(state(), before);
        // The only other number is held: nothing to hand out.
        assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_B}', {}, '{IN_SF}')", ts(1)), "53000", "no phone number is available");
        assert_eq!(count("SELECT retired FROM phone_pool_status"), 1);
        assert_eq!(count("SELECT available FROM phone_pool_status"), 0);
        assert_eq!(one(&format!("SELECT restore_phone_number('{SF_1}', {})::text", ts(2))).as_deref(), Some("true"));
        assert_eq!(assign(LEAD_B, 2, IN_SF), SF_1);
        assert_eq!(count(&format!("SELECT count(*) FROM phone_hold_ledger WHERE number = '{SF_1}' AND event = 'restored' AND lead_id IS NULL")), 1);
        assert_eq!(one(&format!("SELECT restore_phone_number('{SF_1}')::text")).as_deref(), Some("false"));
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
    }

    #[pg_test]
    fn a_held_number_retired_stays_with_its_lead_and_leaves_rotation_at_release() {
        pool(&[SF_1, SF_2]);
        assert_eq!(assign(LEAD_A, 0, IN_SF), SF_1);
        assert_eq!(one(&format!("SELECT retire_phone_number('{SF_1}', 'being ported', {})::text", ts(1))).as_deref(), Some("true"));
        // Still the lead's, through its whole hold: a reply keeps it.
        assert_eq!(assign(LEAD_A, 2, IN_SF), SF_1);
        assert_eq!(row(SF_1).1.as_deref(), Some(LEAD_A));
        assert_eq!(count(&format!("SELECT count(*) FROM phone_hold_ledger WHERE number = '{SF_1}' AND event = 'retired' AND lead_id = '{LEAD_A}'")), 1);
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
        // Released: back in the table, not in rotation, not even for its previous holder.
        Spi::run(&format!("SELECT release_expired_phone_numbers({})", ts(21))).unwrap();
        assert_eq!(row(SF_1).0, "available");
        assert_eq!(assign(LEAD_A, 22, IN_SF), SF_2);
        assert_eq!(assigned_how(LEAD_A).0, "area_code");
        assert_eq!(count("SELECT count(*) FROM phone_holds_check()"), 0);
    }

    #[pg_test]
    fn retiring_refuses_what_it_cannot_do() {
        pool(&[SF_1]);
        assert_refused(&format!("SELECT retire_phone_number('{SF_2}', 'x')"), "P0002", "is not in public.signalwire_phone_numbers");
        assert_refused(&format!("SELECT restore_phone_number('{SF_2}')"), "P0002", "is not in public.signalwire_phone_numbers");
        assert_refused("SELECT retire_phone_number(NULL, 'x')", "22004", "phone_number must not be NULL");
        assert_refused(&format!("SELECT retire_phone_number('{SF_1}', 'x', NULL)"), "22004", "as_of must not be NULL");
        for reason in ["NULL", "'  '", "repeat('x', 501)"] {
            assert_refused(&format!("SELECT retire_phone_number('{SF_1}', {reason})"), "22023", "with a reason of 1 to 500 characters");
        }
    }

    #[pg_test]
    fn lead_phones_that_are_not_e164_are_22023_never_guessed() {
        pool(&[SF_1]);
        for phone in ["4155550123", "(415) 555-0123", "415.555.0123", "+1 415 555 0123 ext 2", "anonymous"] {
            for sql in [
                format!("SELECT assign_phone_to_lead('{LEAD_A}', {}, '{phone}')", ts(0)),
                format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {}, '{phone}')", ts(30), ts(0)),
                format!("SELECT extend_phone_for_appointment('{LEAD_A}', '2025-10-20T14:00:00Z'::timestamp, lead_phone => '{phone}')"),
                format!("SELECT reschedule_appointment_for_phone('{LEAD_A}', {}, {}, '{phone}')", ts(30), ts(0)),
            ] {
                let f = assert_refused(&sql, "22023", "is not an E.164 phone number");
                assert!(f.hint.contains("+14155550123"), "{f:?}");
            }
        }
        let f = assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_A}', lead_phone => '+1415555012')"), "22023", "is not a North American number");
        assert!(f.hint.contains("E.164"), "{f:?}");
        // A time where the phone goes says so.
        let f = assert_refused(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {}, '2025-10-18 12:00+00')", ts(0)), "22023", "E.164");
        assert!(f.hint.contains("as_of =>"), "{f:?}");
        // Blank is not known, not wrong.
        assert_eq!(assign(LEAD_A, 0, " "), SF_1);
        assert_eq!(assigned_how(LEAD_A), ("any".into(), None));
    }

    #[pg_test]
    fn every_earlier_call_form_means_what_it_did() {
        pool(&[SF_1, SF_2, LA, NYC]);
        // Untyped literals for as_of, positional and by name; the seed's zone-less form.
        for sql in [
            format!("SELECT assign_phone_to_lead('{LEAD_A}', '2025-10-18 12:00+00')"),
            format!("SELECT assign_phone_to_lead('{LEAD_A}', as_of => '2025-10-18 13:00+00')"),
            format!("SELECT assign_phone_to_lead('{LEAD_A}')"),
            format!("SELECT extend_phone_for_appointment('{LEAD_B}', '2025-10-20 14:00+00', '2025-10-18 12:00+00')::text"),
            format!("SELECT extend_phone_for_appointment('{LEAD_B}'::UUID, '2025-10-20T14:00:00Z'::TIMESTAMP, as_of => '2025-10-18 12:00+00')::text"),
            format!("SELECT extend_phone_for_appointment('{LEAD_B}', appointment_time => '2025-10-20 15:00+00', as_of => '2025-10-18 12:00+00')::text"),
            format!("SELECT reschedule_appointment_for_phone('{LEAD_B}', '2025-10-21 10:00+00', '2025-10-18 13:00+00')::text"),
        ] {
            Spi::run(&sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        assert_eq!(count(&format!("SELECT count(*) FROM phone_hold_ledger WHERE lead_id = '{LEAD_A}' AND at = {}", ts(0))), 1);
        assert_eq!(row(&number_of(LEAD_B).unwrap()).3.as_deref(), Some("2025-10-21 10:00:00+00"));
        // The new argument, by name or after as_of.
        assert_eq!(one(&format!("SELECT assign_phone_to_lead('{LEAD_C}', lead_phone => '{IN_SF}')")).as_deref(), Some(SF_1));
        assert_eq!(assigned_how(LEAD_C).0, "area_code");
    }

    #[pg_test]
    fn extending_and_rescheduling_choose_near_the_phone_too() {
        pool(&[NYC, SF_1, SF_2]);
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {}, '{IN_SF}')", ts(30), ts(0))).unwrap();
        assert_eq!(number_of(LEAD_A).as_deref(), Some(SF_1));
        Spi::run(&format!("SELECT reschedule_appointment_for_phone('{LEAD_B}', {}, {}, '{IN_SF}')", ts(30), ts(0))).unwrap();
        assert_eq!(number_of(LEAD_B).as_deref(), Some(SF_2));
        assert_eq!(assigned_how(LEAD_B), ("area_code".into(), Some("+14155557000".into())));
        // Booking again with a phone records it; the number stays.
        Spi::run(&format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {}, '{IN_NYC}')", ts(40), ts(1))).unwrap();
        assert_eq!(number_of(LEAD_A).as_deref(), Some(SF_1));
        assert_eq!(
            one(&format!("SELECT lead_phone FROM phone_hold_ledger WHERE lead_id = '{LEAD_A}' ORDER BY id DESC LIMIT 1")).as_deref(),
            Some(IN_NYC)
        );
    }

    #[pg_test]
    fn vapi_uses_the_caller_s_number_to_choose_and_records_only_a_proven_phone() {
        pool(&[NYC, SF_1, SF_2]);
        let book = include_str!("../../examples/vapi/tool-calls-book.json");
        // An inbound call from San Francisco: a local number, but the caller's number is not
        // recorded as the lead's (someone else may be calling about it).
        let inbound = book.replace("outboundPhoneCall", "inboundPhoneCall").replace("+15550100001", "+14155557001");
        let sql = format!("SELECT vapi_tool_calls($1::jsonb, {})", ts(0));
        let said: Value = Spi::get_one_with_args::<JsonB>(&sql, &[inbound.as_str().into()]).unwrap().unwrap().0;
        assert!(said["results"][0]["result"].as_str().unwrap().contains(SF_1), "{said}");
        assert_eq!(assigned_how(LEAD_A), ("area_code".into(), None));
        // The tool call's own lead_phone is the lead's: recorded, and chosen by.
        let told = book
            .replace("07f26a19-e9dc-422c-b61d-030e3c7971bb", LEAD_B)
            .replace("\"appointment_time\": \"2025-10-20T14:00:00-04:00\"", "\"appointment_time\": \"2025-10-20T14:00:00-04:00\", \"lead_phone\": \"+1 212 555 7002\"")
            .replace("+15550100001", "+14155557001");
        Spi::get_one_with_args::<JsonB>(&sql, &[told.as_str().into()]).unwrap();
        assert_eq!(number_of(LEAD_B).as_deref(), Some(NYC));
        assert_eq!(assigned_how(LEAD_B), ("area_code".into(), Some("+12125557002".into())));
        // A tool call with a bad phone is refused with the reason, and changes nothing.
        let bad = told.replace(LEAD_B, LEAD_C).replace("+1 212 555 7002", "212-555-7002");
        let before = state();
        let said: Value = Spi::get_one_with_args::<JsonB>(&sql, &[bad.as_str().into()]).unwrap().unwrap().0;
        assert!(said["results"][0]["result"].as_str().unwrap().contains("is not an E.164"), "{said}");
        assert_eq!(state(), before);
    }

    #[pg_test]
    fn the_pool_by_area_code_and_by_region() {
        pool(&[SF_1, SF_2, LA, NYC, "+18005550100", "555-0100"]);
        Spi::run("SET LOCAL phone_holds.min_rest = '1h'").unwrap();
        assign(LEAD_A, 0, IN_SF);
        Spi::run(&format!("SELECT retire_phone_number('{LA}', 'ported out', {})", ts(0))).unwrap();
        assign(LEAD_B, 0, IN_NYC);
        release(LEAD_B, 1);
        let by_area: Vec<String> = Spi::connect(|c| {
            c.select(&format!("SELECT concat_ws(' ', coalesce(area_code, '-'), coalesce(region, '-'), available, resting, assigned, retired) FROM phone_pool_by_area_code({})", ts(1)), None, &[])
                .unwrap()
                .map(|r| r.get::<String>(1).unwrap().unwrap())
                .collect()
        });
        // Fewest available first: Los Angeles (retired), then one each: New York (resting),
        // San Francisco (the other held), toll-free, and the number that is not E.164.
        assert_eq!(by_area, ["310 US-CA 0 0 0 1", "212 US-NY 1 1 0 0", "415 US-CA 1 0 1 0", "800 - 1 0 0 0", "- - 1 0 0 0"]);
        let by_region: Vec<String> = Spi::connect(|c| {
            c.select(&format!("SELECT concat_ws(' ', coalesce(region, '-'), area_codes, available, resting, assigned, retired) FROM phone_pool_by_region({})", ts(1)), None, &[])
                .unwrap()
                .map(|r| r.get::<String>(1).unwrap().unwrap())
                .collect()
        });
        assert_eq!(by_region, ["US-CA 2 1 0 1 1", "US-NY 1 1 1 0 0", "- 1 2 0 0 0"]);
        assert_eq!(count("SELECT count(*) FROM phone_holds_area_codes() WHERE region = 'US-CA'"), nanp::area_codes_of("US-CA").count() as i64);
        assert!(one("SELECT phone_holds_area_codes_source()").unwrap().starts_with("phonenumbers "));
    }

    #[pg_test]
    fn numbers_the_area_code_cannot_be_read_from_are_reported_with_their_row() {
        set_up();
        let numbers = ["+14155550101", "415-555-0102", "+1 415 555 0103", "+1415555010", "+442079460958", "+10155550104", "+15550100001"];
        for n in numbers {
            Spi::run_with_args("INSERT INTO public.signalwire_phone_numbers (number) VALUES ($1)", &[n.into()]).unwrap();
        }
        let mut reported: Vec<(String, String)> = Spi::connect(|c| {
            c.select("SELECT number, problem FROM phone_holds_check()", None, &[])
                .unwrap()
                .map(|r| (r.get::<String>(1).unwrap().unwrap(), r.get::<String>(2).unwrap().unwrap()))
                .collect()
        });
        reported.sort();
        // The SQL check and the Rust rules agree on every one.
        let mut expected: Vec<&str> = numbers
            .iter()
            .copied()
            .filter(|n| phone::e164(n).as_deref() != Some(*n) || nanp::misshapen(n))
            .collect();
        expected.sort();
        assert_eq!(reported.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), expected);
        assert_eq!(expected, ["+1 415 555 0103", "+10155550104", "+1415555010", "415-555-0102"]);
        assert!(reported.iter().all(|(_, p)| p.contains("never matches a lead's area code")), "{reported:?}");
        assert!(reported[1].1.contains("not a North American number"), "{reported:?}");
        // Such numbers are still handed out, as any number.
        Spi::run("SET LOCAL phone_holds.min_rest = 0").unwrap();
        Spi::run("DELETE FROM signalwire_phone_numbers WHERE number LIKE '+1415%'").unwrap();
        assert_eq!(assign(LEAD_A, 0, IN_SF), "+1 415 555 0103");
        assert_eq!(assigned_how(LEAD_A).0, "any");
    }

    #[pg_test]
    fn phones_with_an_unassigned_country_code_are_refused_and_reported() {
        pool(&[SF_1]);
        for phone in ["+99912345678", "+990 1234 5678", "+2801234567"] {
            for sql in [
                format!("SELECT assign_phone_to_lead('{LEAD_A}', {}, '{phone}')", ts(0)),
                format!("SELECT extend_phone_for_appointment('{LEAD_A}', {}, {}, '{phone}')", ts(30), ts(0)),
            ] {
                let f = assert_refused(&sql, "22023", "begins with no assigned country calling code");
                assert!(f.hint.contains("assigned country code"), "{f:?}");
            }
        }
        assert_eq!(number_of(LEAD_A), None, "nothing was held");
        // A VAPI tool call that says one: the agent hears why, and nothing is held.
        let call = serde_json::json!({"message": {"type": "tool-calls", "toolCallList": [{"id": "c1", "function": {"name": "book_appointment",
            "arguments": {"lead_id": LEAD_A, "appointment_time": "2025-10-20T18:00:00Z", "lead_phone": "+99912345678"}}}]}});
        let said = Spi::get_one_with_args::<pgrx::datum::JsonB>(&format!("SELECT vapi_tool_calls($1::text, {})", ts(0)), &[call.to_string().into()]).unwrap().unwrap().0;
        assert!(said["results"][0]["result"].as_str().unwrap().contains("no assigned country calling code"), "{said}");
        assert_eq!(number_of(LEAD_A), None);
        // Non-geographic codes are assigned.
        assert_eq!(assign(LEAD_A, 0, "+800 1234 5678"), SF_1);
        // A pool number with one: setup warns and the check reports it.
        Spi::run("INSERT INTO public.signalwire_phone_numbers (number) VALUES ('+99912345678')").unwrap();
        let problem = one("SELECT problem FROM phone_holds_check() WHERE number = '+99912345678'").unwrap();
        assert!(problem.contains("no assigned country calling code"), "{problem}");
    }
}
