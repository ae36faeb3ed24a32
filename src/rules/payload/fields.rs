//! Reading named fields out of loosely shaped JSON: VAPI, LLM tool arguments and hand-built
//! n8n bodies spell the same field `leadId`, `lead_id` or `leadID`.

use serde_json::Value;

/// The first of `names` present (and not null) in `object`, comparing names without case,
/// `_` or `-`, so `leadId`, `lead_id` and `LEAD-ID` are one field.
pub fn field<'a>(object: &'a Value, names: &[&str]) -> Option<&'a Value> {
    let fold = |s: &str| -> String { s.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect() };
    let wanted: Vec<String> = names.iter().map(|n| fold(n)).collect();
    let map = object.as_object()?;
    wanted
        .iter()
        .find_map(|w| map.iter().find(|(k, v)| fold(k) == *w && !v.is_null()).map(|(_, v)| v))
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
    fn paths_and_text() {
        let v = json!({"message": {"call": {"metadata": {"lead_id": 7}}}});
        assert_eq!(at(&v, &["message", "call", "metadata", "leadId"]).and_then(text), Some("7".into()));
        assert_eq!(at(&v, &["message", "nope"]), None);
        assert_eq!(text(&json!({"a": 1})), None);
    }
}
