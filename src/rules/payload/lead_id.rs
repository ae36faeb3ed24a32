//! Lead ids as they arrive in payloads: a UUID in its usual 8-4-4-4-12 form.

use super::{quote, Refusal};

/// Parses `07f26a19-e9dc-422c-b61d-030e3c7971bb` (any case, surrounding blanks ignored).
pub fn parse(raw: &str) -> Result<[u8; 16], Refusal> {
    let refuse = || Refusal(format!("lead_id {} is not a UUID like 07f26a19-e9dc-422c-b61d-030e3c7971bb", quote(raw)));
    let s = raw.trim();
    let groups: Vec<&str> = s.split('-').collect();
    if groups.iter().map(|g| g.len()).collect::<Vec<_>>() != [8, 4, 4, 4, 12] {
        return Err(refuse());
    }
    let hex: String = groups.concat();
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(hex.get(2 * i..2 * i + 2).ok_or_else(refuse)?, 16).map_err(|_| refuse())?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_form_in_any_case() {
        let a = parse("07f26a19-e9dc-422c-b61d-030e3c7971bb").unwrap();
        assert_eq!(a[0], 0x07);
        assert_eq!(a[15], 0xbb);
        assert_eq!(parse(" 07F26A19-E9DC-422C-B61D-030E3C7971BB ").unwrap(), a);
    }

    #[test]
    fn refuses_anything_else_and_quotes_it() {
        for raw in ["", "lead-42", "07f26a19e9dc422cb61d030e3c7971bb", "07f26a19-e9dc-422c-b61d-030e3c7971bg", "+07f26a19-e9dc-422c-b61d-030e3c7971b"] {
            let Refusal(msg) = parse(raw).unwrap_err();
            assert!(msg.contains(&format!("\"{raw}\"")), "{msg}");
        }
    }
}
