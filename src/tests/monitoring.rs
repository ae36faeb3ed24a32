//! The monitoring views and the pg_cron helpers' refusals (the job itself runs in tests/e2e).

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::tests::support::*;
    use pgrx::prelude::*;

    /// Amy's hold ran out 2 h ago; Ben's appointment is in 5 h; Cat's was 2 h ago; one number free.
    fn pool_with_every_kind_of_hold() {
        pool_of(4);
        Spi::run(&format!(
            "SELECT assign_phone_to_lead('{LEAD_A}', now() - interval '20 hours');
             SELECT extend_phone_for_appointment('{LEAD_B}', now() + interval '5 hours');
             SELECT extend_phone_for_appointment('{LEAD_C}', now() - interval '2 hours');"
        ))
        .unwrap();
    }

    fn appointment_status(lead: &str) -> Option<String> {
        one(&format!("SELECT (SELECT appointment_status FROM public.phone_appointment_holds WHERE lead_id = '{lead}')"))
    }

    #[pg_test]
    fn appointment_holds_say_pending_follow_up_or_over() {
        pool_with_every_kind_of_hold();
        assert_eq!(appointment_status(LEAD_A), None, "no appointment, not listed");
        assert_eq!(appointment_status(LEAD_B), Some("pending (5.0 h)".into()));
        assert_eq!(appointment_status(LEAD_C), Some("follow-up window".into()));
        Spi::run("SET LOCAL phone_holds.follow_up_window = '1h'").unwrap();
        assert_eq!(appointment_status(LEAD_C), Some("over".into()));
    }

    #[pg_test]
    fn overdue_holds_are_empty_after_a_release_run() {
        pool_with_every_kind_of_hold();
        assert_eq!(
            one("SELECT string_agg(lead_id::text, ',') FROM public.phone_holds_overdue"),
            Some(LEAD_A.into())
        );
        Spi::run("SELECT release_expired_phone_numbers()").unwrap();
        assert_eq!(count("SELECT count(*) FROM public.phone_holds_overdue"), 0);
    }

    #[pg_test]
    fn the_pool_status_counts_every_kind_of_hold() {
        pool_with_every_kind_of_hold();
        let row = one(
            "SELECT concat_ws(' ', available, assigned, held_for_appointment, due_now, utilisation,
                              next_release_at = now() + interval '22 hours')
               FROM public.phone_pool_status",
        );
        assert_eq!(row, Some("1 3 2 1 0.750 t".into()));
    }

    #[pg_test]
    fn scheduling_without_pg_cron_says_how_to_enable_it() {
        set_up();
        let f = failure("SELECT schedule_phone_release()");
        assert_eq!(f.sqlstate, "55000", "{f:?}");
        assert!(f.hint.contains("shared_preload_libraries") && f.hint.contains("cron.database_name"), "{f:?}");
        assert_eq!(failure("SELECT schedule_phone_release(NULL)").sqlstate, "22004");
        assert_eq!(Spi::get_one::<bool>("SELECT unschedule_phone_release()").unwrap(), Some(false));
    }
}
