//! `#[pg_test]`s: the behaviour of the SQL functions in a real backend. pgrx runs each test in
//! a transaction that is rolled back, so each starts from the extension as `CREATE EXTENSION`
//! leaves it: functions, and no table. Tests call `support::set_up()` (or `pool_of`) first,
//! which runs `phone_holds_setup()`: an empty pool and an empty ledger. Each file is one `#[pg_schema] mod tests`,
//! so all test functions live in the SQL schema `tests`; their names must differ.
//! They share lead ids and numbers, so `scripts/test.sh` runs them one at a time.

mod adoption;
mod appointments;
mod calendars;
mod history;
mod hostile;
mod inbound;
mod ledger;
mod limits;
mod locality;
mod monitoring;
mod privileges;
mod read_only;
mod refusals;
mod release_rule;
mod scenarios;
mod security;
mod support;
mod table_shape;
mod vapi;
mod vapi_server_url;
mod webhook;
