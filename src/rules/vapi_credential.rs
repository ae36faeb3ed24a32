//! VAPI's server credential, checked against the secret set with
//! `phone_holds_set_webhook_secret('vapi', …)` (docs/guides/vapi.md, VAPI's server credential).
//!
//! VAPI sends what the assistant's (tool's, phone number's) credential says:
//! - the inline secret in `X-Vapi-Secret` (older docs name the header `X-Vapi-Signature`);
//! - a Bearer credential: `Authorization: Bearer <token>`, or the token in a header the
//!   credential names, with or without the `Bearer ` prefix;
//! - an HMAC credential: the HMAC of `"<timestamp>.<body>"` (VAPI's default payload format; of
//!   the body alone with the timestamp left out) in `X-Signature` or the header it names, hex or
//!   base64, SHA-256 or SHA-512, behind any prefix (`sha256=`), the timestamp in `X-Timestamp`
//!   or the header it names.
//!
//! A credential header's value passes when it is the secret (a Bearer token) or a good HMAC
//! made with it: either proves the sender holds the secret. The workflow hands over the
//! request's headers as a JSON object (n8n's `$json.headers`, names in lower case). Every
//! comparison is constant time (RustCrypto's `verify_slice`; the secret is compared as an HMAC
//! of itself), so neither its content nor its length shows in the time taken.

use super::signature::{hex_bytes, keyed, mac, BadSignature, Checked};
use super::Instant;
use base64::Engine;
use chrono::TimeDelta;
use hmac::{Hmac, Mac};
use serde_json::{Map, Value};
use sha2::{Sha256, Sha512};
use std::collections::HashMap;

/// The headers VAPI's credentials use by default, in lower case as n8n (and HTTP/2) gives them.
const DEFAULT_CREDENTIAL_HEADERS: [&str; 4] = ["x-vapi-secret", "x-vapi-signature", "authorization", "x-signature"];

/// The header names a user's VAPI credential chose (`phone_holds.vapi_credential_header`,
/// `phone_holds.vapi_timestamp_header`): empty for VAPI's defaults.
#[derive(Debug, Clone, Copy)]
pub struct HeaderNames<'a> {
    pub credential: &'a str,
    pub timestamp: &'a str,
}

impl Default for HeaderNames<'_> {
    fn default() -> Self {
        HeaderNames { credential: "", timestamp: "x-timestamp" }
    }
}

/// Checks a VAPI request: `headers` is the request's headers as a JSON object.
pub fn check(
    secret: Option<&[u8]>,
    body: &[u8],
    headers: Option<&str>,
    names: HeaderNames,
    now: Instant,
    tolerance: TimeDelta,
) -> Result<Checked, BadSignature> {
    let Some(secret) = secret else { return Ok(Checked::NoSecret) };
    let headers = read_headers(headers)?;
    let custom = names.credential.trim().to_ascii_lowercase();
    let timestamp_name = match names.timestamp.trim() {
        "" => "x-timestamp".to_owned(),
        name => name.to_ascii_lowercase(),
    };
    let timestamp = headers.get(&timestamp_name).map(String::as_str);
    let mut first_refusal = None;
    let candidates = DEFAULT_CREDENTIAL_HEADERS.iter().copied().chain((!custom.is_empty()).then_some(custom.as_str()));
    for name in candidates {
        let Some(value) = headers.get(name) else { continue };
        match credential(secret, body, name, value, timestamp, now, tolerance) {
            Ok(()) => return Ok(Checked::Verified),
            Err(why) => {
                first_refusal.get_or_insert(why);
            }
        }
    }
    Err(first_refusal.unwrap_or_else(|| {
        let mut expected = "X-Vapi-Secret, Authorization or X-Signature header".to_owned();
        if !custom.is_empty() {
            expected = format!("X-Vapi-Secret, Authorization, X-Signature or {custom} header (phone_holds.vapi_credential_header)");
        }
        BadSignature(format!("the request has no {expected}, and a VAPI secret is set"))
    }))
}

