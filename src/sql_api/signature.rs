//! The webhook signature check, with the secret the caller cannot read.
//!
//! The secrets live in public.phone_holds_webhook_secrets, which only its owner can read
//! (sql/secrets.sql). This function is SECURITY DEFINER, so it runs as that owner and reads the
//! secret; it gives back only whether the body was verified, never the secret. Its
//! search_path is fixed, and its SQL names every object by schema anyway.

use super::{answer, as_of_arg};
use crate::errors::{required, HoldError};
use crate::gucs;
use crate::rules::origin::Source;
use crate::rules::payload::body;
use crate::rules::refusal::Unreadable;
use crate::rules::signature::{self, Checked};
use crate::rules::text::quote;
use crate::rules::vapi_credential;
use crate::spi::pool::with_pool;
use pgrx::datum::TimestampWithTimeZone;
use pgrx::prelude::*;

/// Whether `body` carries a good `signature` for `source` ('calcom' or 'calendly'; for 'vapi',
/// `signature` is the request's headers as a JSON object, and any of VAPI's server credentials
/// is checked: rules::vapi_credential): true when verified with the secret, false when no
/// secret is set (nothing to check). A missing or wrong signature while a secret is set raises
/// 28000.
#[pg_extern(volatile, parallel_unsafe, security_definer)]
#[search_path(pg_catalog, pg_temp)]
fn phone_holds_verify_signature(
    source: Option<&str>,
    body: Option<&str>,
    signature: Option<&str>,
    as_of: default!(Option<TimestampWithTimeZone>, "now()"),
) -> bool {
    answer((|| {
        let source = match required(source, "source")? {
            "calcom" => Source::Calcom,
            "calendly" => Source::Calendly,
            "vapi" => Source::Vapi,
            other => {
                return Err(HoldError::Unreadable(Unreadable {
                    why: format!("source {} is not a sender whose signatures phone_holds checks", quote(other)),
                    hint: "Pass 'calcom', 'calendly' or 'vapi'.".into(),
                }))
            }
        };
        let text = required(body, "body")?;
        body::check_size(text)?;
        as_of_arg(as_of)?;
        let secret = with_pool(|pool| Ok(pool.webhook_secret(source)))?;
        // A secret pasted with a trailing newline or blanks is the secret without them: the
        // calendar signs with the secret as it shows it. One that is only whitespace checks
        // nothing, so every delivery is refused, saying why, rather than accepted unsigned.
        // (The whitespace phone_holds_set_webhook_secret() trims: ASCII's, vertical tab included.)
        let secret = secret.as_deref().map(|s| s.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}'));
        if secret == Some("") {
            return Err(HoldError::SignatureRefused {
                source,
                why: format!("the stored {} webhook secret is only whitespace; set it again with phone_holds_set_webhook_secret()", source.title()),
            });
        }
        let secret = secret.map(str::as_bytes);
        let checked = match source {
            // Freshness is the server clock's to say: an as_of the caller chose must not make
            // an old signature fresh again (as_of still checks as every function's does).
            Source::Calendly => signature::calendly(secret, text.as_bytes(), signature, chrono::Utc::now(), gucs::calendly_signature_tolerance()),
            Source::Vapi => {
                let (credential, timestamp) = gucs::vapi_header_names();
                let names = vapi_credential::HeaderNames { credential: &credential, timestamp: &timestamp };
                vapi_credential::check(secret, text.as_bytes(), signature, names, chrono::Utc::now(), gucs::vapi_signature_tolerance())
            }
            _ => signature::calcom(secret, text.as_bytes(), signature),
        };
        match checked {
            Ok(Checked::Verified) => Ok(true),
            Ok(Checked::NoSecret) => Ok(false),
            Err(bad) => Err(HoldError::SignatureRefused { source, why: bad.0 }),
        }
    })())
}
