//! Local presence: which free numbers a lead without one is offered first, so its number is
//! local to it. After its previous number (if free): a number of the lead's area code, then
//! one of its state or province, then any number; within a tier, the one rested longest.

use super::text::quote;
use super::{country_code, nanp, phone};

/// How closely a new number should match the lead's phone (`phone_holds.geo_match`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GeoMatch {
    /// The lead's area code first, then its state or province, then any number.
    #[default]
    AreaCode,
    /// Its state or province (all its area codes alike) first, then any number.
    State,
    /// Any number: the previous number, else the one rested longest.
    Off,
}

/// Which search found a lead's new number, as the assignment's ledger row records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// The number the lead held last.
    Previous,
    AreaCode,
    State,
    Any,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Previous => "previous",
            Tier::AreaCode => "area_code",
            Tier::State => "state",
            Tier::Any => "any",
        }
    }
}

/// One search among the free numbers, after the previous number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Numbers beginning with this prefix (`+1415`).
    AreaCode(String),
    /// Numbers of the region's area codes, but `except` (already searched).
    State { region: &'static str, except: Option<u16> },
    Any,
}

impl Search {
    pub fn tier(&self) -> Tier {
        match self {
            Search::AreaCode(_) => Tier::AreaCode,
            Search::State { .. } => Tier::State,
            Search::Any => Tier::Any,
        }
    }
}

impl Search {
    /// The prefixes a state search looks for (`+1310`, …); empty for the other searches.
    pub fn prefixes(&self) -> Vec<String> {
        match *self {
            Search::State { region, except } => nanp::area_codes_of(region).filter(|c| Some(*c) != except).map(nanp::prefix).collect(),
            _ => Vec::new(),
        }
    }
}

/// The searches for a lead whose phone is `lead_phone` (E.164), in order. Without a phone, a
/// non-NANP phone, or with matching off: any number. A tier with nothing to search (a region
/// of one area code, already searched) is left out. A state's prefixes are listed only if its
/// search is reached ([`Search::prefixes`]): most leads find their area code first.
pub fn searches(lead_phone: Option<&str>, geo: GeoMatch) -> Vec<Search> {
    let mut out = Vec::with_capacity(3);
    if let Some(npa) = lead_phone.and_then(nanp::area_code).filter(|_| geo != GeoMatch::Off) {
        let except = (geo == GeoMatch::AreaCode).then_some(npa);
        if except.is_some() {
            out.push(Search::AreaCode(nanp::prefix(npa)));
        }
        if let Some((region, _)) = nanp::region(npa) {
            if nanp::area_codes_of(region).any(|c| Some(c) != except) {
                out.push(Search::State { region, except });
            }
        }
    }
    out.push(Search::Any);
    out
}

/// A lead's phone as given to a function: E.164 (`phone::e164`, so blanks, dashes, dots and
/// parentheses are ignored), and a `+1` number shaped like a NANP one; blank means none.
/// The refusal says what was wrong, for a 22023.
pub fn lead_phone(raw: &str) -> Result<Option<String>, String> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    match phone::e164(raw) {
        Some(n) if nanp::misshapen(&n) => Err(format!(
            "lead_phone {} is not a North American number: +1 takes ten digits, the area code's first 2 to 9",
            quote(raw)
        )),
        Some(n) if !country_code::assigned(&n) => Err(format!(
            "lead_phone {} begins with no assigned country calling code (ITU E.164)",
            quote(raw)
        )),
        Some(n) => Ok(Some(n)),
        None => Err(format!("lead_phone {} is not an E.164 phone number", quote(raw))),
    }
}

/// Why a pool number, as stored, can never be a lead's local number; `None` when it can be, or
/// is E.164 outside the NANP. (The pool is matched by the stored text's prefix, so the number
/// must be stored exactly as `phone::e164` writes it.)
pub fn stored_number_problem(number: &str) -> Option<&'static str> {
    if phone::e164(number).as_deref() != Some(number) {
        Some("number is not E.164 (+, then 7 to 15 digits and nothing else), so it never matches a lead's area code")
    } else if !country_code::assigned(number) {
        Some("number begins with no assigned country calling code (ITU E.164), so no lead can be called from it")
    } else if nanp::misshapen(number) {
        Some("number starts with +1 but is not a North American number (+1, then ten digits, the first 2 to 9), so it never matches a lead's area code")
    } else {
        None
    }
}

