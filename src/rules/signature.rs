//! Webhook signatures: Cal.com's `X-Cal-Signature-256` and Calendly's
//! `Calendly-Webhook-Signature`, both HMAC-SHA256 of the raw body with the webhook's secret.
//!
//! The HMAC and the comparison are RustCrypto's (`hmac::Mac::verify_slice` compares in
//! constant time); only the header's text is read here. The secret is read by the SQL layer
//! under the owner's rights (sql/secrets.sql), never by the role that calls the webhook.

use super::origin::Source;
use super::Instant;
use chrono::TimeDelta;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// Why a signed webhook was refused: a sentence naming the header, never the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadSignature(pub String);

/// How a body got through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checked {
    /// A secret is set and the signature is its HMAC of the body.
    Verified,
    /// No secret is set, so nothing could be checked (docs/guides/calendars.md says why that is unsafe).
    NoSecret,
}

/// The header each source signs with, for messages.
pub fn header(source: Source) -> &'static str {
    match source {
        Source::Calendly => "Calendly-Webhook-Signature",
        Source::Vapi => "X-Vapi-Secret",
        _ => "X-Cal-Signature-256",
    }
}

/// Checks a Cal.com delivery: `signature` is the hex HMAC-SHA256 of `body` (a `sha256=`
/// prefix, which some proxies add, is accepted).
pub fn calcom(secret: Option<&[u8]>, body: &[u8], signature: Option<&str>) -> Result<Checked, BadSignature> {
    let Some(secret) = secret else { return Ok(Checked::NoSecret) };
    let given = present(Source::Calcom, signature)?;
    let hex = given.strip_prefix("sha256=").unwrap_or(given);
    let bytes = hex_bytes(hex).ok_or_else(|| BadSignature("X-Cal-Signature-256 is not a hex HMAC-SHA256".into()))?;
    if mac(secret, &[body]).verify_slice(&bytes).is_ok() {
        Ok(Checked::Verified)
    } else {
        Err(BadSignature("X-Cal-Signature-256 is not the HMAC-SHA256 of the body with the Cal.com secret".into()))
    }
}

/// Checks a Calendly delivery: `signature` is `t=<unix seconds>,v1=<hex>`, with `v1` the
/// HMAC-SHA256 of `"<t>.<body>"`; `t` more than `tolerance` away from `now` (the server's
/// clock, never a time the caller chose) is refused, so a captured delivery cannot be replayed
/// later.
pub fn calendly(secret: Option<&[u8]>, body: &[u8], signature: Option<&str>, now: Instant, tolerance: TimeDelta) -> Result<Checked, BadSignature> {
    let Some(secret) = secret else { return Ok(Checked::NoSecret) };
    let given = present(Source::Calendly, signature)?;
    let mut t = None;
    let mut v1 = Vec::new();
    for part in given.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = Some(value),
            Some(("v1", value)) => v1.push(value),
            _ => {}
        }
    }
    let malformed = || BadSignature("Calendly-Webhook-Signature is not t=<unix time>,v1=<hex HMAC-SHA256>".into());
    let t = t.ok_or_else(malformed)?;
    let seconds: i64 = t.parse().map_err(|_| malformed())?;
    if v1.is_empty() {
        return Err(malformed());
    }
    let signed_at = Instant::from_timestamp(seconds, 0).ok_or_else(malformed)?;
    fresh("Calendly-Webhook-Signature", signed_at, now, tolerance, "phone_holds.calendly_signature_tolerance")?;
    let expected = mac(secret, &[t.as_bytes(), b".", body]);
    let matches = v1.iter().filter_map(|hex| hex_bytes(hex)).any(|bytes| expected.clone().verify_slice(&bytes).is_ok());
    if matches {
        Ok(Checked::Verified)
    } else {
        Err(BadSignature("Calendly-Webhook-Signature's v1 is not the HMAC-SHA256 of \"t.body\" with the Calendly signing key".into()))
    }
}

/// A signature over a time passes only while that time is within `tolerance` (the `setting`)
/// of the server's clock, so a captured delivery cannot be replayed later.
pub(super) fn fresh(what: &str, signed_at: Instant, now: Instant, tolerance: TimeDelta, setting: &str) -> Result<(), BadSignature> {
    let age = now - signed_at;
    if age.abs() > tolerance {
        return Err(BadSignature(format!(
            "{what} was made at {} UTC, {} s from now, more than {setting} ({} s)",
            signed_at.format("%Y-%m-%d %H:%M:%S"),
            age.num_seconds(),
            tolerance.num_seconds()
        )));
    }
    Ok(())
}

fn present(source: Source, signature: Option<&str>) -> Result<&str, BadSignature> {
    signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| BadSignature(format!("the body has no {} header, and a {} secret is set", header(source), source.title())))
}