/// Whether one header's value is the secret (a Bearer token or the inline secret) or an HMAC
/// made with it.
fn credential(secret: &[u8], body: &[u8], name: &str, value: &str, timestamp: Option<&str>, now: Instant, tolerance: TimeDelta) -> Result<(), BadSignature> {
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => value,
    };
    if same_secret(secret, token.as_bytes()) {
        return Ok(());
    }
    match hmac_signature(secret, body, value, timestamp) {
        Some(Signed::WithTimestamp(signed_at)) => fresh(name, signed_at, now, tolerance),
        Some(Signed::BodyAlone) => Ok(()),
        None if name == "authorization" && !value.to_ascii_lowercase().starts_with("bearer ") => {
            Err(BadSignature("the Authorization header is not \"Bearer <token>\"".into()))
        }
        None if name == "authorization" => Err(BadSignature("the Authorization header's Bearer token is not the VAPI secret".into())),
        None if name == "x-signature" => Err(BadSignature(format!(
            "X-Signature is not the HMAC of \"<{}>.<body>\" with the VAPI secret (keep the credential's payload format {{timestamp}}.{{body}}, algorithm SHA-256 or SHA-512, hex or base64)",
            timestamp.map_or("X-Timestamp", |_| "timestamp")
        ))),
        None if name == "x-vapi-secret" => Err(BadSignature("X-Vapi-Secret is not the VAPI secret".into())),
        None => Err(BadSignature(format!("the {name} header is not the VAPI secret, nor an HMAC made with it"))),
    }
}

/// What a good HMAC signed.
enum Signed {
    /// Over a timestamp header: its time, `None` when it is no Unix time.
    WithTimestamp(Option<Instant>),
    BodyAlone,
}

/// Whether `given` ends with an HMAC of `"<timestamp>.<body>"` (or of the body alone) made with
/// `secret`: SHA-256 or SHA-512, hex or base64, after any prefix VAPI's credential adds. Each
/// reading is tried by its length, so no setting has to say which the credential uses.
fn hmac_signature(secret: &[u8], body: &[u8], given: &str, timestamp: Option<&str>) -> Option<Signed> {
    let readings = candidates(given);
    if readings.is_empty() {
        return None;
    }
    let verifies = |parts: &[&[u8]]| readings.iter().any(|bytes| verify(secret, parts, bytes));
    if let Some(t) = timestamp {
        if verifies(&[t.as_bytes(), b".", body]) {
            return Some(Signed::WithTimestamp(unix_time(t)));
        }
    }
    verifies(&[body]).then_some(Signed::BodyAlone)
}

/// The MAC bytes `given` may end with: the last 64 or 128 characters as hex, the last 44 or
/// 88 as base64 (SHA-256 and SHA-512 in each encoding).
fn candidates(given: &str) -> Vec<Vec<u8>> {
    let given = given.trim();
    let tail = |n: usize| given.len().checked_sub(n).and_then(|start| given.get(start..));
    let mut out = Vec::new();
    for n in [64, 128] {
        if let Some(bytes) = tail(n).and_then(hex_bytes) {
            out.push(bytes);
        }
    }
    for n in [44, 88] {
        if let Some(bytes) = tail(n).and_then(|t| base64::engine::general_purpose::STANDARD.decode(t).ok()) {
            out.push(bytes);
        }
    }
    out
}

fn verify(secret: &[u8], parts: &[&[u8]], given: &[u8]) -> bool {
    match given.len() {
        32 => keyed::<Hmac<Sha256>>(secret, parts).verify_slice(given).is_ok(),
        64 => keyed::<Hmac<Sha512>>(secret, parts).verify_slice(given).is_ok(),
        _ => false,
    }
}

/// A timestamp header's time: Unix seconds, or milliseconds (from 1973 on).
fn unix_time(t: &str) -> Option<Instant> {
    let number: i64 = t.trim().parse().ok()?;
    if number.abs() >= 100_000_000_000 {
        Instant::from_timestamp_millis(number)
    } else {
        Instant::from_timestamp(number, 0)
    }
}

/// A signature over a timestamp that is not a time cannot be fresh; one that is, is checked as
/// Calendly's is.
fn fresh(name: &str, signed_at: Option<Instant>, now: Instant, tolerance: TimeDelta) -> Result<(), BadSignature> {
    let Some(signed_at) = signed_at else {
        return Err(BadSignature(format!("the {name} signature's timestamp is not a Unix time in seconds or milliseconds")));
    };
    super::signature::fresh(&format!("the {name} signature"), signed_at, now, tolerance, "phone_holds.vapi_signature_tolerance")
}

/// The headers by lower-case name; a repeated header's first value.
fn read_headers(headers: Option<&str>) -> Result<HashMap<String, String>, BadSignature> {
    let text = headers.map(str::trim).filter(|t| !t.is_empty());
    let Some(text) = text else {
        return Err(BadSignature("no request headers were passed, and a VAPI secret is set".into()));
    };
    let object: Map<String, Value> = serde_json::from_str(text)
        .map_err(|_| BadSignature("the credential passed is not the request's headers as a JSON object".into()))?;
    Ok(object
        .into_iter()
        .filter_map(|(name, value)| {
            let value = match value {
                Value::String(s) => s,
                Value::Array(values) => values.into_iter().find_map(|v| v.as_str().map(str::to_owned))?,
                _ => return None,
            };
            Some((name.to_ascii_lowercase(), value.trim().to_owned()))
        })
        .collect())
}

