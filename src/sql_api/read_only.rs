//! The guard the SQL-language functions that change holds or their set-up call first
//! (retire and restore, the drain, setup, secrets, the release job's schedule): 25006 with a
//! phone_holds message on a hot standby or in a READ ONLY transaction, before any work. The
//! Rust functions ask the same question through `spi::pool::with_pool_to_write`.

use super::answer;
use crate::spi::read_only::refuse_if_read_only;
use pgrx::prelude::*;

/// Nothing when this transaction may write; 25006 naming `function` when it may not. Reads
/// nothing of the user's: granted to PUBLIC.
#[pg_extern(volatile, parallel_safe)]
fn phone_holds_require_writable(function: Option<&str>) {
    answer(refuse_if_read_only(function.unwrap_or("this call")))
}
