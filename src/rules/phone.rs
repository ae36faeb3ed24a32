//! Phone numbers as phone_holds compares them: E.164, a `+` and the country code and number,
//! with the blanks, dashes, dots and parentheses people write between digits ignored.
//!
//! Nothing looser is guessed: a number written without its country code could belong to
//! several countries, so it is not E.164, is never recorded as a lead's phone, and is never
//! said to match one.

/// `raw` as E.164 (`+15550100001`), or `None` when it is not one: no `+`, a country code
/// starting with 0, fewer than 7 or more than 15 digits, or anything but digits and the
/// separators above.
pub fn e164(raw: &str) -> Option<String> {
    let rest = raw.trim().strip_prefix('+')?;
    let mut digits = String::with_capacity(16);
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => return None,
        }
        if digits.len() > 15 {
            return None;
        }
    }
    (digits.len() >= 7 && !digits.starts_with('0')).then(|| format!("+{digits}"))
}

/// Whether the person calling is on the lead's phone, as far as the numbers tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerCheck {
    /// The caller's number is the lead's phone.
    Matches,
    /// Both numbers are known and differ: someone else may be calling about the lead.
    Differs,
    /// The lead's phone is not known, or the caller's number is withheld or not E.164.
    Unknown,
}

impl CallerCheck {
    pub fn of(lead_phone: Option<&str>, caller: Option<&str>) -> CallerCheck {
        match (lead_phone.and_then(e164), caller.and_then(e164)) {
            (Some(lead), Some(caller)) if lead == caller => CallerCheck::Matches,
            (Some(_), Some(_)) => CallerCheck::Differs,
            _ => CallerCheck::Unknown,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CallerCheck::Matches => "matches",
            CallerCheck::Differs => "differs",
            CallerCheck::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_is_ignored_and_the_country_code_is_required() {
        assert_eq!(e164("+15550100001").as_deref(), Some("+15550100001"));
        assert_eq!(e164(" +1 (555) 010-0001 ").as_deref(), Some("+15550100001"));
        assert_eq!(e164("+44 20.7946.0958").as_deref(), Some("+442079460958"));
        for bad in ["5550100001", "15550100001", "+0555010000", "+1555", "+1234567890123456", "+1555010000x", "", "+", "anonymous", "+1 555 010 0001 ext 2"] {
            assert_eq!(e164(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_caller_matches_differs_or_is_unknown() {
        assert_eq!(CallerCheck::of(Some("+15550100001"), Some("+1 555-010-0001")), CallerCheck::Matches);
        assert_eq!(CallerCheck::of(Some("+15550100001"), Some("+15550100002")), CallerCheck::Differs);
        assert_eq!(CallerCheck::of(None, Some("+15550100002")), CallerCheck::Unknown);
        assert_eq!(CallerCheck::of(Some("+15550100001"), None), CallerCheck::Unknown);
        // A caller id without its country code is not guessed to be the lead's.
        assert_eq!(CallerCheck::of(Some("+15550100001"), Some("5550100001")), CallerCheck::Unknown);
        assert_eq!(CallerCheck::Differs.as_str(), "differs");
    }
}
