//! phone_holds: a lead keeps its phone number through an appointment and its follow-up window,
//! then the number goes back to the pool.
//!
//! `rules` holds the decisions as plain Rust; `spi` the prepared SQL; `lifecycle` the order of
//! steps; `sql_api` the functions PostgreSQL sees. Plain-SQL objects live in `sql/`.
//!
//! Every import points down the layers, without exception: `sql_api` → `lifecycle` → `spi` →
//! `rules` (a layer may skip one below it, never import one above). `errors`, `gucs` and `time`
//! sit beside `spi`: they import `rules` (and `time` the error it raises), nothing above.
//! Within `rules`, `payload` parses what VAPI, Cal.com, Calendly and n8n post into the rules'
//! own types (a calendar event, a refusal); only `sql_api` imports it, so `lifecycle`, `spi`
//! and the other rules never depend on a webhook's shape. (The pg_tests in `tests` call the
//! extension as PostgreSQL does, and may read any layer's limits.)

mod errors;
mod gucs;
mod lifecycle;
pub mod rules;
mod spi;
mod sql_api;
mod time;

#[cfg(any(test, feature = "pg_test"))]
mod tests;

use pgrx::prelude::*;

::pgrx::pg_module_magic!(name, version);

// CREATE EXTENSION installs functions and settings, and no table of the user's data: those
// pg_dump carries as the user's, and phone_holds_setup() (sql/setup.sql) makes them. The two
// tables it creates are its own: phone_hold_claims, never anything but empty (sql/claims.sql),
// and the webhook secrets, a configuration table pg_dump dumps the rows of (sql/secrets.sql).
extension_sql_file!("../sql/privileges.sql", name = "privileges", requires = [phone_holds_require_writable]);
extension_sql_file!("../sql/setup.sql", name = "setup", requires = ["privileges"]);
extension_sql_file!("../sql/claims.sql", name = "claims", requires = ["privileges"]);
extension_sql_file!("../sql/drain.sql", name = "drain", requires = [release_expired_phone_numbers_batch]);
extension_sql_file!("../sql/vapi.sql", name = "vapi_jsonb", requires = [vapi_tool_calls_text, vapi_end_of_call_text, vapi_assistant_request_text]);
extension_sql_file!("../sql/secrets.sql", name = "secrets", requires = ["privileges"]);
extension_sql_file!("../sql/webhook.sql", name = "webhook", requires = ["vapi_jsonb", phone_holds_webhook_failure, calcom_webhook, calendly_webhook]);
extension_sql_file!("../sql/cron.sql", name = "cron");
extension_sql_file!("../sql/check.sql", name = "check", requires = ["privileges"]);
extension_sql_file!("../sql/rotation.sql", name = "rotation");
extension_sql_file!("../sql/pool_areas.sql", name = "pool_areas", requires = ["rotation", phone_holds_area_codes]);
extension_sql_file!("../sql/history.sql", name = "history", requires = ["rotation"]);
extension_sql_file!("../sql/finalize.sql", name = "finalize", finalize);

#[pg_guard]
pub extern "C-unwind" fn _PG_init() {
    gucs::init();
}

/// Required by `cargo pgrx test`.
#[cfg(test)]
pub mod pg_test {
    pub fn setup(_options: Vec<&str>) {}

    #[must_use]
    pub fn postgresql_conf_options() -> Vec<&'static str> {
        vec![]
    }
}
