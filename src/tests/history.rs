//! phone_pool_history() and phone_release_runs(): the pool over time, from the ledger.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// A day of the pool of three: Amy gets a number at T0; Ben books at T0+1 for T0+5 and
    /// shows at T0+6; Cat gets one at T0+2; the release job runs at T0+19 (Amy's hold is
    /// over) and at T0+21 (Cat's is).
    fn a_day() {
        pool_of(3);
        Spi::run(&format!(
            "SELECT assign_phone_to_lead('{LEAD_A}', {t0});
             SELECT extend_phone_for_appointment('{LEAD_B}', {t5}, {t1});
             SELECT assign_phone_to_lead('{LEAD_C}', {t2});
             SELECT complete_appointment_for_phone('{LEAD_B}', 'showed', {t6});
             SELECT release_expired_phone_numbers({t19});
             SELECT release_expired_phone_numbers({t21});",
            t0 = ts(0),
            t1 = ts(1),
            t2 = ts(2),
            t5 = ts(5),
            t6 = ts(6),
            t19 = ts(19),
            t21 = ts(21)
        ))
        .unwrap();
    }

    /// Each bucket as `hour: held free appointed | assignments extensions completions releases`,
    /// hours counted from T0.
    fn history(from: &str, to: &str, step: &str) -> Vec<String> {
        Spi::connect(|c| {
            c.select(
                &format!(
                    "SELECT concat((extract(epoch FROM h.time - {t0}) / 3600)::int, ': ', h.held, ' ', h.free, ' ', h.held_for_appointment,
                                   ' | ', h.assignments, ' ', h.extensions, ' ', h.completions, ' ', h.releases)
                       FROM phone_pool_history({from}, {to}, '{step}') AS h",
                    t0 = ts(0)
                ),
                None,
                &[],
            )
            .unwrap()
            .map(|r| r.get::<String>(1).unwrap().unwrap())
            .collect()
        })
    }

    #[pg_test]
    fn the_history_replays_the_day_hour_by_hour() {
        a_day();
        let h = history(&ts(0), &ts(24), "1 hour");
        assert_eq!(h.len(), 24);
        assert_eq!(
            h[..8],
            [
                "0: 1 2 0 | 1 0 0 0",
                "1: 2 1 1 | 1 1 0 0",
                "2: 3 0 1 | 1 0 0 0",
                "3: 3 0 1 | 0 0 0 0",
                "4: 3 0 1 | 0 0 0 0",
                "5: 3 0 1 | 0 0 0 0",
                "6: 3 0 1 | 0 0 1 0",
                "7: 3 0 1 | 0 0 0 0",
            ]
        );
        assert_eq!(h[18], "18: 3 0 1 | 0 0 0 0");
        assert_eq!(h[19], "19: 2 1 1 | 0 0 0 1");
        assert_eq!(h[20], "20: 2 1 1 | 0 0 0 0");
        assert_eq!(h[21], "21: 1 2 1 | 0 0 0 1");
        // The last bucket is the pool as it is now.
        let now = one("SELECT concat(assigned, ' ', available) FROM public.phone_pool_status").unwrap();
        assert!(h[23].starts_with(&format!("23: {now} ")), "{} vs {now}", h[23]);
    }

    #[pg_test]
    fn a_held_for_appointment_stretch_ends_with_the_follow_up_window_or_a_cancel() {
        a_day();
        // Ben's appointment at T0+5 was attended at T0+6: held for it until T0+5 + 24 h.
        let h = history(&ts(24), &ts(32), "1 hour");
        assert_eq!(h[4], "28: 1 2 1 | 0 0 0 0");
        assert_eq!(h[5], "29: 1 2 0 | 0 0 0 0", "the window ends at T0+29");
        // A cancel ends it at once.
        Spi::run(&format!("SELECT complete_appointment_for_phone('{LEAD_B}', 'cancelled', {})", ts(8))).unwrap();
        let h = history(&ts(0), &ts(12), "1 hour");
        assert_eq!(h[7], "7: 3 0 1 | 0 0 0 0");
        assert_eq!(h[8], "8: 3 0 0 | 0 0 1 0");
    }

    #[pg_test]
    fn buckets_are_aligned_on_the_step_and_cover_the_whole_range() {
        a_day();
        // From T0+0:30 to T0+2:10 in hours: buckets at T0, T0+1, T0+2.
        let from = format!("{} + interval '30 minutes'", ts(0));
        let to = format!("{} + interval '10 minutes'", ts(2));
        let h = history(&from, &to, "1h");
        assert_eq!(h, ["0: 1 2 0 | 1 0 0 0", "1: 2 1 1 | 1 1 0 0", "2: 3 0 1 | 1 0 0 0"]);
        // One bucket of a day holds the changes of the day and the state at its end.
        let h = history(&ts(-12), &ts(12), "1 day");
        assert_eq!(h, ["-12: 3 0 1 | 3 1 1 0"]);
    }

    #[pg_test]
    fn a_retired_free_number_is_not_free() {
        a_day();
        Spi::run(&format!("SELECT retire_phone_number('+15550000003', 'spam flagged', {})", ts(22))).unwrap();
        let h = history(&ts(21), &ts(23), "1 hour");
        assert_eq!(h, ["21: 1 2 1 | 0 0 0 1", "22: 1 1 1 | 0 0 0 0"]);
    }

    #[pg_test]
    fn retiring_a_number_held_for_an_appointment_leaves_it_held_for_it() {
        a_day();
        // Ben's number leaves rotation at T0+3 but stays with him through his window.
        let bens = number_of(LEAD_B).unwrap();
        Spi::run(&format!("SELECT retire_phone_number('{bens}', 'carrier complaint', {})", ts(3))).unwrap();
        let h = history(&ts(2), &ts(5), "1 hour");
        assert_eq!(h, ["2: 3 0 1 | 1 0 0 0", "3: 3 0 1 | 0 0 0 0", "4: 3 0 1 | 0 0 0 0"]);
    }

    /// A number retired while its lead holds it is not free when the hold is released (it is
    /// out of rotation), before or after; it is free again from its restore on.
    #[pg_test]
    fn a_number_retired_while_held_is_not_free_at_its_release() {
        pool_of(3);
        Spi::run(&format!("SELECT assign_phone_to_lead('{LEAD_A}', {})", ts(0))).unwrap();
        let amys = number_of(LEAD_A).unwrap();
        Spi::run(&format!(
            "SELECT retire_phone_number('{amys}', 'Spam Likely', {t3});
             SELECT release_expired_phone_numbers({t19});",
            t3 = ts(3),
            t19 = ts(19)
        ))
        .unwrap();
        let h = history(&ts(0), &ts(21), "1 hour");
        assert_eq!(h[0], "0: 1 2 0 | 1 0 0 0");
        assert_eq!(h[18], "18: 1 2 0 | 0 0 0 0", "still retired now: free before the release as after it");
        assert_eq!(h[19], "19: 0 2 0 | 0 0 0 1");
        Spi::run(&format!("SELECT restore_phone_number('{amys}', {})", ts(22))).unwrap();
        let h = history(&ts(0), &ts(24), "1 hour");
        assert_eq!(h[18], "18: 1 2 0 | 0 0 0 0", "restored since: the release still freed nothing");
        assert_eq!(h[19], "19: 0 2 0 | 0 0 0 1");
        assert_eq!(h[22], "22: 0 3 0 | 0 0 0 0", "free from its restore on");
        // Retired and restored again while held: its release frees it.
        Spi::run(&format!(
            "SELECT assign_phone_to_lead('{LEAD_B}', {t30});
             SELECT retire_phone_number(number_of, 'carrier complaint', {t31}) FROM (SELECT currently_assigned_to, number AS number_of FROM signalwire_phone_numbers WHERE currently_assigned_to = '{LEAD_B}') AS b;
             SELECT restore_phone_number(number, {t32}) FROM signalwire_phone_numbers WHERE currently_assigned_to = '{LEAD_B}';
             SELECT release_expired_phone_numbers({t49});",
            t30 = ts(30),
            t31 = ts(31),
            t32 = ts(32),
            t49 = ts(49)
        ))
        .unwrap();
        let h = history(&ts(30), &ts(50), "1 hour");
        assert_eq!(h[0], "30: 1 2 0 | 1 0 0 0");
        assert_eq!(h[18], "48: 1 2 0 | 0 0 0 0");
        assert_eq!(h[19], "49: 0 3 0 | 0 0 0 1");
    }

    #[pg_test]
    fn a_stretch_booked_before_the_range_is_counted_in_it() {
        a_day();
        // Ben booked at T0+1 for T0+5; seen from T0+10 on, his hold is still for it.
        let h = history(&ts(10), &ts(12), "1 hour");
        assert_eq!(h, ["10: 3 0 1 | 0 0 0 0", "11: 3 0 1 | 0 0 0 0"]);
    }

    #[pg_test]
    fn bad_ranges_and_steps_are_refused() {
        set_up();
        let (t0, t1) = (ts(0), ts(1));
        assert_refused(&format!("SELECT * FROM phone_pool_history(NULL, {t1}, '1h')"), "22004", "needs from_time");
        assert_refused(&format!("SELECT * FROM phone_pool_history({t0}, {t1}, NULL)"), "22004", "needs from_time");
        for step in ["1 mon", "0", "-1h", "1 year"] {
            let f = assert_refused(&format!("SELECT * FROM phone_pool_history({t0}, {t1}, '{step}')"), "22023", "step");
            assert!(f.hint.contains("Months") || f.message.contains("positive"), "{f:?}");
        }
        assert_refused(&format!("SELECT * FROM phone_pool_history({t1}, {t0}, '1h')"), "22023", "before to_time");
        assert_refused(&format!("SELECT * FROM phone_pool_history({t0}, {t0}, '1h')"), "22023", "before to_time");
        assert_refused(&format!("SELECT * FROM phone_pool_history('-infinity', {t0}, '1h')"), "22023", "finite");
        // Dates before the Common Era, or too late for a timestamp once aligned, are refused
        // like any other bad range, not with the date arithmetic's own error.
        for (from, to) in [("'0044-03-15 BC'", "'0044-03-16 BC'"), ("'4713-01-01 BC'", "'4713-01-02 BC'"), ("'10000-01-01'", "'10000-01-02'")] {
            assert_refused(&format!("SELECT * FROM phone_pool_history({from}::timestamptz, {to}::timestamptz, '1 day')"), "22023", "covers the years 1 to 9999");
        }
        // 3600 one-second buckets are answered; a week of minutes is 10,080, too many.
        assert_eq!(count(&format!("SELECT count(*) FROM phone_pool_history({t0}, {t1}, '1 second')")), 3600);
        let f = assert_refused(&format!("SELECT * FROM phone_pool_history({t0}, {}, '1 minute')", ts(24 * 7)), "22023", "10080 buckets; at most 10000");
        assert!(f.hint.contains("larger step"), "{f:?}");
    }

    #[pg_test]
    fn without_pg_cron_the_release_runs_are_the_release_calls_in_the_ledger() {
        a_day();
        let runs = one(&format!(
            "SELECT string_agg(concat((extract(epoch FROM r.time - {t0}) / 3600)::int, ':', r.released, ':', coalesce(r.status, '-')), ' ' ORDER BY r.time)
               FROM phone_release_runs({t0}, {t24}) AS r",
            t0 = ts(0),
            t24 = ts(24)
        ));
        assert_eq!(runs, Some("19:1:- 21:1:-".into()));
        assert_refused("SELECT * FROM phone_release_runs(NULL, now())", "22004", "needs from_time");
    }
}
