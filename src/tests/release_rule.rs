//! The release statement selects exactly what `rules::release::is_due` accepts.

use pgrx::prelude::*;

#[pg_schema]
mod tests {
    use crate::rules::release::is_due;
    use crate::tests::support::*;
    use chrono::{TimeDelta, TimeZone, Utc};
    use pgrx::prelude::*;

    #[pg_test]
    fn sql_release_matches_the_rust_predicate_on_a_grid() {
        pool_of(0);
        // Adopted tables may hold assigned rows without release_at; the created table's own
        // check forbids them, so drop it here to cover that case too.
        Spi::run("ALTER TABLE public.signalwire_phone_numbers DROP CONSTRAINT signalwire_phone_numbers_hold_shape").unwrap();
        let t0 = Utc.with_ymd_and_hms(2025, 10, 18, 12, 0, 0).unwrap();
        let hours = [-49, -25, -24, -23, -1, 0, 1, 24, 48];
        let mut expected = Vec::new();
        let mut i = 0;
        for release in hours.iter().map(Some).chain([None]) {
            for appointment in hours.iter().map(Some).chain([None]) {
                i += 1;
                let number = format!("+1666{i:07}");
                let lead = format!("00000000-0000-4000-8000-{i:012}");
                Spi::run_with_args(
                    "INSERT INTO public.signalwire_phone_numbers
                         (number, assignment_status, currently_assigned_to, release_at, appointment_scheduled_at)
                     VALUES ($1, 'assigned', $2::uuid, $3::timestamptz + make_interval(hours => $4), $3::timestamptz + make_interval(hours => $5))",
                    &[number.clone().into(), lead.into(), at(0).into(), release.copied().into(), appointment.copied().into()],
                )
                .unwrap();
                let due = is_due(
                    release.map(|h| t0 + TimeDelta::hours(*h as i64)),
                    appointment.map(|h| t0 + TimeDelta::hours(*h as i64)),
                    t0,
                    TimeDelta::hours(24),
                );
                if due {
                    expected.push(number);
                }
            }
        }
        let released = Spi::get_one::<i32>(&format!("SELECT release_expired_phone_numbers({})", ts(0))).unwrap().unwrap();
        let got: Vec<String> = Spi::connect(|c| {
            c.select("SELECT number FROM public.phone_hold_ledger WHERE event = 'released' ORDER BY number", None, &[])
                .unwrap()
                .map(|r| r.get::<String>(1).unwrap().unwrap())
                .collect()
        });
        expected.sort();
        assert!(!expected.is_empty() && expected.len() < i, "the grid must have both outcomes");
        assert_eq!(got, expected);
        assert_eq!(released as usize, expected.len());
    }
}
