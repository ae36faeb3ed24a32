//! Appointment outcomes as brokers and calendars type them, normalised to four values.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Showed,
    NoShow,
    Cancelled,
    Rescheduled,
}

/// The canonical spellings, in the order error messages list them.
pub const ACCEPTED: [&str; 4] = ["showed", "no_show", "cancelled", "rescheduled"];

/// An outcome text that normalises to none of [`ACCEPTED`]; keeps what the caller sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOutcome(pub String);

impl Outcome {
    /// The spelling stored in `last_call_outcome` and in the ledger.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Showed => "showed",
            Outcome::NoShow => "no_show",
            Outcome::Cancelled => "cancelled",
            Outcome::Rescheduled => "rescheduled",
        }
    }

    /// Whether the appointment is over and the lead gets a follow-up window
    /// (`showed`, `no_show`), as opposed to the appointment being called off.
    pub fn keeps_follow_up(self) -> bool {
        matches!(self, Outcome::Showed | Outcome::NoShow)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Outcome {
    type Err = UnknownOutcome;

    /// Case, surrounding blanks, `-` or spaces for `_`, and the American `canceled` are forgiven;
    /// nothing else is guessed.
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        let folded: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                '-' | ' ' => '_',
                c => c.to_ascii_lowercase(),
            })
            .collect();
        match folded.as_str() {
            "showed" => Ok(Outcome::Showed),
            "no_show" => Ok(Outcome::NoShow),
            "cancelled" | "canceled" => Ok(Outcome::Cancelled),
            "rescheduled" => Ok(Outcome::Rescheduled),
            _ => Err(UnknownOutcome(raw.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_spellings_round_trip() {
        for text in ACCEPTED {
            let outcome: Outcome = text.parse().unwrap();
            assert_eq!(outcome.as_str(), text);
        }
    }

    #[test]
    fn forgives_case_separators_blanks_and_american_spelling() {
        assert_eq!("No-Show".parse(), Ok(Outcome::NoShow));
        assert_eq!(" no show ".parse(), Ok(Outcome::NoShow));
        assert_eq!("NO_SHOW".parse(), Ok(Outcome::NoShow));
        assert_eq!("Canceled".parse(), Ok(Outcome::Cancelled));
        assert_eq!("CANCELLED".parse(), Ok(Outcome::Cancelled));
        assert_eq!("Re-Scheduled".parse::<Outcome>(), Err(UnknownOutcome("Re-Scheduled".into())));
        assert_eq!("rescheduled\n".parse(), Ok(Outcome::Rescheduled));
    }

    #[test]
    fn rejects_anything_else_and_keeps_the_raw_text() {
        for raw in ["", "  ", "show", "noshow", "done", "showed!", "cancel", "'; DROP TABLE x; --"] {
            assert_eq!(raw.parse::<Outcome>(), Err(UnknownOutcome(raw.to_owned())), "{raw:?}");
        }
    }

    #[test]
    fn only_showed_and_no_show_keep_a_follow_up_window() {
        assert!(Outcome::Showed.keeps_follow_up());
        assert!(Outcome::NoShow.keeps_follow_up());
        assert!(!Outcome::Cancelled.keeps_follow_up());
        assert!(!Outcome::Rescheduled.keeps_follow_up());
    }
}
