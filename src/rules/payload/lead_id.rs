//! Lead ids as they arrive in payloads: a UUID in its usual 8-4-4-4-12 form, nothing looser.
//!
//! Only hex digits and the four hyphens are read: a `+` or a blank inside the text would let
//! two spellings name one lead (`"+7f26a19-…"` read as `07f26a19-…`), so it is refused rather
//! than guessed. The nil UUID is what a template sends when its variable was empty; it is
//! nobody's lead.

use crate::rules::refusal::Refusal;
use crate::rules::text::quote;

const EXAMPLE: &str = "07f26a19-e9dc-422c-b61d-030e3c7971bb";

/// Parses `07f26a19-e9dc-422c-b61d-030e3c7971bb` (any case, surrounding blanks ignored).
pub fn parse(raw: &str) -> Result<[u8; 16], Refusal> {
    let refuse = || Refusal(format!("lead_id {} is not a UUID like {EXAMPLE}", quote(raw)));
    let s = raw.trim();
    let groups: Vec<&str> = s.split('-').collect();
    if groups.iter().map(|g| g.len()).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
        return Err(refuse());
    }
    let digits: Vec<u8> = groups
        .concat()
        .chars()
        .map(|c| c.to_digit(16).map(|d| d as u8))
        .collect::<Option<_>>()
        .ok_or_else(refuse)?;
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = digits[2 * i] << 4 | digits[2 * i + 1];
    }
    if bytes == [0; 16] {
        return Err(Refusal(format!("lead_id {} is the nil UUID, which names no lead", quote(raw))));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::text;

    #[test]
    fn shows_what_it_parses() {
        assert_eq!(text::lead_id(&parse(EXAMPLE).unwrap()), EXAMPLE);
    }

    #[test]
    fn parses_the_usual_form_in_any_case() {
        let a = parse(EXAMPLE).unwrap();
        assert_eq!(a[0], 0x07);
        assert_eq!(a[15], 0xbb);
        assert_eq!(parse(" 07F26A19-E9DC-422C-B61D-030E3C7971BB ").unwrap(), a);
    }

    #[test]
    fn refuses_anything_else_and_quotes_it() {
        for raw in [
            "",
            "lead-42",
            "07f26a19e9dc422cb61d030e3c7971bb",
            "07f26a19-e9dc-422c-b61d-030e3c7971bg",
            "+07f26a19-e9dc-422c-b61d-030e3c7971b",
            // A sign or a blank where a digit belongs must not alias 07f26a19-…
            "+7f26a19-e9dc-422c-b61d-030e3c7971bb",
            "-7f26a19-e9dc-422c-b61d-030e3c7971bb",
            " 7f26a19-e9dc-422c-b61d-030e3c7971bb",
            "07f26a19-e9dc-422c-b61d-030e3c7971b ",
            "07f26a19-+9dc-422c-b61d-030e3c7971bb",
            "{07f26a19-e9dc-422c-b61d-030e3c7971bb}",
            "07f26a19-e9dc-422c-b61d-030e3c7971ｂｂ",
        ] {
            let Refusal(msg) = parse(raw).unwrap_err();
            assert!(msg.contains("is not a UUID"), "{raw}: {msg}");
        }
    }

    #[test]
    fn the_nil_uuid_names_no_lead() {
        let Refusal(msg) = parse("00000000-0000-0000-0000-000000000000").unwrap_err();
        assert!(msg.contains("nil UUID"), "{msg}");
    }
}
