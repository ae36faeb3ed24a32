//! Typed calls on the pool and ledger tables, one prepared statement each.

use super::as_owner::AsOwner;
use super::events;
use super::plans::plan;
use super::statements::Statement;
use crate::errors::HoldError;
use crate::rules::change_event::ChangeEvent;
use crate::rules::hold::Completion;
use crate::rules::holder::LocalTime;
use crate::rules::locality::{Search, Tier};
use crate::rules::origin::Origin;
use crate::rules::{Hold, Instant};
use crate::time::{instant, to_pg};
use chrono::TimeDelta;
use pgrx::datum::{DatumWithOid, TimestampWithTimeZone, Uuid};
use pgrx::pg_sys::panic::CaughtError;
use pgrx::prelude::*;
use pgrx::spi::{SpiClient, SpiTupleTable};
use std::cell::Cell;
use std::panic::AssertUnwindSafe;

/// A number a lead holds, as the row says now.
#[derive(Debug, Clone)]
pub struct Held {
    pub number: String,
    pub hold: Hold,
    /// The last outcome recorded on the row, so a repeat that changes nothing writes nothing.
    pub outcome: Option<String>,
    /// The row version this transaction locked or wrote, where a change in the same call finds it.
    pub version: RowVersion,
}

/// A row version's ctid. Stable until this transaction ends once it has locked or written
/// the row: no other transaction can change it, and VACUUM FULL or CLUSTER would wait.
#[derive(Debug, Clone, Copy)]
pub struct RowVersion(pg_sys::ItemPointerData);

/// A number as the pool table has it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberNow {
    /// As stored (the lookup may have matched another spelling of the same text type).
    pub number: String,
    pub assigned: bool,
    pub holder: Option<Uuid>,
    pub release_at: Option<Instant>,
    pub appointment: Option<LocalTime>,
    pub outcome: Option<String>,
}

/// The latest ledger row of a number, with the appointment its hold had just before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastEvent {
    pub event: String,
    pub lead: Option<Uuid>,
    pub at: Instant,
    pub appointment: Option<LocalTime>,
}

/// The ledger's name for each kind of hold change written by [`Pool::write_hold`].
#[derive(Debug, Clone, Copy)]
pub enum Event {
    Reused,
    Extended,
    Rescheduled,
    /// An outcome of one appointment of several (a calendar booking's cancel or outcome).
    Completed,
}

impl Event {
    fn as_str(self) -> &'static str {
        match self {
            Event::Reused => "reused",
            Event::Extended => "extended",
            Event::Rescheduled => "rescheduled",
            Event::Completed => "completed",
        }
    }
}

/// One SPI connection for one SQL function call.
pub struct Pool<'a, 'conn> {
    client: &'a mut SpiClient<'conn>,
}

/// Runs `f` with an SPI connection, once the tables are a shape this library serves
/// (spi::shape: 55000 otherwise). A table or column gone from under the extension surfaces
/// as [`HoldError::TableMissing`] / [`HoldError::ColumnMissing`] with a hint that says how to
/// get it back, instead of a bare "relation does not exist". Only our fixed statements run
/// here (and whatever triggers the user put on the tables), so these codes mean that.
pub fn with_pool<R>(f: impl FnOnce(&mut Pool<'_, '_>) -> Result<R, HoldError>) -> Result<R, HoldError> {
    // One handler for both codes: each handler is an allocation on every call, caught or not.
    PgTryBuilder::new(AssertUnwindSafe(|| Spi::connect_mut(|client| {
        let mut pool = Pool { client };
        pool.check_shape()?;
        f(&mut pool)
    })))
        .catch_others(|caught| match caught {
            CaughtError::PostgresError(ref report) if report.sql_error_code() == PgSqlErrorCode::ERRCODE_UNDEFINED_TABLE => {
                Err(HoldError::TableMissing { relation: missing_relation(report.message()) })
            }
            CaughtError::PostgresError(ref report) if report.sql_error_code() == PgSqlErrorCode::ERRCODE_UNDEFINED_COLUMN => {
                let (relation, column) = missing_column(report.message());
                Err(HoldError::ColumnMissing { relation, column })
            }
            other => other.rethrow(),
        })
        .execute()
}