/// Whether `given` is `secret`, in time that depends on neither.
fn same_secret(secret: &[u8], given: &[u8]) -> bool {
    let expected = mac(secret, &[secret]).finalize().into_bytes();
    mac(secret, &[given]).verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    const SECRET: &[u8] = b"vapi-s3cret";
    const BODY: &[u8] = br#"{"message":{"type":"tool-calls"}}"#;
    const TOLERANCE: TimeDelta = TimeDelta::seconds(300);

    fn at(seconds: i64) -> Instant {
        chrono::Utc.timestamp_opt(seconds, 0).unwrap()
    }

    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn sha256(parts: &[&[u8]]) -> Vec<u8> {
        mac(SECRET, parts).finalize().into_bytes().to_vec()
    }

    fn checked_with(headers: Value, names: HeaderNames, now: i64) -> Result<Checked, BadSignature> {
        check(Some(SECRET), BODY, Some(&headers.to_string()), names, at(now), TOLERANCE)
    }

    fn checked(headers: Value, now: i64) -> Result<Checked, BadSignature> {
        checked_with(headers, HeaderNames::default(), now)
    }

    fn refused(headers: Value, now: i64) -> String {
        checked(headers, now).unwrap_err().0
    }

    #[test]
    fn without_a_secret_anything_passes() {
        assert_eq!(check(None, BODY, None, HeaderNames::default(), at(0), TOLERANCE), Ok(Checked::NoSecret));
        assert_eq!(check(None, BODY, Some("not json"), HeaderNames::default(), at(0), TOLERANCE), Ok(Checked::NoSecret));
    }

    #[test]
    fn the_secret_header_must_be_the_secret() {
        assert_eq!(checked(json!({"x-vapi-secret": "vapi-s3cret"}), 0), Ok(Checked::Verified));
        assert_eq!(checked(json!({"X-Vapi-Secret": " vapi-s3cret "}), 0), Ok(Checked::Verified), "names in any case, values trimmed");
        assert_eq!(checked(json!({"x-vapi-secret": ["vapi-s3cret", "other"]}), 0), Ok(Checked::Verified));
        assert_eq!(checked(json!({"x-vapi-signature": "vapi-s3cret"}), 0), Ok(Checked::Verified), "the header older docs name");
        assert!(refused(json!({"x-vapi-secret": "vapi-s3cre"}), 0).contains("is not the VAPI secret"));
        assert!(refused(json!({"x-vapi-secret": "vapi-s3cretX"}), 0).contains("is not the VAPI secret"));
        assert!(refused(json!({"x-vapi-secret": ""}), 0).contains("is not the VAPI secret"));
    }

    #[test]
    fn a_bearer_token_must_be_the_secret() {
        assert_eq!(checked(json!({"authorization": "Bearer vapi-s3cret"}), 0), Ok(Checked::Verified));
        assert_eq!(checked(json!({"Authorization": "bearer vapi-s3cret"}), 0), Ok(Checked::Verified));
        assert!(refused(json!({"authorization": "Bearer nope"}), 0).contains("Bearer token is not the VAPI secret"));
        assert!(refused(json!({"authorization": "Basic dmFwaQ=="}), 0).contains("is not \"Bearer <token>\""));
        // Without the prefix (the credential's "Include Bearer Prefix" off), the token alone.
        assert_eq!(checked(json!({"authorization": "vapi-s3cret"}), 0), Ok(Checked::Verified));
    }

    #[test]
    fn a_header_the_credential_names() {
        let names = HeaderNames { credential: "X-Api-Key", timestamp: "x-request-time" };
        assert_eq!(checked_with(json!({"x-api-key": "vapi-s3cret"}), names, 0), Ok(Checked::Verified));
        assert_eq!(checked_with(json!({"x-api-key": "Bearer vapi-s3cret"}), names, 0), Ok(Checked::Verified));
        let t = 1_760_000_000_i64;
        let signature = hex(&sha256(&[format!("{t}.").as_bytes(), BODY]));
        assert_eq!(checked_with(json!({"x-api-key": signature, "x-request-time": t.to_string()}), names, t), Ok(Checked::Verified));
        let refusal = checked_with(json!({"x-api-key": "guess"}), names, 0).unwrap_err().0;
        assert!(refusal.contains("x-api-key header is not the VAPI secret"), "{refusal}");
        let refusal = checked_with(json!({"content-type": "application/json"}), names, 0).unwrap_err().0;
        assert!(refusal.contains("or x-api-key header (phone_holds.vapi_credential_header)"), "{refusal}");
        // Without the setting, a header of another name is no credential.
        assert!(refused(json!({"x-api-key": "vapi-s3cret"}), 0).contains("has no X-Vapi-Secret"));
    }

    #[test]
    fn an_hmac_signs_the_timestamp_and_the_body() {
        let t = 1_760_000_000_i64;
        let signature = hex(&sha256(&[format!("{t}.").as_bytes(), BODY]));
        assert_eq!(checked(json!({"x-signature": signature, "x-timestamp": t.to_string()}), t + 299), Ok(Checked::Verified));
        assert_eq!(checked(json!({"x-signature": format!("sha256={signature}"), "x-timestamp": t.to_string()}), t), Ok(Checked::Verified));
        assert_eq!(checked(json!({"x-signature": signature.to_uppercase(), "x-timestamp": t.to_string()}), t), Ok(Checked::Verified));
        // The same instant in milliseconds is another text, so another signature.
        let ms = (t * 1000).to_string();
        let in_ms = hex(&sha256(&[ms.as_bytes(), b".", BODY]));
        assert_eq!(checked(json!({"x-signature": in_ms, "x-timestamp": ms}), t), Ok(Checked::Verified));
        assert!(refused(json!({"x-signature": signature, "x-timestamp": t.to_string()}), t + 301).contains("301 s from now"));
        assert!(refused(json!({"x-signature": signature, "x-timestamp": t.to_string()}), t - 301).contains("-301 s from now"));
        assert!(refused(json!({"x-signature": signature, "x-timestamp": (t + 1).to_string()}), t).contains("is not the HMAC"));
        assert!(refused(json!({"x-signature": "zz", "x-timestamp": t.to_string()}), t).contains("is not the HMAC"));
        let other_body = check(
            Some(SECRET),
            b"{}",
            Some(&json!({"x-signature": signature, "x-timestamp": t.to_string()}).to_string()),
            HeaderNames::default(),
            at(t),
            TOLERANCE,
        );
        assert!(other_body.unwrap_err().0.contains("is not the HMAC"));
        // Without a timestamp (the credential's "include timestamp" off), the body alone.
        let body_only = hex(&sha256(&[BODY]));
        assert_eq!(checked(json!({"x-signature": body_only}), 0), Ok(Checked::Verified));
    }

    #[test]
    fn a_signed_timestamp_that_is_no_time_is_refused() {
        let signature = hex(&sha256(&[b"soon.", BODY]));
        assert!(refused(json!({"x-signature": signature, "x-timestamp": "soon"}), 0).contains("is not a Unix time"));
    }

    #[test]
    fn base64_and_sha512_are_read_by_their_length() {
        let t = 1_760_000_000_i64;
        let prefix = format!("{t}.");
        let payload: &[&[u8]] = &[prefix.as_bytes(), BODY];
        let b64 = base64::engine::general_purpose::STANDARD.encode(sha256(payload));
        assert_eq!(checked(json!({"x-signature": b64, "x-timestamp": t.to_string()}), t), Ok(Checked::Verified));
        let long = keyed::<Hmac<Sha512>>(SECRET, payload).finalize().into_bytes();
        assert_eq!(checked(json!({"x-signature": hex(&long), "x-timestamp": t.to_string()}), t), Ok(Checked::Verified));
        let b64 = base64::engine::general_purpose::STANDARD.encode(long);
        assert_eq!(checked(json!({"x-signature": format!("v1,{b64}"), "x-timestamp": t.to_string()}), t), Ok(Checked::Verified));
    }

    #[test]
    fn any_header_that_proves_the_secret_passes() {
        // An Authorization header of n8n's own (or a proxy's) does not hide the VAPI credential.
        assert_eq!(checked(json!({"authorization": "Basic dmFwaQ==", "x-vapi-secret": "vapi-s3cret"}), 0), Ok(Checked::Verified));
        // Refused, it says why the first credential header failed.
        assert_eq!(refused(json!({"x-vapi-secret": "guess", "authorization": "Bearer nope"}), 0), "X-Vapi-Secret is not the VAPI secret");
    }

    #[test]
    fn no_credential_or_no_headers_is_refused() {
        assert!(refused(json!({"content-type": "application/json"}), 0).contains("no X-Vapi-Secret, Authorization or X-Signature header"));
        let none = |headers: Option<&str>| check(Some(SECRET), BODY, headers, HeaderNames::default(), at(0), TOLERANCE).unwrap_err().0;
        assert!(none(None).contains("no request headers"));
        assert!(none(Some("  ")).contains("no request headers"));
        assert!(none(Some("vapi-s3cret")).contains("not the request's headers as a JSON object"));
    }
}
