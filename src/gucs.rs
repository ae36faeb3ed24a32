//! The three hold windows as GUCs, each in seconds with PostgreSQL's time units, so
//! `SET phone_holds.initial_hold = '12h'` works and a bad value is refused when it is set.
//! The rest of the code asks [`windows`] and never touches the GUC machinery.

use crate::rules::locality::GeoMatch;
use crate::rules::Windows;
use chrono::TimeDelta;
use pgrx::guc::{GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};
use std::ffi::CString;

const HOUR: i32 = 3600;
const DAY: i32 = 24 * HOUR;

static INITIAL_HOLD: GucSetting<i32> = GucSetting::<i32>::new(18 * HOUR);
static FOLLOW_UP_WINDOW: GucSetting<i32> = GucSetting::<i32>::new(24 * HOUR);
static BOOKING_HORIZON: GucSetting<i32> = GucSetting::<i32>::new(365 * DAY);
/// How long a released number rests before another lead is given it, in seconds. A real, not
/// an integer: PostgreSQL rounds an integer setting to its unit, so `'500ms'` would silently
/// have turned resting off; a real keeps fractions of a second.
static MIN_REST: GucSetting<f64> = GucSetting::<f64>::new(HOUR as f64);
static GEO_MATCH: GucSetting<GeoMatchSetting> = GucSetting::<GeoMatchSetting>::new(GeoMatchSetting::AreaCode);
/// How many numbers one batch of the batched release returns to the pool (see sql/drain.sql).
static RELEASE_BATCH: GucSetting<i32> = GucSetting::<i32>::new(DEFAULT_RELEASE_BATCH);
/// The default: bench/RESULTS.md measures bookings waiting on a batch and the drain's total
/// time for several sizes; 1000 keeps a batch, and so a booking's longest wait, near 20 ms.
pub const DEFAULT_RELEASE_BATCH: i32 = 1000;
/// The VAPI assistant that answers inbound calls (vapi_assistant_request); unset by default.
static VAPI_ASSISTANT_ID: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
/// How long after a release a call to the number still reaches the lead that held it.
static CALLBACK_WINDOW: GucSetting<i32> = GucSetting::<i32>::new(7 * DAY);
/// How far a Calendly signature's timestamp may be from now before it is refused as a replay.
static CALENDLY_SIGNATURE_TOLERANCE: GucSetting<i32> = GucSetting::<i32>::new(180);
/// The same for the timestamp of a VAPI HMAC credential's signature.
static VAPI_SIGNATURE_TOLERANCE: GucSetting<i32> = GucSetting::<i32>::new(300);
/// The header a VAPI credential sends its token or signature in, when it names one of its own.
static VAPI_CREDENTIAL_HEADER: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(None);
/// The header a VAPI HMAC credential sends its timestamp in.
static VAPI_TIMESTAMP_HEADER: GucSetting<Option<CString>> = GucSetting::<Option<CString>>::new(Some(c"x-timestamp"));
/// Whether hold changes send change events on channel phone_holds (spi::events).
static NOTIFY: GucSetting<bool> = GucSetting::<bool>::new(true);
/// No longer read by anything: kept so that runbooks written for 0.2.0, which set it around a
/// restore, keep working. Since 0.3.0 a restore needs no setting (README: Backups).
static RESTORING: GucSetting<bool> = GucSetting::<bool>::new(false);

/// `phone_holds.geo_match`'s values, as PostgreSQL lists them (rules::locality::GeoMatch).
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
enum GeoMatchSetting {
    #[name = c"area_code"]
    AreaCode,
    #[name = c"state"]
    State,
    #[name = c"off"]
    Off,
}

