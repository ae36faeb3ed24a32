//! Reading named fields out of loosely shaped JSON: VAPI, LLM tool arguments and hand-built
//! n8n bodies spell the same field `leadId`, `lead_id` or `leadID`.

use crate::rules::refusal::Refusal;
use crate::rules::text::quote;
use serde_json::Value;

fn fold(s: &str) -> String {
    s.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect()
}

/// The first of `names` present (and not null) in `object`, comparing names without case,
/// `_` or `-`, so `leadId`, `lead_id` and `LEAD-ID` are one field.
pub fn field<'a>(object: &'a Value, names: &[&str]) -> Option<&'a Value> {
    let wanted: Vec<String> = names.iter().map(|n| fold(n)).collect();
    let map = object.as_object()?;
    wanted
        .iter()
        .find_map(|w| map.iter().find(|(k, v)| fold(k) == *w && !v.is_null()).map(|(_, v)| v))
}

/// Like [`field`], for a value the caller must not send two ways: when two spellings are
/// present (`leadId` and `lead_id`) with different values, which one was meant is unknown, so
/// the value is refused as ambiguous rather than one of them picked. `what` names it.
pub fn unambiguous<'a>(object: &'a Value, names: &[&str], what: &str) -> Result<Option<&'a Value>, Refusal> {
    let wanted: Vec<String> = names.iter().map(|n| fold(n)).collect();
    let Some(map) = object.as_object() else { return Ok(None) };
    let mut found = map.iter().filter(|(k, v)| wanted.contains(&fold(k)) && !v.is_null());
    let first = found.next();
    if let (Some((k1, v1)), Some((k2, v2))) = (first, found.find(|(_, v)| Some(*v) != first.map(|f| f.1))) {
        let shown = |v: &Value| quote(&text(v).unwrap_or_else(|| v.to_string()));
        return Err(Refusal(format!(
            "{what} is given twice with different values, {k1} = {} and {k2} = {}; send it once",
            shown(v1),
            shown(v2)
        )));
    }
    Ok(first.map(|(_, v)| v))
}

/// Follows `path` (object keys) from `root`.
pub fn at<'a>(root: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(root, |v, key| field(v, &[key]))
}

/// A value that should be text: strings as they are, numbers and booleans as JSON text.
pub fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn spellings_of_one_field_are_one_field() {
        let v = json!({"leadId": "a", "appointment_time": "b", "nothing": null});
        assert_eq!(field(&v, &["lead_id"]), Some(&json!("a")));
        assert_eq!(field(&v, &["appointmentTime"]), Some(&json!("b")));
        assert_eq!(field(&v, &["nothing"]), None, "null is absent");
        assert_eq!(field(&json!([1]), &["x"]), None);
    }

    #[test]
    fn two_spellings_with_different_values_are_ambiguous() {
        let v = json!({"leadId": "a", "lead_id": "b", "other": 1});
        let Refusal(msg) = unambiguous(&v, &["lead_id"], "lead_id").unwrap_err();
        assert_eq!(msg, "lead_id is given twice with different values, leadId = \"a\" and lead_id = \"b\"; send it once");
        let same = json!({"leadId": "a", "lead_id": "a", "LEAD_ID": null});
        assert_eq!(unambiguous(&same, &["lead_id"], "lead_id"), Ok(Some(&json!("a"))));
        assert_eq!(unambiguous(&v, &["missing"], "m"), Ok(None));
        let times = json!({"appointment_time": "2025-10-20T14:00:00Z", "appointmentTime": "2025-10-21T14:00:00Z"});
        assert!(unambiguous(&times, &["appointment_time", "appointmentTime"], "appointment_time").is_err());
    }

    #[test]
    fn paths_and_text() {
        let v = json!({"message": {"call": {"metadata": {"lead_id": 7}}}});
        assert_eq!(at(&v, &["message", "call", "metadata", "leadId"]).and_then(text), Some("7".into()));
        assert_eq!(at(&v, &["message", "nope"]), None);
        assert_eq!(text(&json!({"a": 1})), None);
    }
}
