//! Appointment times as text: RFC 3339 / ISO 8601 with an explicit zone.
//!
//! Accepted: `2025-10-20T14:00:00Z`, `2025-10-20T10:00:00-04:00`, `2025-10-20 14:00:00.250+00:00`,
//! `2025-10-20T14:00Z` (seconds may be left out), a lower-case `t`/`z`.
//! The rule for text without a zone (`2025-10-20T14:00:00`): refused as ambiguous. A voice
//! agent's "2pm" is the lead's local time, which the database cannot know; guessing UTC
//! would hold the number for the wrong hours, so the agent is asked for an offset instead.
//! The offset `-00:00` is RFC 3339's way of saying the same ("UTC, local offset unknown"), so
//! it is refused with it; `+00:00` and `Z` are UTC.

use crate::rules::refusal::Refusal;
use crate::rules::text::quote;
use crate::rules::Instant;
use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDateTime, Utc};

/// A time in the accepted form for the sentences to show: 2 pm at UTC-04:00 on the day after
/// `as_of` there, so it is always in the future and an agent reading it aloud suggests a time
/// that would be accepted.
pub fn example(as_of: Instant) -> String {
    let east_coast = FixedOffset::west_opt(4 * 3600).expect("a valid offset");
    let today = as_of.with_timezone(&east_coast).date_naive();
    let day = today.checked_add_days(Days::new(1)).unwrap_or(today);
    format!("{}T14:00:00-04:00", day.format("%Y-%m-%d"))
}

/// Reads `raw` as an instant; `as_of` only dates the example a refusal gives.
pub fn parse(raw: &str, what: &str, as_of: Instant) -> Result<Instant, Refusal> {
    let say_offset = || format!("say it with an offset such as {} or Z for UTC", example(as_of));
    let s = raw.trim();
    if s.ends_with("-00:00") && looks_zoneless(&s[..s.len() - 6]) {
        return Err(Refusal(format!(
            "{what} {} has the offset -00:00, which means the local time zone is unknown; {}",
            quote(raw),
            say_offset()
        )));
    }
    let with_seconds = |s: &str| -> Option<String> {
        // RFC 3339 needs seconds; ISO 8601 lets them go: insert ":00" after HH:MM.
        let t = s.find(['T', 't', ' '])?;
        let time = &s[t + 1..];
        let hhmm = time.get(..5)?;
        let rest = &time[5..];
        (hhmm.as_bytes().get(2) == Some(&b':') && !rest.starts_with(':')).then(|| format!("{}{hhmm}:00{rest}", &s[..=t]))
    };
    let parsed = DateTime::parse_from_rfc3339(s)
        .ok()
        .or_else(|| with_seconds(s).and_then(|s| DateTime::parse_from_rfc3339(&s).ok()));
    match parsed {
        Some(t) if (1..=9999).contains(&t.with_timezone(&Utc).year()) => Ok(t.with_timezone(&Utc)),
        Some(_) => Err(Refusal(format!("{what} {} is outside the years 1 to 9999", quote(raw)))),
        None if looks_zoneless(s) => Err(Refusal(format!(
            "{what} {} has no time zone; {}",
            quote(raw),
            say_offset()
        ))),
        None => Err(Refusal(format!(
            "{what} {} is not a date and time such as {}",
            quote(raw),
            example(as_of)
        ))),
    }
}

