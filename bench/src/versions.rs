//! The PostgreSQL versions a run measures (`--versions 15,18`): the first gets every section,
//! each other one the variants' table (release and throughput) in a cluster of its own, since
//! the floor and PL/pgSQL ratios are what must hold on every version. bench/run.sh installs the
//! release build into each one named.

use std::path::PathBuf;
use std::process::Command;

/// `15,18` as [15, 18]: at least one, none twice, the first the one every section runs on.
pub fn parse(list: &str) -> Result<Vec<u32>, String> {
    let mut versions = Vec::new();
    for part in list.split(',').map(str::trim) {
        let v: u32 = part.parse().map_err(|_| format!("--versions: {part:?} is not a major version (15, 16, …)"))?;
        if versions.contains(&v) {
            return Err(format!("--versions: {v} named twice"));
        }
        versions.push(v);
    }
    Ok(versions)
}

/// The pg_config of major version `v`: the one PHONE_HOLDS_PG_CONFIG names (Debian's 15 by
/// default) when it is that version, else the build scripts/postgres.sh unpacked.
pub fn pg_config(v: u32) -> PathBuf {
    let under_test = phone_holds_e2e::pg_config_path();
    if phone_holds_e2e::major_of(&under_test) == v {
        return under_test;
    }
    let scripts = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/postgres.sh");
    let out = Command::new("bash").args(["-c", &format!("source '{scripts}' && pg_config_for {v}")]).output().expect("bash runs");
    let path = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    assert!(
        out.status.success() && path.is_file(),
        "PostgreSQL {v}: no pg_config ({}; scripts/setup.sh fetches the versions scripts/postgres.sh names)",
        String::from_utf8_lossy(&out.stderr).trim()
    );
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_in_the_order_given() {
        assert_eq!(parse("15"), Ok(vec![15]));
        assert_eq!(parse("15,18"), Ok(vec![15, 18]));
        assert_eq!(parse("18, 15"), Ok(vec![18, 15]));
    }

    #[test]
    fn bad_lists_are_refused() {
        assert!(parse("").is_err());
        assert!(parse("15,,18").is_err());
        assert!(parse("pg18").is_err());
        assert_eq!(parse("15,15"), Err("--versions: 15 named twice".into()));
    }
}
