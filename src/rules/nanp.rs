//! North American numbers (+1): their area code, and the state, province or country it serves
//! (the table in `nanp_regions.rs`, generated from libphonenumber's data by
//! `scripts/nanp_regions.py`).

use super::nanp_regions::AREA_CODES;

/// The area code of `e164` (as `phone::e164` writes it) when it is a NANP number: `+1`, then
/// ten digits, the area code's first 2–9. `None` for other countries. (The exchange's first
/// digit is not checked: the 555-01XX numbers made for examples and tests begin with 0.)
pub fn area_code(e164: &str) -> Option<u16> {
    let digits = e164.strip_prefix("+1")?.as_bytes();
    let shaped = digits.len() == 10 && digits.iter().all(u8::is_ascii_digit) && (b'2'..=b'9').contains(&digits[0]);
    shaped.then(|| digits[..3].iter().fold(0u16, |n, d| n * 10 + u16::from(d - b'0')))
}

/// Whether `e164` claims the NANP's country code but is not shaped like a NANP number.
pub fn misshapen(e164: &str) -> bool {
    e164.starts_with("+1") && area_code(e164).is_none()
}

/// How pool numbers of area code `npa` begin: `+1415`.
pub fn prefix(npa: u16) -> String {
    format!("+1{npa}")
}

/// The region area code `npa` serves (`US-CA`, `CA-ON`, `PR`) and its name; `None` for
/// toll-free and other non-geographic codes.
pub fn region(npa: u16) -> Option<(&'static str, &'static str)> {
    let i = AREA_CODES.binary_search_by_key(&npa, |&(code, ..)| code).ok()?;
    let (_, region, name) = AREA_CODES[i];
    Some((region, name))
}

/// Every area code serving `region`, in order.
pub fn area_codes_of(region: &str) -> impl Iterator<Item = u16> + '_ {
    AREA_CODES.iter().filter(move |&&(_, r, _)| r == region).map(|&(code, ..)| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_area_code_of_a_nanp_number() {
        assert_eq!(area_code("+14155550123"), Some(415));
        assert_eq!(area_code("+12125550123"), Some(212));
        for other in ["+442079460958", "+1415555012", "+141555501234", "+11155550123", "+1415555012x", "14155550123"] {
            assert_eq!(area_code(other), None, "{other}");
        }
        assert!(misshapen("+1415555012"));
        assert!(misshapen("+10155550123"));
        assert!(!misshapen("+14155550123"));
        assert_eq!(area_code("+15550100001"), Some(555));
        assert!(!misshapen("+442079460958"));
        assert_eq!(prefix(415), "+1415");
    }

    #[test]
    fn regions_come_from_the_generated_table() {
        assert_eq!(region(415), Some(("US-CA", "California")));
        assert_eq!(region(212), Some(("US-NY", "New York")));
        // Area codes the data describes only by their longer prefixes, or by a city.
        assert_eq!(region(713), Some(("US-TX", "Texas")));
        assert_eq!(region(203), Some(("US-CT", "Connecticut")));
        assert_eq!(region(416), Some(("CA-ON", "Ontario")));
        assert_eq!(region(787), Some(("PR", "Puerto Rico")));
        assert_eq!(region(800), None);
        assert_eq!(region(900), None);
        let california: Vec<u16> = area_codes_of("US-CA").collect();
        assert!(california.len() > 30 && california.contains(&415) && california.contains(&310), "{california:?}");
        assert_eq!(area_codes_of("US-WY").collect::<Vec<_>>(), [307]);
    }

    #[test]
    fn the_table_is_sorted_unique_and_complete_enough() {
        assert!(AREA_CODES.windows(2).all(|w| w[0].0 < w[1].0), "sorted by area code, each once");
        assert!(AREA_CODES.len() > 400, "{}", AREA_CODES.len());
        // Every state, DC and every province or shared region has at least one area code.
        let regions: std::collections::BTreeSet<&str> = AREA_CODES.iter().map(|&(_, r, _)| r).collect();
        assert_eq!(regions.iter().filter(|r| r.starts_with("US-")).count(), 51);
        assert!(regions.iter().filter(|r| r.starts_with("CA-")).count() >= 10);
    }
}