/// HMAC-SHA256 of `parts`, one after another, with `secret`.
pub(super) fn mac(secret: &[u8], parts: &[&[u8]]) -> Hmac<Sha256> {
    keyed(secret, parts)
}

/// The HMAC `M` (SHA-256, SHA-512, …) of `parts`, one after another, with `secret`.
pub(super) fn keyed<M: Mac + KeyInit>(secret: &[u8], parts: &[&[u8]]) -> M {
    let mut mac = <M as KeyInit>::new_from_slice(secret).expect("HMAC takes a key of any length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// `hex` (either case) as bytes; `None` for anything else, or for text too long to be a
/// SHA-256 MAC.
pub(super) fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    // from_str_radix alone would take a sign ("+1"), so the digits are checked first.
    if !hex.len().is_multiple_of(2) || hex.len() > 128 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| hex.get(i..i + 2).and_then(|pair| u8::from_str_radix(pair, 16).ok()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 4231, test case 2.
    const KEY: &[u8] = b"Jefe";
    const DATA: &[u8] = b"what do ya want for nothing?";
    const MAC: &str = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";

    fn at(seconds: i64) -> Instant {
        chrono::Utc.timestamp_opt(seconds, 0).unwrap()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    #[test]
    fn calcom_checks_the_hmac_of_the_body() {
        assert_eq!(calcom(Some(KEY), DATA, Some(MAC)), Ok(Checked::Verified));
        assert_eq!(calcom(Some(KEY), DATA, Some(&MAC.to_uppercase())), Ok(Checked::Verified));
        assert_eq!(calcom(Some(KEY), DATA, Some(&format!("sha256={MAC}"))), Ok(Checked::Verified));
        let refused = |sig: Option<&str>, body: &[u8]| calcom(Some(KEY), body, sig).unwrap_err().0;
        assert!(refused(Some(MAC), b"what do ya want for nothing!").contains("is not the HMAC-SHA256"));
        assert!(refused(Some(&MAC[..62]), DATA).contains("is not the HMAC-SHA256"), "a truncated MAC is not a match");
        assert!(refused(Some("zz"), DATA).contains("not a hex"));
        assert!(refused(None, DATA).contains("no X-Cal-Signature-256 header"));
        assert!(refused(Some("  "), DATA).contains("no X-Cal-Signature-256 header"));
        assert!(calcom(Some(b"other"), DATA, Some(MAC)).is_err());
    }

    #[test]
    fn without_a_secret_nothing_is_checked() {
        assert_eq!(calcom(None, DATA, None), Ok(Checked::NoSecret));
        assert_eq!(calcom(None, DATA, Some("garbage")), Ok(Checked::NoSecret));
        assert_eq!(calendly(None, DATA, None, at(0), TimeDelta::seconds(180)), Ok(Checked::NoSecret));
    }

    #[test]
    fn calendly_signs_the_timestamp_and_the_body() {
        let t = 1_760_000_000;
        let v1 = hex(&mac(KEY, &[format!("{t}.").as_bytes(), DATA]).finalize().into_bytes());
        let header = format!("t={t},v1={v1}");
        let tolerance = TimeDelta::seconds(180);
        assert_eq!(calendly(Some(KEY), DATA, Some(&header), at(t + 179), tolerance), Ok(Checked::Verified));
        assert_eq!(calendly(Some(KEY), DATA, Some(&format!("t={t}, v1=00, v1={v1}")), at(t), tolerance), Ok(Checked::Verified));
        let refused = |header: &str, body: &[u8], now: i64| calendly(Some(KEY), body, Some(header), at(now), tolerance).unwrap_err().0;
        assert!(refused(&header, DATA, t + 181).contains("181 s from now"));
        assert!(refused(&header, DATA, t - 181).contains("-181 s from now"), "a time from the future is refused too");
        assert!(refused(&header, b"other body", t).contains("is not the HMAC-SHA256"));
        // The timestamp is part of what is signed: moving it breaks the signature.
        assert!(refused(&format!("t={},v1={v1}", t + 1), DATA, t).contains("is not the HMAC-SHA256"));
        for malformed in ["v1=ab", &format!("t=soon,v1={v1}"), &format!("t={t}"), "garbage", &format!("t=99999999999999999,v1={v1}")] {
            assert!(refused(malformed, DATA, t).contains("is not t=<unix time>"), "{malformed}");
        }
    }

    #[test]
    fn the_known_vector_holds() {
        assert_eq!(hex(&mac(KEY, &[DATA]).finalize().into_bytes()), MAC);
        assert_eq!(hex_bytes("0aFf"), Some(vec![0x0a, 0xff]));
        assert_eq!(hex_bytes("abc"), None);
        assert_eq!(hex_bytes("+1"), None);
    }
}
