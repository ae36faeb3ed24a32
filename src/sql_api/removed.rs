//! C symbols that only old catalogs name.
//!
//! A release that replaces a C function keeps its old symbol here, with no SQL generated for it
//! (`sql = false`): between installing the new library and `ALTER EXTENSION phone_holds UPDATE`,
//! the old catalog's functions still point at it, and without it every call of theirs would fail
//! with "could not find function" (tests/e2e/tests/upgrade.rs calls them on every release's
//! catalog before the update). A catalog older than 0.8.0 comes with tables older than the
//! library serves (spi::shape), so there the symbol only delivers that refusal, 55000 with its
//! hint; the same code serves both. Each says since when it is kept and until when: as long as
//! an update from the release that last named it is supported, which today is every release
//! back to 0.1.0. Drop one only together with updates from that release, in a release whose
//! notes say so (docs/UPGRADING.md).

use pgrx::datum::{JsonB, Timestamp, TimestampWithTimeZone, Uuid};
use pgrx::prelude::*;

// Up to 0.3.0 the jsonb forms of the VAPI functions were C functions (`vapi_tool_calls_wrapper`,
// `vapi_end_of_call_wrapper`); since 0.4.0 they are SQL (sql/vapi.sql) calling the text forms.
// Kept since 0.4.0, until updates from 0.3.0 and earlier end.

#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn vapi_tool_calls(payload: Option<JsonB>, as_of: Option<TimestampWithTimeZone>) -> JsonB {
    super::vapi::vapi_tool_calls_text(payload.map(|p| p.0.to_string()).as_deref(), as_of)
}

#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn vapi_end_of_call(payload: Option<JsonB>, as_of: Option<TimestampWithTimeZone>) -> JsonB {
    super::vapi::vapi_end_of_call_text(payload.map(|p| p.0.to_string()).as_deref(), as_of)
}

// Up to 0.7.0 the assignment and the appointment functions took no `lead_phone`; since 0.8.0
// they do, under other symbols (`…_near`). Kept since 0.8.0, until updates from 0.7.0 and
// earlier end.

#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn assign_phone_to_lead(lead_id: Option<Uuid>, as_of: Option<TimestampWithTimeZone>) -> String {
    super::assign::assign_phone_to_lead_near(lead_id, as_of, None)
}

#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn extend_phone_for_appointment(lead_id: Option<Uuid>, appointment_time: Option<TimestampWithTimeZone>, as_of: Option<TimestampWithTimeZone>) -> TimestampWithTimeZone {
    super::appointments::extend_phone_for_appointment_near(lead_id, appointment_time, as_of, None)
}

#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn extend_phone_for_appointment_utc(lead_id: Option<Uuid>, appointment_time: Option<Timestamp>, as_of: Option<TimestampWithTimeZone>) -> TimestampWithTimeZone {
    super::appointments::extend_phone_for_appointment_utc_near(lead_id, appointment_time, as_of, None)
}

#[pg_extern(volatile, parallel_unsafe, sql = false)]
fn reschedule_appointment_for_phone(lead_id: Option<Uuid>, new_time: Option<TimestampWithTimeZone>, as_of: Option<TimestampWithTimeZone>) -> TimestampWithTimeZone {
    super::appointments::reschedule_appointment_for_phone_near(lead_id, new_time, as_of, None)
}