/// Whether a refused `lead_phone` looks like a time: a caller that passed a time one place too
/// far, where the phone goes after `as_of`.
pub fn looks_like_a_time(raw: &str) -> bool {
    let t = raw.trim();
    t.len() >= 10 && t.as_bytes()[4] == b'-' && t.as_bytes()[7] == b'-' && t[..4].bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prefixes(s: &Search) -> Vec<String> {
        match s {
            Search::AreaCode(p) => vec![p.clone()],
            other => other.prefixes(),
        }
    }

    #[test]
    fn area_code_then_state_then_any() {
        let s = searches(Some("+14155550123"), GeoMatch::AreaCode);
        assert_eq!(s.iter().map(Search::tier).collect::<Vec<_>>(), [Tier::AreaCode, Tier::State, Tier::Any]);
        assert_eq!(s[0], Search::AreaCode("+1415".into()));
        let state = prefixes(&s[1]);
        assert!(state.contains(&"+1310".to_owned()) && !state.contains(&"+1415".to_owned()), "{state:?}");
    }

    #[test]
    fn state_matching_searches_the_whole_state_at_once() {
        let s = searches(Some("+14155550123"), GeoMatch::State);
        assert_eq!(s.iter().map(Search::tier).collect::<Vec<_>>(), [Tier::State, Tier::Any]);
        assert!(prefixes(&s[0]).contains(&"+1415".to_owned()));
    }

    #[test]
    fn any_number_when_there_is_nothing_to_match() {
        for (phone, geo) in [
            (None, GeoMatch::AreaCode),
            (Some("+442079460958"), GeoMatch::AreaCode),
            (Some("+14155550123"), GeoMatch::Off),
        ] {
            assert_eq!(searches(phone, geo), [Search::Any], "{phone:?} {geo:?}");
        }
        // Toll-free: its own area code, no state.
        assert_eq!(searches(Some("+18005550123"), GeoMatch::AreaCode), [Search::AreaCode("+1800".into()), Search::Any]);
        assert_eq!(searches(Some("+18005550123"), GeoMatch::State), [Search::Any]);
        // Wyoming has one area code: searched once.
        assert_eq!(searches(Some("+13075550123"), GeoMatch::AreaCode), [Search::AreaCode("+1307".into()), Search::Any]);
        let wyoming = searches(Some("+13075550123"), GeoMatch::State);
        assert_eq!(wyoming, [Search::State { region: "US-WY", except: None }, Search::Any]);
        assert_eq!(wyoming[0].prefixes(), ["+1307"]);
    }

    #[test]
    fn lead_phones_are_e164_or_refused() {
        assert_eq!(lead_phone("+1 (415) 555-0123"), Ok(Some("+14155550123".into())));
        assert_eq!(lead_phone("+44 20 7946 0958"), Ok(Some("+442079460958".into())));
        assert_eq!(lead_phone("  "), Ok(None));
        for bad in ["4155550123", "(415) 555-0123", "+1415555012", "+10155550123", "+1 415 555 0123 x2", "anonymous", "2025-10-18 12:00Z"] {
            let why = lead_phone(bad).unwrap_err();
            assert!(why.starts_with("lead_phone \""), "{bad}: {why}");
        }
        assert!(lead_phone("+1415555012").unwrap_err().contains("North American"));
        // E.164's shape with a country code nobody was given: refused, not held for.
        for unassigned in ["+99912345678", "+990 1234 5678", "+2801234567", "+8011234567"] {
            assert!(lead_phone(unassigned).unwrap_err().contains("no assigned country calling code"), "{unassigned}");
        }
        assert_eq!(lead_phone("+800 1234 5678"), Ok(Some("+80012345678".into())), "non-geographic codes are assigned");
        assert!(looks_like_a_time("2025-10-18 12:00Z") && looks_like_a_time("2025-10-18T12:00:00Z"));
        assert!(!looks_like_a_time("+14155550123") && !looks_like_a_time("415-555-0123"));
    }

    #[test]
    fn stored_numbers_are_matched_only_as_e164() {
        for fine in ["+14155550101", "+442079460958", "+15550100001"] {
            assert_eq!(stored_number_problem(fine), None, "{fine}");
        }
        for bad in ["415-555-0102", "+1 415 555 0103", "+14155550101 ", "14155550101"] {
            assert!(stored_number_problem(bad).unwrap().starts_with("number is not E.164"), "{bad}");
        }
        for bad in ["+1415555010", "+10155550104"] {
            assert!(stored_number_problem(bad).unwrap().contains("not a North American number"), "{bad}");
        }
        assert!(stored_number_problem("+99912345678").unwrap().contains("no assigned country calling code"));
    }

    #[test]
    fn tiers_have_their_ledger_names() {
        let names: Vec<&str> = [Tier::Previous, Tier::AreaCode, Tier::State, Tier::Any].iter().map(|t| t.as_str()).collect();
        assert_eq!(names, ["previous", "area_code", "state", "any"]);
    }
}
