//! Every error phone_holds raises: its SQLSTATE, message, detail and hint in one place.
//!
//! Only standard SQLSTATEs are used (pgrx cannot raise custom ones), each for one kind of
//! problem, so n8n, psql scripts and the voice agent's glue can branch on the code alone.
//! docs/reference/errors.md lists the same table; keep the two in step.

use crate::rules::origin::Source;
use crate::rules::refusal::Unreadable;
use crate::rules::signature;
use crate::rules::{outcome::ACCEPTED, BookingError, Instant, UnknownOutcome};
use chrono::TimeDelta;
use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HoldError {
    /// 22004: an argument was NULL. Functions are not STRICT on purpose: a NULL lead must not
    /// silently return NULL and look like success to a workflow.
    NullArgument(&'static str),
    /// 22023: an outcome that normalises to none of the accepted values.
    UnknownOutcome(UnknownOutcome),
    /// 22008: an appointment whose follow-up window is over, or beyond the booking horizon.
    Booking(BookingError),
    /// 22008: an infinite or far-fetched timestamp argument.
    TimeOutOfRange { what: &'static str, value: String },
    /// 22008: a hold that would end after 9999-12-31, which could not be read back.
    HoldEndsTooLate { release_at: Instant },
    /// 53000: no number is available to assign.
    PoolExhausted,
    /// 53000: the only free numbers are resting after their release (`phone_holds.min_rest`);
    /// how many, and when the first is free again.
    PoolResting { resting: i64, free_at: Instant, min_rest: TimeDelta },
    /// 22023: a lead phone that is not E.164 (the reason, and whether it looks like a time:
    /// an `as_of` passed by position where the phone goes).
    LeadPhoneInvalid { why: String, looks_like_time: bool },
    /// 42P01: the pool or ledger table is gone (renamed, moved, never set up, lost).
    TableMissing { relation: String },
    /// 42703: a column the statements use is gone from one of the tables (renamed, dropped).
    ColumnMissing { relation: String, column: String },
    /// 55000: tables older than this library serves (spi::shape): the shape setup recorded,
    /// or, unrecorded, the columns they lack; and the oldest shape served.
    TablesTooOld { recorded: Option<i32>, missing: Vec<String>, served_from: i32 },
    /// 22023: a payload not acted on at all: not the message the function takes, more tool
    /// calls or bytes than the limits, not JSON (see rules::payload, rules::refusal).
    Unreadable(Unreadable),
    /// 55000: no VAPI assistant to answer an inbound call with (setting and argument unset).
    AssistantNotSet,
    /// 55000 for the setting, 22023 for the argument: an assistant id that is not a UUID.
    AssistantIdInvalid { value: String, from_setting: bool },
    /// 28000: a calendar webhook whose signature is missing or wrong while a secret is set.
    SignatureRefused { source: Source, why: String },
    /// 25006: a call that changes holds in a read-only transaction: on a hot standby (in
    /// recovery), where a webhook answers 503 so the sender retries against the primary, or in
    /// a READ ONLY transaction on the primary. Raised before any work.
    ReadOnly { function: String, standby: bool },
}

/// Long texts are cut in messages so a hostile payload cannot flood the log.
fn quoted(raw: &str) -> String {
    format!("{:?}", crate::rules::text::shortened(raw))
}

fn iso(t: &Instant) -> String {
    t.format("%Y-%m-%d %H:%M:%S%.f+00").to_string()
}

/// A duration as PostgreSQL's interval output writes it (`01:00:00`, `2 days 03:00:00`).
fn interval(d: &TimeDelta) -> String {
    let s = d.num_seconds();
    let (days, rest) = (s / 86_400, s % 86_400);
    let clock = format!("{:02}:{:02}:{:02}", rest / 3600, rest % 3600 / 60, rest % 60);
    match days {
        0 => clock,
        1 => format!("1 day {clock}"),
        n => format!("{n} days {clock}"),
    }
}

impl HoldError {
    pub fn sqlstate(&self) -> PgSqlErrorCode {
        use PgSqlErrorCode::*;
        match self {
            HoldError::NullArgument(_) => ERRCODE_NULL_VALUE_NOT_ALLOWED,
            HoldError::UnknownOutcome(_) | HoldError::Unreadable(_) | HoldError::LeadPhoneInvalid { .. } => {
                ERRCODE_INVALID_PARAMETER_VALUE
            }
            HoldError::Booking(_) | HoldError::TimeOutOfRange { .. } | HoldError::HoldEndsTooLate { .. } => {
                ERRCODE_DATETIME_FIELD_OVERFLOW
            }
            HoldError::PoolExhausted | HoldError::PoolResting { .. } => ERRCODE_INSUFFICIENT_RESOURCES,
            HoldError::TableMissing { .. } => ERRCODE_UNDEFINED_TABLE,
            HoldError::AssistantNotSet | HoldError::TablesTooOld { .. } | HoldError::AssistantIdInvalid { from_setting: true, .. } => {
                ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE
            }
            HoldError::AssistantIdInvalid { from_setting: false, .. } => ERRCODE_INVALID_PARAMETER_VALUE,
            HoldError::ColumnMissing { .. } => ERRCODE_UNDEFINED_COLUMN,
            HoldError::SignatureRefused { .. } => ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION,
            HoldError::ReadOnly { .. } => ERRCODE_READ_ONLY_SQL_TRANSACTION,
        }
    }

    /// Whether the error refuses the values given (SQLSTATE class 22), so sending the same
    /// values again cannot succeed, as opposed to a state of the server that may pass.
    pub fn refuses_input(&self) -> bool {
        matches!(
            self,
            HoldError::NullArgument(_)
                | HoldError::UnknownOutcome(_)
                | HoldError::Booking(_)
                | HoldError::TimeOutOfRange { .. }
                | HoldError::HoldEndsTooLate { .. }
                | HoldError::Unreadable(_)
                | HoldError::LeadPhoneInvalid { .. }
                | HoldError::AssistantIdInvalid { from_setting: false, .. }
        )
    }

    pub fn message(&self) -> String {
        match self {
            HoldError::NullArgument(arg) => format!("phone_holds: {arg} must not be NULL"),
            HoldError::UnknownOutcome(UnknownOutcome(raw)) => {
                format!("phone_holds: unknown appointment outcome {}", quoted(raw))
            }
            HoldError::Booking(BookingError::FollowUpOver { appointment, .. }) => {
                format!("phone_holds: appointment {} is too far in the past to hold a number for", iso(appointment))
            }
            HoldError::Booking(BookingError::BeyondHorizon { appointment, .. }) => {
                format!("phone_holds: appointment {} is beyond the booking horizon", iso(appointment))
            }
            HoldError::TimeOutOfRange { what, value } => {
                format!("phone_holds: {what} {} is outside the supported range", quoted(value))
            }
            HoldError::HoldEndsTooLate { release_at } => format!(
                "phone_holds: the hold would end at {}, after 9999-12-31, the last day phone_holds stores",
                iso(release_at)
            ),
            HoldError::PoolExhausted => "phone_holds: no phone number is available to assign".into(),
            HoldError::PoolResting { resting, .. } => format!(
                "phone_holds: no phone number is available to assign: {resting} {} resting after {} release",
                if *resting == 1 { "number is" } else { "numbers are" },
                if *resting == 1 { "its" } else { "their" }
            ),
            HoldError::LeadPhoneInvalid { why, .. } => format!("phone_holds: {why}"),
            HoldError::TableMissing { relation } => format!("phone_holds: table {relation} does not exist"),
            HoldError::ColumnMissing { relation, column } => {
                format!("phone_holds: table {relation} has no column {column:?}")
            }
            HoldError::TablesTooOld { .. } => {
                "phone_holds: the pool and ledger tables are older than this version of phone_holds serves".into()
            }
            HoldError::Unreadable(u) => format!("phone_holds: {}", u.why),
            HoldError::AssistantNotSet => {
                "phone_holds: no VAPI assistant to answer inbound calls with: phone_holds.vapi_assistant_id is not set".into()
            }
            HoldError::AssistantIdInvalid { value, from_setting } => format!(
                "phone_holds: {} {} is not a VAPI assistant id",
                if *from_setting { "phone_holds.vapi_assistant_id" } else { "assistant_id" },
                quoted(value)
            ),
            HoldError::SignatureRefused { source, why } => {
                format!("phone_holds: {} webhook refused: {why}", source.title())
            }
            HoldError::ReadOnly { function, standby: true } => {
                format!("phone_holds: {function} writes, and this server is a hot standby (in recovery)")
            }
            HoldError::ReadOnly { function, standby: false } => {
                format!("phone_holds: {function} writes, and this transaction is read-only")
            }
        }
    }

    pub fn detail(&self) -> Option<String> {
        match self {
            HoldError::Booking(BookingError::FollowUpOver { window_ended, .. }) => {
                Some(format!("Its follow-up window ended at {}.", iso(window_ended)))
            }
            HoldError::Booking(BookingError::BeyondHorizon { latest, .. }) => {
                Some(format!("The latest bookable time is {}.", iso(latest)))
            }
            HoldError::PoolExhausted => {
                Some("Every row of public.signalwire_phone_numbers is assigned or locked by another transaction.".into())
            }
            HoldError::PoolResting { free_at, min_rest, .. } => Some(format!(
                "phone_holds.min_rest is {}: a released number goes to another lead only after that long. The first is free again at {}.",
                interval(min_rest),
                iso(free_at)
            )),
            HoldError::SignatureRefused { .. } | HoldError::ReadOnly { .. } => Some("Nothing was changed.".into()),
            HoldError::TablesTooOld { recorded: Some(shape), served_from, .. } => Some(format!(
                "phone_holds_setup() recorded table shape {shape}; this version serves shape {served_from} and later. Nothing was changed."
            )),
            HoldError::TablesTooOld { recorded: None, missing, .. } => Some(format!(
                "They were set up by a release before 0.8.0: they have no {}. Nothing was changed.",
                missing.join(", ")
            )),
            _ => None,
        }
    }

    pub fn hint(&self) -> String {
        match self {
            HoldError::NullArgument(_) => "Pass a value; as_of may be omitted to mean now().".into(),
            HoldError::UnknownOutcome(_) => format!(
                "Accepted outcomes: {} (case, '-' or ' ' for '_', and 'canceled' are accepted).",
                ACCEPTED.join(", ")
            ),
            HoldError::Booking(BookingError::FollowUpOver { .. }) => {
                "Check the date and its time zone; pass a timestamptz with its offset, such as 'YYYY-MM-DD 14:00:00-04'::timestamptz.".into()
            }
            HoldError::Booking(BookingError::BeyondHorizon { .. }) => {
                "Check the year; raise phone_holds.booking_horizon if such bookings are real.".into()
            }
            HoldError::TimeOutOfRange { .. } => "Use a finite timestamp between the years 1 and 9999.".into(),
            HoldError::HoldEndsTooLate { .. } => "Check the year of as_of and of the appointment time.".into(),
            HoldError::PoolExhausted => {
                "Add numbers to public.signalwire_phone_numbers, or run release_expired_phone_numbers().".into()
            }
            HoldError::PoolResting { .. } => "Add numbers to public.signalwire_phone_numbers, or wait until then; \
                 SET phone_holds.min_rest to less (0 turns resting off) to hand out recently released numbers."
                .into(),
            HoldError::LeadPhoneInvalid { looks_like_time, .. } => {
                let mut hint = "Pass the lead's phone in E.164, + then an assigned country code and the number, such as +14155550123 \
                                (blanks, dashes, dots and parentheses are ignored), or NULL when it is not known."
                    .to_owned();
                if *looks_like_time {
                    hint.push_str(" It looks like a time: lead_phone is the argument after as_of; pass a time as as_of (as_of => '…'::timestamptz).");
                }
                hint
            }
            HoldError::Unreadable(u) => u.hint.clone(),
            HoldError::AssistantNotSet => "Set it for the role the workflow connects as, e.g. ALTER ROLE service_role SET phone_holds.vapi_assistant_id = '<assistant id from the VAPI dashboard>' (new sessions see it), or pass assistant_id => '<id>'.".into(),
            HoldError::AssistantIdInvalid { .. } => {
                "A VAPI assistant id is a UUID such as 5b0a4c1e-8f7d-4e2a-9c3b-1d2e3f4a5b6c: copy it from the assistant's page in the VAPI dashboard.".into()
            }
            HoldError::SignatureRefused { source: Source::Vapi, .. } => {
                "Pass the request's headers as a JSON object ({{ JSON.stringify($json.headers) }} in n8n) and its raw body; \
                 the secret set with phone_holds_set_webhook_secret('vapi', …) must be the one the assistant's server \
                 credential sends (X-Vapi-Secret, Bearer token, or HMAC key)."
                    .into()
            }
            HoldError::SignatureRefused { source, .. } => format!(
                "Pass the body exactly as it arrived (the raw body, not re-serialised JSON) and the {} header; \
                 the secret set with phone_holds_set_webhook_secret('{}', …) must be the one {} signs with.",
                signature::header(*source),
                source.as_str(),
                source.title()
            ),
            HoldError::TableMissing { relation } if relation.ends_with("phone_hold_appointments") => {
                "It is new in 0.10.0, where a hold keeps every appointment of its lead: SELECT phone_holds_setup() creates it \
                 with the appointments the holds and bookings already record (and changes no row), then grant the webhook \
                 role SELECT, INSERT, UPDATE on it (README: Privileges)."
                    .into()
            }
            HoldError::TableMissing { relation } if relation.ends_with("phone_hold_bookings") => {
                "It is new in 0.7.0: SELECT phone_holds_setup() creates it (and changes no row), then grant the \
                 webhook role SELECT, INSERT, UPDATE on it (README: Privileges)."
                    .into()
            }
            HoldError::TableMissing { relation } if relation.ends_with("phone_hold_claims") => {
                "It is the extension's own: ALTER EXTENSION phone_holds UPDATE makes it (docs/UPGRADING.md).".into()
            }
            HoldError::ReadOnly { standby: true, .. } => "Call it on the primary: with libpq, list every node and add \
                 target_session_attrs=read-write. phone_holds_webhook() answers this with 503, so the sender retries; \
                 after a failover the new primary takes the call. A standby serves the reads: inbound routing, the pool, \
                 history (docs/operations/replicas-and-failover.md)."
                .into(),
            HoldError::ReadOnly { standby: false, .. } => "Call it in a read-write transaction (not BEGIN READ ONLY, nor with \
                 default_transaction_read_only on); over PostgREST, with POST, not GET."
                .into(),
            HoldError::TablesTooOld { .. } => "Run ALTER EXTENSION phone_holds UPDATE, then SELECT phone_holds_setup(): it adds what is \
                 missing, empty, and changes no row (docs/UPGRADING.md). Every call is refused until then."
                .into(),
            HoldError::TableMissing { relation } => format!(
                "If it was renamed or moved, move it back (ALTER TABLE <its name> RENAME TO {table}, then SET SCHEMA public): \
                 its rows are still there. In a database never set up for phone_holds, run SELECT phone_holds_setup(). \
                 SELECT * FROM phone_holds_check() reports what is missing.",
                table = relation.rsplit('.').next().unwrap_or(relation)
            ),
            HoldError::ColumnMissing { relation, column } => {
                let re_added = (relation.ends_with("signalwire_phone_numbers") && column != "number" && column != "assignment_status")
                    || (relation.ends_with("phone_hold_ledger") && ["lead_phone", "source", "source_ref", "geo_tier"].contains(&column.as_str()));
                let dropped = if re_added {
                    "if it was dropped, SELECT phone_holds_setup() adds it back, empty"
                } else {
                    "if it was dropped, its values are only in a backup"
                };
                format!(
                    "If the column was renamed, rename it back (ALTER TABLE {relation} RENAME COLUMN <its name> TO {column}); \
                     {dropped}. ALTER EXTENSION and DROP/CREATE EXTENSION change no table."
                )
            }
        }
    }

    /// The message without its prefix, as a clause a voice agent can read out.
    pub fn spoken(&self) -> String {
        self.message().trim_start_matches("phone_holds: ").to_owned()
    }

    /// Raises the error; the caller's transaction is aborted, so nothing is left half-changed.
    pub fn raise(self) -> ! {
        let mut report = ErrorReport::new(self.sqlstate(), self.message(), function_name!()).set_hint(self.hint());
        if let Some(detail) = self.detail() {
            report = report.set_detail(detail);
        }
        report.report(PgLogLevel::ERROR);
        unreachable!("an ERROR report does not return")
    }
}

impl From<BookingError> for HoldError {
    fn from(e: BookingError) -> Self {
        HoldError::Booking(e)
    }
}

impl From<Unreadable> for HoldError {
    fn from(e: Unreadable) -> Self {
        HoldError::Unreadable(e)
    }
}

impl From<UnknownOutcome> for HoldError {
    fn from(e: UnknownOutcome) -> Self {
        HoldError::UnknownOutcome(e)
    }
}

/// Unwraps a required argument.
pub fn required<T>(value: Option<T>, name: &'static str) -> Result<T, HoldError> {
    value.ok_or(HoldError::NullArgument(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_raw_text_is_cut_and_quoted() {
        let huge = "x".repeat(10_000);
        let shown = quoted(&huge);
        assert!(shown.chars().count() < 80, "{shown}");
        assert!(shown.ends_with("…\""));
        assert_eq!(quoted("a\"b"), "\"a\\\"b\"");
    }
}
