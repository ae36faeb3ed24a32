//! The Grafana dashboard under examples/grafana/ as its PostgreSQL data source sends its SQL:
//! the dashboard file, and each query with Grafana's macros and variables expanded
//! (tests/e2e/tests/dashboard.rs runs them as the dashboard role; standby.rs on a hot standby).

use crate::{repo, sql_literal};
use serde_json::Value;

/// The dashboard's time range in the tests: the week they fill.
pub const FROM: &str = "2025-10-18T00:00:00Z";
pub const TO: &str = "2025-10-25T00:00:00Z";

pub fn dashboard() -> Value {
    serde_json::from_str(&std::fs::read_to_string(repo("examples/grafana/dashboards/phone_holds.json")).unwrap()).unwrap()
}

/// `sql` as Grafana's PostgreSQL data source sends it for the range FROM..TO, with
/// `$__interval` as `interval` (what Grafana computes from the range and the panel's width)
/// and the number variable set to `number`.
pub fn expand(sql: &str, interval: &str, number: &str) -> String {
    let mut out = sql
        .replace("$__timeFrom()", &format!("'{FROM}'"))
        .replace("$__timeTo()", &format!("'{TO}'"))
        .replace("$__interval", interval)
        // sqlstring: quoted, with quotes doubled.
        .replace("${number:sqlstring}", &sql_literal(number));
    // $__timeFilter(col) → col BETWEEN 'from' AND 'to'
    while let Some(start) = out.find("$__timeFilter(") {
        let end = start + out[start..].find(')').unwrap();
        let column = out[start + "$__timeFilter(".len()..end].to_owned();
        out.replace_range(start..=end, &format!("{column} BETWEEN '{FROM}' AND '{TO}'"));
    }
    assert!(!out.contains('$'), "a macro or variable this test does not expand: {out}");
    out
}

/// Every query the dashboard sends: the number variable's, then each panel's (title, SQL)
/// expanded for `interval` and `number`.
pub fn queries(interval: &str, number: &str) -> Vec<(String, String)> {
    let d = dashboard();
    let mut out = vec![("variable number".to_owned(), d["templating"]["list"][0]["query"].as_str().unwrap().to_owned())];
    for p in d["panels"].as_array().unwrap() {
        for t in p["targets"].as_array().unwrap() {
            out.push((p["title"].as_str().unwrap().to_owned(), expand(t["rawSql"].as_str().unwrap(), interval, number)));
        }
    }
    out
}
