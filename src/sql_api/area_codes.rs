use crate::rules::locality::stored_number_problem;
use crate::rules::nanp;
use crate::rules::nanp_regions::{AREA_CODES, SOURCE};
use pgrx::prelude::*;

/// The NANP area codes phone_holds knows the region of, from the table generated from
/// libphonenumber's data (scripts/nanp_regions.py; `phone_holds_area_codes_source()` says
/// which release): area code (`415`), region (`US-CA`, `CA-ON`, `PR`) and its name.
#[pg_extern(immutable, parallel_safe)]
fn phone_holds_area_codes() -> TableIterator<'static, (name!(area_code, String), name!(region, String), name!(region_name, String))> {
    TableIterator::new(AREA_CODES.iter().map(|&(code, region, name)| (code.to_string(), region.to_owned(), name.to_owned())))
}

/// The area code of a number as the pool stores it (`+14155550101` → `415`); NULL for a number
/// outside the NANP or not stored in E.164. What the pool functions group by.
#[pg_extern(immutable, parallel_safe)]
fn phone_holds_area_code(number: &str) -> Option<String> {
    nanp::area_code(number).map(|npa| npa.to_string())
}

/// Why a number as the pool stores it can never match a lead's area code, or NULL: the rule
/// phone_holds_setup() warns by and phone_holds_check() reports by (rules::locality).
#[pg_extern(immutable, parallel_safe)]
fn phone_holds_number_problem(number: &str) -> Option<&'static str> {
    stored_number_problem(number)
}

/// Where the area-code table came from: the phonenumbers release and the date it was generated.
#[pg_extern(immutable, parallel_safe)]
fn phone_holds_area_codes_source() -> &'static str {
    SOURCE
}