/// Registers the settings; called once per backend from `_PG_init`.
pub fn init() {
    // Upper bounds keep every window below ten years, so hold arithmetic on the supported
    // years (1 to 9999) can never leave chrono's range.
    const TEN_YEARS: i32 = 3650 * DAY;
    GucRegistry::define_int_guc(
        c"phone_holds.initial_hold",
        c"How long a newly assigned number stays with its lead.",
        c"A lead that asks again is given at least this much from that moment. Default 18h.",
        &INITIAL_HOLD,
        60,
        TEN_YEARS,
        GucContext::Userset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_int_guc(
        c"phone_holds.follow_up_window",
        c"How long a number stays with its lead after an appointment or an outcome.",
        c"Release waits until this long after the latest appointment; showed/no_show hold this long. Default 24h.",
        &FOLLOW_UP_WINDOW,
        60,
        TEN_YEARS,
        GucContext::Userset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_int_guc(
        c"phone_holds.booking_horizon",
        c"How far ahead an appointment may be booked.",
        c"Bookings further ahead are refused as probable typos (SQLSTATE 22008). Default 365d.",
        &BOOKING_HORIZON,
        HOUR,
        TEN_YEARS,
        GucContext::Userset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_float_guc(
        c"phone_holds.min_rest",
        c"How long a released number rests before another lead is given it.",
        c"A late callback from the lead that held it then reaches nobody new; that lead may have it back at once unless another lead held it since. 0 turns it off. Default 1h.",
        &MIN_REST,
        0.0,
        f64::from(TEN_YEARS),
        GucContext::Userset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_enum_guc(
        c"phone_holds.geo_match",
        c"Which free numbers a lead without one is offered first, given its phone.",
        c"area_code: its area code, then its state or province, then any; state: its state or province, then any; off: any. Default area_code.",
        &GEO_MATCH,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"phone_holds.release_batch",
        c"How many due numbers one batch of drain_expired_phone_numbers() releases before it commits.",
        c"A booking on a number being released waits for one batch at most. Default 1000.",
        &RELEASE_BATCH,
        1,
        1_000_000,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"phone_holds.vapi_assistant_id",
        c"The VAPI assistant that answers inbound calls to pool numbers.",
        c"vapi_assistant_request() answers VAPI's assistant-request with it; its assistant_id argument overrides it. Unset by default.",
        &VAPI_ASSISTANT_ID,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_int_guc(
        c"phone_holds.callback_window",
        c"How long after a release a call to the number still reaches the lead that held it.",
        c"vapi_assistant_request() gives the last holder's context, with number_released, for this long. 0 turns it off. Default 7d.",
        &CALLBACK_WINDOW,
        0,
        TEN_YEARS,
        GucContext::Userset,
        GucFlags::UNIT_S,
    );
    // Superuser-only, like the secrets it guards: the role that calls the webhooks cannot
    // widen the replay window.
    GucRegistry::define_int_guc(
        c"phone_holds.calendly_signature_tolerance",
        c"How old (or how far ahead) a Calendly signature's timestamp may be.",
        c"calendly_webhook() refuses (28000) a signature made further from as_of than this, so a captured delivery cannot be replayed. Default 180s.",
        &CALENDLY_SIGNATURE_TOLERANCE,
        1,
        DAY,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_int_guc(
        c"phone_holds.vapi_signature_tolerance",
        c"How old (or how far ahead) the timestamp of a VAPI HMAC signature may be.",
        c"The VAPI webhooks refuse (28000) an HMAC credential's signature whose X-Timestamp is further from the server's clock than this, so a captured delivery cannot be replayed. Default 300s.",
        &VAPI_SIGNATURE_TOLERANCE,
        1,
        DAY,
        GucContext::Suset,
        GucFlags::UNIT_S,
    );
    GucRegistry::define_string_guc(
        c"phone_holds.vapi_credential_header",
        c"The header a VAPI credential sends its token or HMAC signature in, when not one of VAPI's defaults.",
        c"VAPI's defaults (X-Vapi-Secret, Authorization, X-Signature) are always read; set this to the header name a Bearer credential (Header Name) or an HMAC credential (Signature Header) was given. Empty: the defaults only.",
        &VAPI_CREDENTIAL_HEADER,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_string_guc(
        c"phone_holds.vapi_timestamp_header",
        c"The header a VAPI HMAC credential sends its timestamp in.",
        c"VAPI's default is x-timestamp; set this to the credential's Timestamp Header when it names another.",
        &VAPI_TIMESTAMP_HEADER,
        GucContext::Suset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"phone_holds.notify",
        c"Whether every hold change sends a change event (NOTIFY phone_holds, a JSON payload).",
        c"Sent when the change commits, never when it rolls back. off: none is sent. Default on.",
        &NOTIFY,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"phone_holds.restoring",
        c"No effect since phone_holds 0.3.0; kept so that old restore runbooks that set it still work.",
        c"A restore needs no setting: CREATE EXTENSION creates no table. See README, Backups.",
        &RESTORING,
        GucContext::Userset,
        GucFlags::default(),
    );
}

/// Whether change events are sent, for this statement.
pub fn notify() -> bool {
    NOTIFY.get()
}

/// The batch size in force for this statement.
pub fn release_batch() -> i32 {
    RELEASE_BATCH.get()
}

/// The assistant set for inbound calls, if any (blank counts as unset).
pub fn vapi_assistant_id() -> Option<String> {
    VAPI_ASSISTANT_ID
        .get()
        .map(|id| id.to_string_lossy().into_owned())
        .filter(|id| !id.trim().is_empty())
}

/// The callback window in force for this statement.
pub fn callback_window() -> TimeDelta {
    TimeDelta::seconds(i64::from(CALLBACK_WINDOW.get()))
}

/// The Calendly signature tolerance in force for this statement.
pub fn calendly_signature_tolerance() -> TimeDelta {
    TimeDelta::seconds(i64::from(CALENDLY_SIGNATURE_TOLERANCE.get()))
}

/// The header names of the VAPI credential in force (`rules::vapi_credential`).
pub fn vapi_header_names() -> (String, String) {
    let read = |s: &GucSetting<Option<CString>>| s.get().map(|v| v.to_string_lossy().into_owned()).unwrap_or_default();
    (read(&VAPI_CREDENTIAL_HEADER), read(&VAPI_TIMESTAMP_HEADER))
}

pub fn vapi_signature_tolerance() -> TimeDelta {
    TimeDelta::seconds(i64::from(VAPI_SIGNATURE_TOLERANCE.get()))
}

/// The windows in force for this statement.
pub fn windows() -> Windows {
    let seconds = |s: &GucSetting<i32>| TimeDelta::seconds(i64::from(s.get()));
    Windows {
        initial_hold: seconds(&INITIAL_HOLD),
        follow_up: seconds(&FOLLOW_UP_WINDOW),
        booking_horizon: seconds(&BOOKING_HORIZON),
        // Whole microseconds: the finest unit PostgreSQL accepts for it (`us`).
        min_rest: TimeDelta::microseconds((MIN_REST.get() * 1e6).round() as i64),
        geo_match: match GEO_MATCH.get() {
            GeoMatchSetting::AreaCode => GeoMatch::AreaCode,
            GeoMatchSetting::State => GeoMatch::State,
            GeoMatchSetting::Off => GeoMatch::Off,
        },
    }
}