/// A well-formed date and time that only lacks its zone.
fn looks_zoneless(s: &str) -> bool {
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .any(|f| NaiveDateTime::parse_from_str(s, f).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    use crate::rules::payload::test_as_of as as_of;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> Instant {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
    }

    #[test]
    fn zones_offsets_fractions_and_short_forms() {
        let two_pm = utc(2025, 10, 20, 14, 0, 0);
        for raw in [
            "2025-10-20T14:00:00Z",
            "2025-10-20T10:00:00-04:00",
            "2025-10-20T19:30:00+05:30",
            "2025-10-20 14:00:00+00:00",
            "2025-10-20t14:00:00z",
            "2025-10-20T14:00Z",
            "2025-10-20T10:00-04:00",
            " 2025-10-20T14:00:00.000Z ",
        ] {
            assert_eq!(parse(raw, "appointment_time", as_of()), Ok(two_pm), "{raw}");
        }
        assert_eq!(
            parse("2025-10-20T14:00:00.250Z", "t", as_of()).unwrap().timestamp_subsec_millis(),
            250
        );
    }

    #[test]
    fn dst_edges_and_leap_days_are_exact_instants() {
        // The offset says which of New York's two 01:30s on 2025-11-02 is meant.
        assert_eq!(parse("2025-11-02T01:30:00-04:00", "t", as_of()), Ok(utc(2025, 11, 2, 5, 30, 0)));
        assert_eq!(parse("2025-11-02T01:30:00-05:00", "t", as_of()), Ok(utc(2025, 11, 2, 6, 30, 0)));
        assert_eq!(parse("2028-02-29T09:00:00Z", "t", as_of()), Ok(utc(2028, 2, 29, 9, 0, 0)));
        assert!(parse("2027-02-29T09:00:00Z", "t", as_of()).is_err());
    }

    #[test]
    fn text_without_a_zone_is_refused_as_ambiguous() {
        for raw in ["2025-10-20T14:00:00", "2025-10-20 14:00", "2025-10-20T14:00:00.5"] {
            let Refusal(msg) = parse(raw, "appointment_time", as_of()).unwrap_err();
            assert!(msg.contains("has no time zone") && msg.contains(&format!("\"{raw}\"")), "{msg}");
        }
    }

    #[test]
    fn an_unknown_local_offset_is_refused_like_no_zone() {
        for raw in ["2025-10-20T14:00:00-00:00", "2025-10-20T14:00-00:00", "2025-10-20 14:00:00.5-00:00"] {
            let Refusal(msg) = parse(raw, "appointment_time", as_of()).unwrap_err();
            assert!(msg.contains("-00:00, which means the local time zone is unknown") && msg.contains("offset such as"), "{msg}");
        }
        assert!(parse("2025-10-20T14:00:00+00:00", "t", as_of()).is_ok());
    }

    #[test]
    fn malformed_text_is_refused_with_the_value_quoted() {
        for raw in ["", "tomorrow at 2", "2025-10-20", "2025-13-01T00:00:00Z", "2025-10-20T25:00:00Z", "1760968800", "2025-10-20T14:00:00+25:00"] {
            let Refusal(msg) = parse(raw, "appointment_time", as_of()).unwrap_err();
            assert!(msg.starts_with("appointment_time \""), "{msg}");
            assert!(msg.contains("is not a date and time"), "{raw}: {msg}");
        }
        let Refusal(msg) = parse(&"9".repeat(5000), "appointment_time", as_of()).unwrap_err();
        assert!(msg.len() < 200, "{msg}");
    }

    #[test]
    fn the_example_is_a_future_time_in_the_accepted_form() {
        // Late evening at UTC-04:00 is already the next day in UTC: the example still follows as_of.
        for as_of in [utc(2026, 11, 25, 18, 35, 0), utc(2026, 11, 26, 3, 59, 0), utc(2026, 12, 31, 23, 0, 0)] {
            let example = example(as_of);
            assert!(parse(&example, "t", as_of).unwrap() > as_of, "{as_of}: {example}");
        }
        assert_eq!(example(utc(2026, 11, 25, 18, 35, 0)), "2026-11-26T14:00:00-04:00");
        assert_eq!(example(utc(2026, 12, 31, 23, 0, 0)), "2027-01-01T14:00:00-04:00");
        let as_of = utc(2026, 11, 25, 18, 35, 0);
        for raw in ["2026-11-26T14:00:00", "2026-11-26T14:00:00-00:00", "next tuesday"] {
            let Refusal(msg) = parse(raw, "t", as_of).unwrap_err();
            assert!(msg.contains("such as 2026-11-26T14:00:00-04:00"), "{msg}");
        }
    }
}
