//! A webhook body as text, read into JSON within fixed limits.
//!
//! n8n hands the body over as text (`$1::text`) because PostgreSQL's jsonb cannot hold every
//! JSON text: `\u0000` and lone UTF-16 surrogates (a call transcript may carry either) make
//! `::jsonb` fail before phone_holds runs. serde_json reads `\u0000` as it is; a lone surrogate
//! names no character, so it is read as U+FFFD, the replacement character, as browsers do.
//! The fields phone_holds acts on are ids and times, which such a character can only make
//! invalid, never change into another valid value.

use crate::rules::refusal::Unreadable;
use serde_json::Value;
use std::borrow::Cow;

/// The largest body read, in bytes. VAPI's messages carry the call and, in an end-of-call
/// report, its transcript and messages: an hour-long call is a few hundred KiB. Larger bodies
/// are refused before they are parsed, so no body can make a backend allocate more than a
/// bounded amount (docs/reference/limits.md).
pub const MAX_BYTES: usize = 4 * 1024 * 1024;

/// How deep objects and arrays may nest: serde_json's own limit, stated so the refusal can say it.
pub const MAX_DEPTH: usize = 128;

/// Refuses a body over [`MAX_BYTES`] before anything else is done with it (a signature is
/// checked before the body is parsed, and only bodies of a bounded size are hashed).
pub fn check_size(text: &str) -> Result<(), Unreadable> {
    if text.len() > MAX_BYTES {
        return Err(Unreadable {
            why: format!("the body is {} bytes, more than the {MAX_BYTES} phone_holds reads", text.len()),
            hint: "Send only the message the sender posted; strip large fields (artifact, messages) in the workflow if a proxy adds them.".into(),
        });
    }
    Ok(())
}

pub fn parse(text: &str) -> Result<Value, Unreadable> {
    check_size(text)?;
    let repaired = lone_surrogates_replaced(text);
    serde_json::from_str(&repaired).map_err(|e| {
        if e.to_string().starts_with("recursion limit exceeded") {
            Unreadable {
                why: format!("the body nests objects or arrays more than {MAX_DEPTH} levels deep"),
                hint: "VAPI's messages nest a few levels; check what the workflow built.".into(),
            }
        } else {
            Unreadable {
                why: format!("the body is not JSON ({e})"),
                hint: "Pass the request body as it arrived, e.g. {{ JSON.stringify($json.body) }} in n8n.".into(),
            }
        }
    })
}

/// `text` with every `\uD800`–`\uDFFF` escape that is not half of a surrogate pair replaced by
/// `\uFFFD`; borrowed unchanged when there is none (the usual case).
fn lone_surrogates_replaced(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let escape_at = |i: usize| -> Option<u16> {
        let hex = text.get(i + 2..i + 6)?;
        (bytes[i] == b'\\' && bytes[i + 1] == b'u').then(|| u16::from_str_radix(hex, 16).ok()).flatten()
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        // A backslash outside a string is a syntax error either way; inside one it escapes
        // exactly the next character, so `\\u` is a backslash and a `u`, not an escape.
        let Some(unit) = escape_at(i) else {
            i += 2;
            continue;
        };
        let len = match unit {
            0xD800..=0xDBFF if matches!(escape_at(i + 6), Some(0xDC00..=0xDFFF)) => 12,
            0xD800..=0xDFFF => {
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[copied..i]);
                o.push_str("\\uFFFD");
                copied = i + 6;
                6
            }
            _ => 6,
        };
        i += len;
    }
    match out {
        None => Cow::Borrowed(text),
        Some(mut o) => {
            o.push_str(&text[copied..]);
            Cow::Owned(o)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_and_lone_surrogates_are_read_pairs_are_kept() {
        assert_eq!(parse(r#"{"t": "a\u0000b"}"#).unwrap(), json!({"t": "a\u{0}b"}));
        assert_eq!(parse(r#"{"t": "a\ud800b"}"#).unwrap(), json!({"t": "a\u{FFFD}b"}));
        assert_eq!(parse(r#"{"t": "\udc00"}"#).unwrap(), json!({"t": "\u{FFFD}"}));
        assert_eq!(parse(r#"{"t": "\ud800\ud800\udc00"}"#).unwrap(), json!({"t": "\u{FFFD}\u{10000}"}));
        assert_eq!(parse(r#"{"t": "\ud83d\ude00 ok"}"#).unwrap(), json!({"t": "😀 ok"}));
        // An escaped backslash followed by text that looks like an escape is text.
        assert_eq!(parse(r#"{"t": "\\ud800"}"#).unwrap(), json!({"t": "\\ud800"}));
        assert!(matches!(lone_surrogates_replaced(r#"{"t": "plain \n"}"#), Cow::Borrowed(_)));
    }

    #[test]
    fn too_big_too_deep_and_not_json_are_refused_with_a_reason() {
        let big = format!("{{\"t\": \"{}\"}}", "x".repeat(MAX_BYTES));
        assert!(parse(&big).unwrap_err().why.contains("more than the 4194304"));
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().why.contains("more than 128 levels"));
        let fits = "[".repeat(MAX_DEPTH - 1) + &"]".repeat(MAX_DEPTH - 1);
        assert!(parse(&fits).is_ok());
        assert!(parse("{not json").unwrap_err().why.starts_with("the body is not JSON"));
        assert!(parse("").is_err());
    }
}
