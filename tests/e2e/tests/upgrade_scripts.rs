//! The upgrade scripts from 0.13.0 on are generated from their deltas (scripts/upgrade_script.py,
//! CONTRIBUTING.md): the one in the making must be what the generator writes, a released one
//! what its release installed, and the generator must refuse a change it cannot carry.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn generator(root: &Path, args: &[&str]) -> Output {
    Command::new("python3").arg(root.join("scripts/upgrade_script.py")).args(args).output().expect("python3 runs (scripts/setup.sh installs it)")
}

fn said(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A copy of what the generator reads, to break on purpose.
struct Tree(PathBuf);

impl Tree {
    fn new(name: &str) -> Tree {
        let dir = std::env::temp_dir().join(format!("phone_holds-upgrade-scripts-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for sub in ["sql/updates", "src", "scripts", "tests/e2e/fixtures"] {
            std::fs::create_dir_all(dir.join(sub)).unwrap();
        }
        let root = root();
        for folder in ["sql", "sql/updates", "tests/e2e/fixtures"] {
            for entry in std::fs::read_dir(root.join(folder)).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() {
                    std::fs::copy(&path, dir.join(folder).join(path.file_name().unwrap())).unwrap();
                }
            }
        }
        for file in ["src/lib.rs", "scripts/upgrade_script.py"] {
            std::fs::copy(root.join(file), dir.join(file)).unwrap();
        }
        Tree(dir)
    }

    fn edit(&self, file: &str, f: impl FnOnce(String) -> String) {
        let path = self.0.join(file);
        std::fs::write(&path, f(std::fs::read_to_string(&path).unwrap())).unwrap();
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The newest delta's (from, to).
fn newest_delta(root: &Path) -> (String, String) {
    let mut deltas: Vec<String> = std::fs::read_dir(root.join("sql/updates"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter_map(|n| n.strip_suffix(".sql").map(str::to_owned))
        .collect();
    deltas.sort_by_key(|d| phone_holds_e2e::release::Release::new(d.split("--").nth(1).unwrap()));
    let newest = deltas.pop().expect("sql/updates holds at least one delta");
    let (from, to) = newest.split_once("--").unwrap();
    (from.to_owned(), to.to_owned())
}

#[test]
fn every_generated_upgrade_script_is_what_its_delta_makes() {
    let out = generator(&root(), &["--check"]);
    assert!(out.status.success(), "{}", said(&out));
}

#[test]
fn a_script_edited_by_hand_is_found() {
    let copy = Tree::new("edited");
    let (from, to) = newest_delta(&copy.0);
    copy.edit(&format!("sql/phone_holds--{from}--{to}.sql"), |s| s + "SELECT 1;\n");
    let out = generator(&copy.0, &["--check"]);
    assert!(!out.status.success(), "{}", said(&out));
    assert!(said(&out).contains(&format!("phone_holds--{from}--{to}.sql differ")), "{}", said(&out));
}

/// A released script (its `to`'s install script frozen) is not written again, since the object
/// files have moved on; it must still be its delta and what that release installed.
#[test]
fn a_released_script_edited_by_hand_is_found() {
    let copy = Tree::new("released");
    copy.edit("sql/phone_holds--0.12.0--0.13.0.sql", |s| s.replacen("Two setups at once", "Three setups at once", 1));
    let out = generator(&copy.0, &["--check"]);
    assert!(!out.status.success(), "{}", said(&out));
    assert!(said(&out).contains("released phone_holds--0.12.0--0.13.0.sql: 'CREATE OR REPLACE FUNCTION public.phone_holds_setup()"), "{}", said(&out));
    // The object files moving on after the release changes nothing for it.
    let copy = Tree::new("moved-on");
    copy.edit("sql/setup.sql", |s| s.replacen("Two setups at once", "Three setups at once", 1));
    let (from, to) = newest_delta(&copy.0);
    assert!(generator(&copy.0, &[&from, &to]).status.success());
    let out = generator(&copy.0, &["--check"]);
    assert!(out.status.success(), "{}", said(&out));
}

#[test]
fn a_changed_function_is_replaced_and_a_changed_table_is_refused() {
    let copy = Tree::new("changed");
    let (from, to) = newest_delta(&copy.0);
    // A function's body: carried as CREATE OR REPLACE.
    copy.edit("sql/cron.sql", |s| s.replacen("'*/15 * * * *'", "'*/10 * * * *'", 1));
    let out = generator(&copy.0, &[&from, &to]);
    assert!(out.status.success(), "{}", said(&out));
    let script = std::fs::read_to_string(copy.0.join(format!("sql/phone_holds--{from}--{to}.sql"))).unwrap();
    assert!(script.contains("CREATE OR REPLACE FUNCTION public.schedule_phone_release(schedule text DEFAULT '*/10 * * * *')"), "{script}");
    // A table cannot be made again: the delta must say how it changes.
    copy.edit("sql/claims.sql", |s| s.replacen("CREATE UNLOGGED TABLE public.phone_hold_claims (", "CREATE TABLE public.phone_hold_claims (", 1));
    let out = generator(&copy.0, &[&from, &to]);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("-- handled: claims.sql"), "{}", said(&out));
}
