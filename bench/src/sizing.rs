//! Runs that cannot exhaust their pool. On the throughput pool a pgbench transaction takes a
//! free number only for a lead that holds none (a lead holding one renews it), so a run takes
//! at most one number per such lead however long it goes: the pool lasts any `-T` when its free
//! numbers cover those leads, which the pool is checked for once it is made. A run whose every
//! transaction is a new lead (Local presence) is sized in transactions instead (local::per_run).

use crate::LEADS;
use postgres::Client;

/// Free numbers a run can take at most: one per lead without a number, and no more than its
/// transactions when it is sized in them (`-t`).
pub fn most_taken(leads_without: i64, transactions: Option<i64>) -> i64 {
    transactions.map_or(leads_without, |t| t.min(leads_without))
}

/// Whether a run can never meet an empty pool.
pub fn lasts(free: i64, leads_without: i64, transactions: Option<i64>) -> bool {
    most_taken(leads_without, transactions) <= free
}

/// Panics, saying why, unless a run of any length on the throughput pool in `c` lasts.
pub fn check_throughput_pool(c: &mut Client) {
    let row = c
        .query_one(
            "SELECT (SELECT count(*) FROM public.signalwire_phone_numbers WHERE assignment_status = 'available'),
                    $1 - (SELECT count(DISTINCT currently_assigned_to) FROM public.signalwire_phone_numbers WHERE assignment_status = 'assigned')",
            &[&LEADS],
        )
        .unwrap();
    let (free, leads_without): (i64, i64) = (row.get(0), row.get(1));
    assert!(lasts(free, leads_without, None), "the throughput pool could run dry: {free} free numbers, {leads_without} of {LEADS} leads holding none");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leads_that_hold_a_number_take_none() {
        // The throughput pool: 90,000 free, every lead holding one; 112,000 renewals take nothing.
        assert_eq!(most_taken(0, Some(112_000)), 0);
        assert!(lasts(90_000, 0, None));
    }

    #[test]
    fn a_run_takes_at_most_one_number_per_lead_without_one() {
        assert_eq!(most_taken(10_000, None), 10_000);
        assert_eq!(most_taken(10_000, Some(300)), 300);
        assert!(!lasts(5_000, 10_000, None));
        assert!(lasts(5_000, 10_000, Some(5_000)));
        assert!(!lasts(5_000, 10_000, Some(5_001)));
    }
}
