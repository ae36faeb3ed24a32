//! Where a hold change came from, as the ledger records it: the source (`sql`, `vapi`,
//! `calcom`, `calendly`) and the sender's own reference for it (a Cal.com booking uid, a
//! Calendly invitee URI, a VAPI tool-call or call id), so a number's history says why it
//! moved and which booking moved it.

/// Who asked for a hold change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// A direct SQL call (psql, a workflow's query, the release job).
    Sql,
    Vapi,
    Calcom,
    Calendly,
}

impl Source {
    /// The ledger's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Sql => "sql",
            Source::Vapi => "vapi",
            Source::Calcom => "calcom",
            Source::Calendly => "calendly",
        }
    }

    /// How people write it.
    pub fn title(self) -> &'static str {
        match self {
            Source::Sql => "SQL",
            Source::Vapi => "VAPI",
            Source::Calcom => "Cal.com",
            Source::Calendly => "Calendly",
        }
    }
}

/// What a ledger row says about where its change came from, and the lead's phone when the
/// request proves it (see `payload::lead_phone`); the phones also pick a new number's area code
/// (rules::locality).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin<'a> {
    pub source: Source,
    /// The sender's id of the request; already checked to be short text (see `reference`).
    pub reference: Option<&'a str>,
    pub lead_phone: Option<&'a str>,
    /// The number the lead is calling from when its own phone is not proven (a VAPI inbound
    /// call): good enough to choose a local number, not to record as the lead's phone.
    pub caller: Option<&'a str>,
}

impl<'a> Origin<'a> {
    /// The phone whose area code a new number should match.
    pub fn locality(&self) -> Option<&'a str> {
        self.lead_phone.or(self.caller)
    }

    /// The calendar booking a change is about: a calendar's reference names one appointment;
    /// VAPI's (a call or tool-call id) and SQL's name none.
    pub fn booking(&self) -> Option<&'a str> {
        matches!(self.source, Source::Calcom | Source::Calendly).then_some(self.reference).flatten()
    }
}

impl Origin<'static> {
    /// A direct SQL call: no reference, no phone.
    pub const SQL: Origin<'static> = Origin { source: Source::Sql, reference: None, lead_phone: None, caller: None };
}

/// The longest reference recorded, in characters: a Calendly invitee URI is about 100.
pub const MAX_REFERENCE_CHARS: usize = 255;

/// `raw` if it can be recorded as a reference: not blank, at most [`MAX_REFERENCE_CHARS`]
/// characters, no control characters.
pub fn reference(raw: &str) -> Option<&str> {
    let ok = !raw.trim().is_empty() && raw.chars().count() <= MAX_REFERENCE_CHARS && !raw.chars().any(char::is_control);
    ok.then_some(raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_short_printable_text() {
        assert_eq!(reference("bk_9f2"), Some("bk_9f2"));
        assert_eq!(reference("https://api.calendly.com/scheduled_events/E/invitees/I"), Some("https://api.calendly.com/scheduled_events/E/invitees/I"));
        assert_eq!(reference(" "), None);
        assert_eq!(reference("a\nb"), None);
        assert_eq!(reference(&"x".repeat(MAX_REFERENCE_CHARS)).map(str::len), Some(MAX_REFERENCE_CHARS));
        assert_eq!(reference(&"x".repeat(MAX_REFERENCE_CHARS + 1)), None);
    }

    #[test]
    fn only_a_calendar_reference_names_a_booking() {
        let calendar = Origin { source: Source::Calcom, reference: Some("bk_1"), lead_phone: None, caller: None };
        assert_eq!(calendar.booking(), Some("bk_1"));
        assert_eq!(Origin { source: Source::Vapi, ..calendar }.booking(), None);
        assert_eq!(Origin::SQL.booking(), None);
    }

    #[test]
    fn sources_have_the_ledger_names() {
        let names: Vec<&str> = [Source::Sql, Source::Vapi, Source::Calcom, Source::Calendly].iter().map(|s| s.as_str()).collect();
        assert_eq!(names, ["sql", "vapi", "calcom", "calendly"]);
    }
}