/// [`with_pool`] for a call that changes holds: refused with 25006 before any work when this
/// transaction cannot write (a hot standby, a READ ONLY transaction). `function` names the
/// SQL function in the message.
pub fn with_pool_to_write<R>(function: &str, f: impl FnOnce(&mut Pool<'_, '_>) -> Result<R, HoldError>) -> Result<R, HoldError> {
    super::read_only::refuse_if_read_only(function)?;
    with_pool(f)
}

/// `relation "public.x" does not exist` → `public.x`.
fn missing_relation(message: &str) -> String {
    message.split('"').nth(1).unwrap_or(message).to_owned()
}

/// The table and column of PostgreSQL's two "column does not exist" messages:
/// `column "c" of relation "t" does not exist` (SET and INSERT lists) and
/// `column a.c does not exist` (expressions, where `a` is one of our statements' aliases:
/// `l` for the ledger, anything else for the pool).
fn missing_column(message: &str) -> (String, String) {
    const POOL: &str = "public.signalwire_phone_numbers";
    const LEDGER: &str = "public.phone_hold_ledger";
    let quoted: Vec<&str> = message.split('"').skip(1).step_by(2).collect();
    if let [column, relation, ..] = quoted[..] {
        let table = if relation == "phone_hold_ledger" { LEDGER } else { POOL };
        return (table.to_owned(), column.to_owned());
    }
    let reference = message.trim_start_matches("column ").split(' ').next().unwrap_or_default();
    match reference.split_once('.') {
        Some(("l", column)) => (LEDGER.to_owned(), column.to_owned()),
        Some((_, column)) => (POOL.to_owned(), column.to_owned()),
        None => (POOL.to_owned(), reference.trim_matches('"').to_owned()),
    }
}

fn spi_failed(e: pgrx::spi::SpiError) -> ! {
    panic!("phone_holds: SPI call failed: {e}")
}

pub(super) fn ts_arg<'a>(t: Option<Instant>) -> DatumWithOid<'a> {
    t.map(to_pg).into()
}

