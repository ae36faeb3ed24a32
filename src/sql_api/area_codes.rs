use crate::rules::nanp_regions::{AREA_CODES, SOURCE};
use pgrx::prelude::*;

/// The NANP area codes phone_holds knows the region of, from the table generated from
/// libphonenumber's data (scripts/nanp_regions.py; `phone_holds_area_codes_source()` says
/// which release): area code (`415`), region (`US-CA`, `CA-ON`, `PR`) and its name.
#[pg_extern(immutable, parallel_safe)]
fn phone_holds_area_codes() -> TableIterator<'static, (name!(area_code, String), name!(region, String), name!(region_name, String))> {
    TableIterator::new(AREA_CODES.iter().map(|&(code, region, name)| (code.to_string(), region.to_owned(), name.to_owned())))
}

/// Where the area-code table came from: the phonenumbers release and the date it was generated.
#[pg_extern(immutable, parallel_safe)]
fn phone_holds_area_codes_source() -> &'static str {
    SOURCE
}
