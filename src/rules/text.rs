//! How phone_holds writes a caller's value into a sentence: cut short, on one line, quoted, so
//! a refusal can quote what it was sent without a hostile value flooding the agent or the log.

/// At most 64 characters of a caller's text, with `…` when cut: messages quote what they were
/// sent without letting a hostile value flood the agent or the log.
pub fn shortened(raw: &str) -> String {
    cut_to(raw, 64)
}

/// At most `max_chars` characters of `raw`, with `…` when cut.
pub fn cut_to(raw: &str, max_chars: usize) -> String {
    let mut shown: String = raw.chars().take(max_chars).collect();
    if raw.chars().nth(max_chars).is_some() {
        shown.push('…');
    }
    shown
}

/// A caller's value as phone_holds echoes it back: at most 64 characters (see
/// [`shortened`]), control characters blanked, so a hostile payload can neither flood the
/// agent or the log nor forge log lines, and the answer stays valid jsonb (no `\u0000`).
pub fn shown(raw: &str) -> String {
    shortened(raw).chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// [`shown`], in double quotes, for a sentence.
pub fn quote(raw: &str) -> String {
    format!("\"{}\"", shown(raw).replace('"', "'"))
}

/// A lead id's `bytes` in the usual lower-case 8-4-4-4-12 form (the form
/// `payload::lead_id::parse` reads).
pub fn lead_id(bytes: &[u8; 16]) -> String {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoted_values_are_short_single_line_and_keep_their_shape() {
        assert_eq!(super::quote("a\"b"), "\"a'b\"");
        assert_eq!(super::quote("x\nERROR: forged\r"), "\"x ERROR: forged \"");
        let long = super::quote(&"9".repeat(1000));
        assert!(long.chars().count() <= 67 && long.ends_with("…\""), "{long}");
    }
}