impl Pool<'_, '_> {
    pub(super) fn run(&mut self, statement: Statement, args: &[DatumWithOid<'_>]) -> SpiTupleTable<'_> {
        let prepared = plan(self.client, statement);
        let result = if statement.writes() {
            self.client.update(prepared, None, args)
        } else {
            self.client.select(prepared, None, args)
        };
        result.unwrap_or_else(|e| spi_failed(e))
    }

    /// Makes every other first assignment of `lead` wait until this transaction ends.
    ///
    /// Row locks cannot protect a lead that holds no row yet: two concurrent bookings for a new
    /// lead would each take a number. A transaction-scoped advisory lock would close that gap
    /// but takes a lock-table entry per lead until the transaction ends, and a batch of
    /// thousands of new leads fills the cluster-wide lock table (53200). Instead the lead is
    /// inserted into the unlogged `phone_hold_claims` and deleted again at once: the unique
    /// index makes a concurrent insert of the same lead wait for this transaction to end,
    /// whether the row is still there or not, and no lock-table entry is held per lead.
    ///
    /// The claims are written as the table's owner (the extension's, who ran CREATE
    /// EXTENSION): no caller is granted the table, so nobody can hold a lead's claim open or
    /// fill the table but through these two statements, which delete what they insert.
    ///
    /// ALTER EXTENSION phone_holds UPDATE made the table in 0.4.0; a catalog older than that
    /// comes with tables older than the library serves, refused before this (spi::shape).
    pub fn claim_lead(&mut self, lead: Uuid) -> Result<(), HoldError> {
        let owner = self.claims_owner().ok_or_else(|| HoldError::TableMissing { relation: "public.phone_hold_claims".into() })?;
        let _owner = AsOwner::become_(owner);
        self.run(Statement::ClaimLead, &[lead.into()]);
        self.run(Statement::Unclaim, &[lead.into()]);
        Ok(())
    }

    /// The claims table's owner; `None` while the catalog predates it.
    fn claims_owner(&mut self) -> Option<pg_sys::Oid> {
        thread_local!(static CLAIMS_OWNER: Cell<Option<pg_sys::Oid>> = const { Cell::new(None) });
        if CLAIMS_OWNER.get().is_none() {
            CLAIMS_OWNER.set(self.first::<pg_sys::Oid>(Statement::ClaimsOwner, &[]));
        }
        CLAIMS_OWNER.get()
    }

    /// The number `lead` holds, locked against concurrent changes and the release job.
    pub fn held_by(&mut self, lead: Uuid) -> Result<Option<Held>, HoldError> {
        let Some(row) = self.first_row(Statement::HeldBy, &[lead.into()]) else { return Ok(None) };
        let number = got::<String>(&row, 1).expect("number is never NULL");
        let version = RowVersion(got(&row, 5).expect("a row has a ctid"));
        Ok(Some(Held { number, hold: Hold { release_at: got_instant(&row, 2)?, appointment_at: got_instant(&row, 3)? }, outcome: got(&row, 4), version }))
    }

    /// Assigns a free number to `lead` with hold `release_at`, writing its ledger row with
    /// `origin`: the lead's previous number if that one is free, else the first `searches` finds
    /// (rules::locality), rested at least `min_rest`.
    pub fn take_free_number(&mut self, lead: Uuid, release_at: Instant, as_of: Instant, origin: &Origin<'_>, place: &Placement) -> Result<(String, RowVersion), HoldError> {
        let assigning = |tier: Tier| Assigning { lead, release_at, as_of, source: origin.source.as_str(), tier: tier.as_str() };
        let previous = self.first::<String>(Statement::PreviousNumber, &[lead.into()]);
        // Every take binds ($1 lead, $2 release_at, $3 as_of, $4 phone, $5 source, $6 reference,
        // $7 tier), then its own; room for the most any binds (nine), so none reallocates.
        let placed = |tier: Tier| -> Vec<DatumWithOid<'_>> {
            let mut args = Vec::with_capacity(9);
            args.extend([lead.into(), to_pg(release_at).into(), to_pg(as_of).into()]);
            args.extend([origin.lead_phone.into(), origin.source.as_str().into(), origin.reference.into(), tier.as_str().into()]);
            args
        };
        let rested_since = place.rested_since(as_of);
        if let Some(number) = previous {
            let mut args = placed(Tier::Previous);
            args.extend([number.as_str().into(), ts_arg(rested_since)]);
            if let Some(taken) = self.take(Statement::TakePrevious, &args, assigning(Tier::Previous)) {
                return Ok(taken);
            }
        }
        for search in &place.searches {
            // A state is searched area code by area code, the best rested first.
            let prefixes = match search {
                Search::AreaCode(prefix) => vec![prefix.clone()],
                Search::State { .. } => self.state_order(search.prefixes(), rested_since),
                Search::Any => vec![],
            };
            let take = |prefix: Option<&str>| {
                let mut args = placed(search.tier());
                args.push(ts_arg(rested_since));
                args.extend(prefix.map(|p| -> DatumWithOid<'_> { p.into() }));
                args
            };
            let tier = search.tier();
            let taken = match search {
                Search::Any => self.take(Statement::TakeAny, &take(None), assigning(tier)),
                _ => prefixes.iter().find_map(|prefix| self.take(Statement::TakeInArea, &take(Some(prefix)), assigning(tier))),
            };
            if let Some(taken) = taken {
                return Ok(taken);
            }
        }
        // Nothing free: say whether numbers are only resting, and until when.
        if let Some(since) = rested_since {
            let row = self.first_row(Statement::Resting, &[to_pg(since).into()]).expect("an aggregate returns a row");
            let resting = got::<i64>(&row, 1).unwrap_or(0);
            if let Some(first) = got_instant(&row, 2)?.filter(|_| resting > 0) {
                return Err(HoldError::PoolResting { resting, free_at: first + place.min_rest, min_rest: place.min_rest });
            }
        }
        Err(HoldError::PoolExhausted)
    }

    /// Runs one of the takes (take_number!): the number taken and its row version, if any, its
    /// change event sent.
    fn take(&mut self, statement: Statement, args: &[DatumWithOid<'_>], a: Assigning) -> Option<(String, RowVersion)> {
        let row = self.first_row(statement, args)?;
        let number = got::<String>(&row, 1)?;
        let ledger_id = got::<i64>(&row, 2).expect("a number taken has its ledger row");
        let version = RowVersion(got(&row, 3).expect("a row has a ctid"));
        if !events::wanted() {
            return Some((number, version));
        }
        events::send([ChangeEvent {
            event: "assigned",
            number: number.clone(),
            lead_id: Some(a.lead.to_string()),
            release_at: Some(a.release_at),
            appointment_at: None,
            source: Some(a.source),
            at: a.as_of,
            ledger_id,
            outcome: None,
            geo_tier: Some(a.tier),
        }]);
        Some((number, version))
    }

    /// Of the area-code `prefixes`, those with a free number rested since `rested_since`, the
    /// one whose best number has rested longest first.
    fn state_order(&mut self, prefixes: Vec<String>, rested_since: Option<Instant>) -> Vec<String> {
        let rows = self.run(Statement::StateOrder, &[prefixes.into(), ts_arg(rested_since)]);
        rows.map(|row| row.get::<String>(1).unwrap_or_else(|e| spi_failed(e)).expect("a prefix is never NULL")).collect()
    }

    /// The first column of the first row `statement` returns; `None` for no row or NULL.
    pub(super) fn first<T: FromDatum + IntoDatum>(&mut self, statement: Statement, args: &[DatumWithOid<'_>]) -> Option<T> {
        got(&self.first_row(statement, args)?, 1)
    }

    /// The first row `statement` returns, if any.
    pub(super) fn first_row(&mut self, statement: Statement, args: &[DatumWithOid<'_>]) -> Option<SpiTupleTable<'_>> {
        let table = self.run(statement, args);
        (!table.is_empty()).then(|| table.first())
    }

    /// Stores `new` as the hold of `held` (which `lead` holds and this transaction has locked),
    /// with its ledger row (with `origin`). `outcome` is recorded when given and kept otherwise.
    /// A change that changes nothing (a repeated booking, say) writes nothing: no row, no ledger
    /// entry.
    #[allow(clippy::too_many_arguments)]
    pub fn write_hold(&mut self, lead: Uuid, held: &Held, new: Hold, outcome: Option<&str>, event: Event, as_of: Instant, origin: &Origin<'_>) {
        if new == held.hold && outcome.is_none_or(|o| held.outcome.as_deref() == Some(o)) {
            return;
        }
        let args: [DatumWithOid; 11] = [
            held.version.0.into(),
            lead.into(),
            ts_arg(new.release_at),
            ts_arg(new.appointment_at),
            outcome.into(),
            to_pg(as_of).into(),
            event.as_str().into(),
            ts_arg(held.hold.release_at),
            origin.lead_phone.into(),
            origin.source.as_str().into(),
            origin.reference.into(),
        ];
        let written = self.run(Statement::WriteHold, &args);
        assert_eq!(written.len(), 1, "phone_holds: the hold of {} must be written exactly once", held.number);
        let ledger_id = got::<i64>(&written.first(), 1).expect("a ledger row has an id");
        if !events::wanted() {
            return;
        }
        events::send([ChangeEvent {
            event: event.as_str(),
            number: held.number.clone(),
            lead_id: Some(lead.to_string()),
            release_at: new.release_at,
            appointment_at: new.appointment_at,
            source: Some(origin.source.as_str()),
            at: as_of,
            ledger_id,
            outcome: outcome.map(str::to_owned),
            geo_tier: None,
        }]);
    }

    /// Applies an outcome to the number `lead` holds, with its ledger row (with `origin`'s
    /// source and reference: an outcome proves no phone); the new release time, or
    /// `None` when the lead holds no number.
    pub fn complete_hold(&mut self, lead: Uuid, c: Completion, outcome: &str, as_of: Instant, origin: &Origin<'_>) -> Result<Option<Instant>, HoldError> {
        let no_phone: Option<&str> = None;
        let args: [DatumWithOid; 8] = [
            lead.into(),
            to_pg(c.release_at).into(),
            c.keeps_appointment.into(),
            outcome.into(),
            to_pg(as_of).into(),
            no_phone.into(),
            origin.source.as_str().into(),
            origin.reference.into(),
        ];
        let source = Some(origin.source.as_str());
        let event = |row: &SpiTupleTable<'_>, first: usize| -> Result<Option<ChangeEvent>, HoldError> {
            let Some(ledger_id) = got::<i64>(row, first) else { return Ok(None) };
            Ok(Some(ChangeEvent {
                event: "completed",
                number: got::<String>(row, first + 1).expect("a ledger row has a number"),
                lead_id: Some(lead.to_string()),
                release_at: Some(c.release_at),
                appointment_at: got_instant(row, first + 2)?,
                source,
                at: as_of,
                ledger_id,
                outcome: Some(outcome.to_owned()),
                geo_tier: None,
            }))
        };
        // The usual call changes the hold: one statement, which says so with its ledger row.
        if let Some(row) = self.first_row(Statement::CompleteWrite, &args) {
            if events::wanted() {
                events::send(event(&row, 1)?);
            }
            return Ok(Some(c.release_at));
        }
        // It wrote nothing: the lead holds no number, the outcome changes nothing (a retry), or
        // another change to the row committed meanwhile. Asked again in the statement that locks
        // the row first and tells which; should a number have been assigned in between, that one
        // completes it.
        let Some(row) = self.first_row(Statement::CompleteHold, &args) else { return Ok(None) };
        let release_at = got_instant(&row, 1)?;
        if events::wanted() {
            events::send(event(&row, 2)?);
        }
        Ok(release_at)
    }

    /// Releases the due numbers at `as_of`, all of them or at most `limit` (oldest hold first),
    /// and returns how many.
    pub fn release_due(&mut self, as_of: Instant, appointment_cutoff: Instant, limit: Option<i32>) -> i32 {
        let mut args: Vec<DatumWithOid> = vec![to_pg(as_of).into(), to_pg(appointment_cutoff).into()];
        let statement = match limit {
            None => Statement::ReleaseDue,
            Some(limit) => {
                args.push(limit.into());
                Statement::ReleaseDueBatch
            }
        };
        // The events are built as they are sent: not at all with phone_holds.notify off.
        let released = self.run(statement, &args);
        let count = i32::try_from(released.len()).expect("a release is counted in int4");
        events::send(released.map(|row| ChangeEvent {
            event: "released",
            number: row.get::<String>(2).unwrap_or_else(|e| spi_failed(e)).expect("a ledger row has a number"),
            lead_id: row.get::<Uuid>(3).unwrap_or_else(|e| spi_failed(e)).map(|lead| lead.to_string()),
            release_at: None,
            appointment_at: None,
            source: Some("sql"),
            at: as_of,
            ledger_id: row.get::<i64>(1).unwrap_or_else(|e| spi_failed(e)).expect("a ledger row has an id"),
            outcome: None,
            geo_tier: None,
        }));
        count
    }

    /// The lead that held `number` at `at`, by the ledger.
    pub fn holder_at(&mut self, number: &str, at: Instant) -> Option<Uuid> {
        self.first(Statement::HolderAt, &[number.into(), to_pg(at).into()])
    }

    /// `number` as the pool has it now; `None` when the pool does not list it.
    pub fn number_now(&mut self, number: &str) -> Result<Option<NumberNow>, HoldError> {
        let Some(row) = self.first_row(Statement::NumberNow, &[number.into()]) else { return Ok(None) };
        Ok(Some(NumberNow {
            number: got::<String>(&row, 1).expect("number is never NULL"),
            assigned: got::<String>(&row, 2).as_deref() == Some("assigned"),
            holder: got(&row, 3),
            release_at: got_instant(&row, 4)?,
            appointment: local_time(&row, 5)?,
            outcome: got(&row, 8),
        }))
    }

    /// The ledger's latest row for `number` at or before `as_of`, if any.
    pub fn last_event(&mut self, number: &str, as_of: Instant) -> Result<Option<LastEvent>, HoldError> {
        let Some(row) = self.first_row(Statement::LastRelease, &[number.into(), to_pg(as_of).into()]) else { return Ok(None) };
        Ok(Some(LastEvent {
            event: got::<String>(&row, 1).expect("event is never NULL"),
            lead: got(&row, 2),
            at: got_instant(&row, 3)?.expect("at is never NULL"),
            appointment: local_time(&row, 4)?,
        }))
    }

    /// The phone recorded last for `lead` at or before `as_of`.
    pub fn lead_phone(&mut self, lead: Uuid, as_of: Instant) -> Option<String> {
        self.first(Statement::LeadPhone, &[lead.into(), to_pg(as_of).into()])
    }
}

/// What the change event of an assignment says besides the number and its ledger row.
#[derive(Debug, Clone, Copy)]
struct Assigning {
    lead: Uuid,
    release_at: Instant,
    as_of: Instant,
    source: &'static str,
    tier: &'static str,
}

/// Where a new number is looked for: the searches in order (rules::locality), and how long a
/// released number rests first.
#[derive(Debug, Clone)]
pub struct Placement {
    pub searches: Vec<Search>,
    pub min_rest: TimeDelta,
}

impl Placement {
    /// A number released after this moment is still resting; `None`: no rest.
    fn rested_since(&self, as_of: Instant) -> Option<Instant> {
        (self.min_rest > TimeDelta::zero()).then(|| as_of - self.min_rest)
    }
}

/// Column `i` (1-based) of a result row.
pub(super) fn got<T: FromDatum + IntoDatum>(row: &SpiTupleTable<'_>, i: usize) -> Option<T> {
    row.get(i).unwrap_or_else(|e| spi_failed(e))
}

pub(super) fn got_instant(row: &SpiTupleTable<'_>, i: usize) -> Result<Option<Instant>, HoldError> {
    got::<TimestampWithTimeZone>(row, i).map(|t| instant(t, "stored timestamp")).transpose()
}

/// Columns `i`, `i + 1`, `i + 2`: a timestamptz, its UTC offset in seconds and its zone
/// abbreviation in the session's TimeZone.
fn local_time(row: &SpiTupleTable<'_>, i: usize) -> Result<Option<LocalTime>, HoldError> {
    Ok(got_instant(row, i)?.map(|at| LocalTime {
        at,
        utc_offset_seconds: got(row, i + 1).unwrap_or(0),
        zone: got(row, i + 2).unwrap_or_else(|| "UTC".to_owned()),
    }))
}

#[cfg(test)]
mod tests {
    use super::missing_column;

    #[test]
    fn missing_columns_are_named_with_their_table() {
        let pool = "public.signalwire_phone_numbers".to_owned();
        let ledger = "public.phone_hold_ledger".to_owned();
        assert_eq!(missing_column("column n.released_at does not exist"), (pool.clone(), "released_at".into()));
        assert_eq!(missing_column("column p.number does not exist"), (pool.clone(), "number".into()));
        assert_eq!(missing_column("column l.lead_id does not exist"), (ledger.clone(), "lead_id".into()));
        assert_eq!(
            missing_column("column \"outcome\" of relation \"phone_hold_ledger\" does not exist"),
            (ledger, "outcome".into())
        );
        assert_eq!(
            missing_column("column \"release_at\" of relation \"signalwire_phone_numbers\" does not exist"),
            (pool.clone(), "release_at".into())
        );
        assert_eq!(missing_column("column \"x\" does not exist"), (pool, "x".into()));
    }
}
