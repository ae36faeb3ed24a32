//! The Debian packages (scripts/package.sh) and the PGXN metadata (META.json).
//!
//! The metadata test runs everywhere. The package tests are `#[ignore]`d: they need the
//! packages scripts/test.sh builds (PHONE_HOLDS_DEB, this version for the PostgreSQL under test;
//! PHONE_HOLDS_DEB_PREVIOUS, the release before it, for 15), and run as root. One installs and
//! removes the system package with dpkg (15 only: the only Debian server here); another copies
//! the package's files into the directories of the PostgreSQL under test, whatever its layout,
//! and uses them. While either runs, the files `cargo pgrx install` put in PostgreSQL's
//! directories are moved aside, so PostgreSQL has only what the package brings; they are put
//! back afterwards, also when the test fails. scripts/test.sh runs them with
//! `cargo test --test package -- --ignored`, once per version.

use phone_holds_e2e::release::Release;
use phone_holds_e2e::{catalog, is_root, pg_config, pg_major, repo, sqlstate, Cluster};
use postgres::Client;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, MutexGuard};

/// The package's name for the PostgreSQL under test, as Debian names extension packages.
fn package() -> String {
    format!("postgresql-{}-phone-holds", pg_major())
}

fn read(path: &str) -> String {
    std::fs::read_to_string(repo(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `version` and `description` of the extension's own Cargo.toml ([package] comes first).
fn cargo_field(name: &str) -> String {
    let prefix = format!("{name} = \"");
    read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix(&prefix).and_then(|v| v.strip_suffix('"')))
        .unwrap_or_else(|| panic!("Cargo.toml has no {name}"))
        .to_owned()
}

/// The Debian versions of packaging/debian/changelog, newest first (`0.9.0-1`).
fn changelog_versions() -> Vec<String> {
    read("packaging/debian/changelog")
        .lines()
        .filter_map(|l| l.strip_prefix("phone-holds ("))
        .map(|l| l.split(')').next().unwrap().to_owned())
        .collect()
}

fn upstream(debian_version: &str) -> &str {
    debian_version.rsplit_once('-').map(|(v, _)| v).unwrap_or(debian_version)
}

/// Runs a program; whether it succeeded and everything it printed.
fn run(program: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

fn must(program: &str, args: &[&str]) -> String {
    let (ok, out) = run(program, args);
    assert!(ok, "{program} {args:?} failed:\n{out}");
    out
}

fn deb_field(deb: &str, field: &str) -> String {
    must("dpkg-deb", &["-f", deb, field]).trim().to_owned()
}

/// A package scripts/test.sh built, named by an environment variable.
fn deb(var: &str) -> String {
    let path = std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: this test needs the packages scripts/package.sh builds (scripts/test.sh sets it)")
    });
    assert!(Path::new(&path).is_file(), "{var}={path}: no such file");
    path
}

fn installed_version() -> Option<String> {
    let (ok, out) = run("dpkg-query", &["-W", "-f=${db:Status-Abbrev} ${Version}", &package()]);
    // "ii " is installed; after `dpkg -r` dpkg may still list the package as not installed.
    (ok && out.starts_with("ii ")).then(|| out[3..].trim().to_owned())
}

#[test]
fn metadata_is_in_step_with_cargo_toml() {
    let version = cargo_field("version");
    let meta: serde_json::Value = serde_json::from_str(&read("META.json")).expect("META.json is JSON");
    if let Err(e) = pgxn_meta::dist::Distribution::try_from(meta.clone()) {
        panic!("META.json does not follow the PGXN meta spec: {e}");
    }
    assert_eq!(meta["version"], version.as_str(), "META.json version");
    assert_eq!(meta["provides"]["phone_holds"]["version"], version.as_str(), "META.json provides.phone_holds.version");
    for file in ["file", "docfile"] {
        let path = meta["provides"]["phone_holds"][file].as_str().unwrap();
        assert!(repo(path).is_file(), "META.json provides.phone_holds.{file}: {path} is not in the repository");
    }
    assert_eq!(meta["abstract"], cargo_field("description").as_str(), "META.json abstract is Cargo.toml's description");
    assert_eq!(cargo_field("license"), "MIT");
    assert_eq!(meta["license"], "mit");
    assert_eq!(meta["prereqs"]["runtime"]["requires"]["PostgreSQL"], ">= 15.0.0, < 19.0.0");

    // A changelog entry per version: this one first, then every release the upgrade test
    // starts from (each with its install script frozen in fixtures/).
    let entries = changelog_versions();
    assert_eq!(upstream(&entries[0]), version, "the newest entry of packaging/debian/changelog");
    let mut released: Vec<String> = std::fs::read_dir(repo("tests/e2e/fixtures"))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("phone_holds--").and_then(|n| n.strip_suffix(".sql")).map(str::to_owned)
        })
        .collect();
    released.push(version);
    // By version, not by text: 0.10.0 comes after 0.9.0.
    released.sort_by_key(|v| std::cmp::Reverse(Release::new(v)));
    let listed: Vec<&str> = entries.iter().map(|v| upstream(v)).collect();
    assert_eq!(listed, released, "one changelog entry per released version, newest first");
}

#[test]
#[ignore = "needs the packages scripts/test.sh builds"]
fn package_is_laid_out_like_debians_extension_packages() {
    let deb = deb("PHONE_HOLDS_DEB");
    let (package, major) = (package(), pg_major());
    let version = cargo_field("version");
    let debian_version = changelog_versions()[0].clone();
    assert!(deb.ends_with(&format!("/{package}_{debian_version}_amd64.deb")), "{deb}");
    assert_eq!(deb_field(&deb, "Package"), package);
    assert_eq!(deb_field(&deb, "Version"), debian_version);
    assert_eq!(deb_field(&deb, "Architecture"), "amd64");
    assert_eq!(deb_field(&deb, "Section"), "database");
    assert_eq!(deb_field(&deb, "Recommends"), format!("postgresql-{major}-cron"));
    let depends = deb_field(&deb, "Depends");
    assert!(depends.starts_with(&format!("postgresql-{major}, libc6 (>= ")), "{depends}");
    let description = deb_field(&deb, "Description");
    assert!(description.starts_with(&format!("PostgreSQL {major} extension")), "{description}");

    // Exactly the library, the control file, this version's install script, every upgrade
    // script in sql/, the copyright, the changelog and the pgTAP check; owned by root, not
    // executable.
    let listing = must("dpkg-deb", &["--contents", &deb]);
    let mut files: Vec<&str> = vec![];
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields[1], "root/root", "{line}");
        if fields[0].starts_with('-') {
            assert_eq!(fields[0], "-rw-r--r--", "{line}");
            files.push(fields[5].trim_start_matches('.'));
        } else {
            assert_eq!(fields[0], "drwxr-xr-x", "{line}");
        }
    }
    files.sort();
    let mut expected = vec![
        format!("/usr/lib/postgresql/{major}/lib/phone_holds.so"),
        format!("/usr/share/doc/{package}/changelog.Debian.gz"),
        format!("/usr/share/doc/{package}/copyright"),
        format!("/usr/share/doc/{package}/examples/phone_holds.pgtap.sql"),
        format!("/usr/share/postgresql/{major}/extension/phone_holds.control"),
        format!("/usr/share/postgresql/{major}/extension/phone_holds--{version}.sql"),
    ];
    for entry in std::fs::read_dir(repo("sql")).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with("phone_holds--") {
            expected.push(format!("/usr/share/postgresql/{major}/extension/{name}"));
        }
    }
    expected.sort();
    assert_eq!(files, expected);

    // The copyright file is the license's text, and the control file names this version.
    let dir = tempdir("layout");
    must("dpkg-deb", &["--extract", &deb, dir.to_str().unwrap()]);
    let copyright = std::fs::read_to_string(dir.join(format!("usr/share/doc/{package}/copyright"))).unwrap();
    let license = read("LICENSE");
    let permission = license.lines().find(|l| l.starts_with("Permission is hereby granted")).unwrap();
    assert!(copyright.contains(&format!(" {permission}")), "copyright carries LICENSE");
    let control = std::fs::read_to_string(dir.join(format!("usr/share/postgresql/{major}/extension/phone_holds.control"))).unwrap();
    assert!(control.contains(&format!("default_version = '{version}'")), "{control}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
#[ignore = "needs the packages scripts/test.sh builds"]
fn package_lints_without_errors() {
    let deb = deb("PHONE_HOLDS_DEB");
    let (ok, out) = run("lintian", &["--fail-on", "error", "--display-info", "--display-experimental", "--pedantic", &deb]);
    println!("lintian {deb}:\n{out}");
    assert!(ok, "lintian found errors in {deb}:\n{out}");
    assert!(!out.lines().any(|l| l.starts_with("E: ")), "{out}");
}

fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("phone_holds-e2e-package-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The directories of the PostgreSQL under test that hold an extension's files.
fn extension_dirs() -> [PathBuf; 2] {
    [pg_config("--pkglibdir"), pg_config("--sharedir").join("extension")]
}

/// phone_holds's files in `dir`.
fn phone_holds_files(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name == "phone_holds.so" || name == "phone_holds.control" || name.starts_with("phone_holds--")
        })
        .collect()
}

/// The PostgreSQL under test with no phone_holds file in its directories: what `cargo pgrx
/// install` put there is moved aside until this is dropped; then the package is removed again
/// (when dpkg installed it) or the files the test copied in are, and the moved ones come back.
/// The tests that do are run one at a time: the guard is held until the files are back.
struct PostgresWithoutPhoneHolds {
    aside: PathBuf,
    moved: Vec<PathBuf>,
    _alone: MutexGuard<'static, ()>,
}

static DIRECTORIES: Mutex<()> = Mutex::new(());

impl PostgresWithoutPhoneHolds {
    fn new() -> Self {
        let alone = DIRECTORIES.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        assert!(is_root(), "changing PostgreSQL's directories needs root");
        if let Some(v) = installed_version() {
            let package = package();
            panic!("{package} {v} is installed on this machine; this test installs and removes it: remove it first (dpkg -r {package})");
        }
        let aside = tempdir("aside");
        let mut moved = vec![];
        for dir in extension_dirs() {
            for path in phone_holds_files(&dir) {
                // Copied then removed: /tmp may be another file system.
                std::fs::copy(&path, aside.join(path.file_name().unwrap())).unwrap();
                std::fs::remove_file(&path).unwrap();
                moved.push(path);
            }
        }
        PostgresWithoutPhoneHolds { aside, moved, _alone: alone }
    }
}

impl Drop for PostgresWithoutPhoneHolds {
    fn drop(&mut self) {
        if installed_version().is_some() {
            let _ = run("dpkg", &["--remove", &package()]);
        }
        for dir in extension_dirs() {
            for path in phone_holds_files(&dir) {
                let _ = std::fs::remove_file(path);
            }
        }
        for path in &self.moved {
            let _ = std::fs::copy(self.aside.join(path.file_name().unwrap()), path);
        }
        let _ = std::fs::remove_dir_all(&self.aside);
    }
}

fn extension_version(c: &mut Client) -> String {
    c.query_one("SELECT extversion FROM pg_extension WHERE extname = 'phone_holds'", &[]).unwrap().get(0)
}

/// The seed's three calls, in its own forms (a `'…Z'::TIMESTAMP` appointment, the clock's
/// now): lead `a` books and shows, lead `b` books and cancels, and the release gives `b`'s
/// number back, and only that one.
fn seed_calls(c: &mut Client, a: &str, b: &str, when: &str) {
    let appointment: String = c
        .query_one("SELECT to_char(date_trunc('hour', now() AT TIME ZONE 'UTC') + interval '2 days', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')", &[])
        .unwrap()
        .get(0);
    for lead in [a, b] {
        let extended = c
            .query_one(
                &format!(
                    "SELECT extend_phone_for_appointment('{lead}'::UUID, '{appointment}'::TIMESTAMP) = '{appointment}'::timestamptz + interval '24 hours'"
                ),
                &[],
            )
            .unwrap_or_else(|e| panic!("{when}: extend: {e}"));
        assert!(extended.get::<_, bool>(0), "{when}: the hold runs to the appointment and its follow-up window");
    }
    let showed: bool = c
        .query_one(&format!("SELECT complete_appointment_for_phone('{a}'::UUID, 'showed') > now() + interval '23 hours'"), &[])
        .unwrap_or_else(|e| panic!("{when}: complete: {e}"))
        .get(0);
    assert!(showed, "{when}: showed holds the number a day more");
    c.batch_execute(&format!("SELECT complete_appointment_for_phone('{b}'::UUID, 'cancelled')")).unwrap();
    let released: i32 = c.query_one("SELECT release_expired_phone_numbers()", &[]).unwrap().get(0);
    assert_eq!(released, 1, "{when}: the cancelled lead's number went back");
    let held: Vec<String> = c
        .query("SELECT currently_assigned_to::text FROM signalwire_phone_numbers WHERE currently_assigned_to IN ($1::text::uuid, $2::text::uuid)", &[&a, &b])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(held, [a], "{when}");
}

/// Every row of the pool, the ledger and the bookings: the tables that are the user's, which
/// neither the package nor DROP EXTENSION may touch.
fn user_rows(c: &mut Client) -> Vec<String> {
    c.query(
        "SELECT 'pool ' || p::text FROM public.signalwire_phone_numbers AS p
         UNION ALL SELECT 'ledger ' || l::text FROM public.phone_hold_ledger AS l
         UNION ALL SELECT 'booking ' || b::text FROM public.phone_hold_bookings AS b
         ORDER BY 1",
        &[],
    )
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect()
}

/// The package's files, copied from where Debian puts them into the PostgreSQL under test's own
/// directories (the layout of a relocatable build), are the whole extension: it loads on that
/// major version and answers the seed's calls.
#[test]
#[ignore = "needs the packages scripts/test.sh builds, and root"]
fn package_files_in_the_server_s_own_layout_load_and_answer_the_seed_s_calls() {
    let deb = deb("PHONE_HOLDS_DEB");
    let major = pg_major();
    let dir = tempdir("files");
    must("dpkg-deb", &["--extract", &deb, dir.to_str().unwrap()]);
    let _system = PostgresWithoutPhoneHolds::new();
    let [libdir, extdir] = extension_dirs();
    for (from, to) in [(format!("usr/lib/postgresql/{major}/lib"), libdir), (format!("usr/share/postgresql/{major}/extension"), extdir)] {
        for entry in std::fs::read_dir(dir.join(&from)).unwrap_or_else(|e| panic!("{deb} has no {from}: {e}")) {
            let path = entry.unwrap().path();
            std::fs::copy(&path, to.join(path.file_name().unwrap())).unwrap();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);

    let cluster = Cluster::start("package-files", &[]);
    let mut c = cluster.connect();
    let server: i32 = c.query_one("SELECT current_setting('server_version_num')::int / 10000", &[]).unwrap().get(0);
    assert_eq!(server as u32, major, "the cluster runs the version the package is for");
    c.batch_execute(
        "SET TimeZone = 'UTC'; CREATE EXTENSION phone_holds; SELECT phone_holds_setup();
         INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 6) AS i;",
    )
    .unwrap();
    assert_eq!(extension_version(&mut c), cargo_field("version"));
    seed_calls(&mut c, "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002", &format!("the {major} package"));
    let problems: i64 = c.query_one("SELECT count(*) FROM phone_holds_check()", &[]).unwrap().get(0);
    assert_eq!(problems, 0);
}

#[test]
#[ignore = "needs the packages scripts/test.sh builds, and root"]
fn package_installs_upgrades_from_the_previous_one_and_removes_keeping_every_row() {
    let (current, previous) = (deb("PHONE_HOLDS_DEB"), deb("PHONE_HOLDS_DEB_PREVIOUS"));
    let (new_version, old_version) = (cargo_field("version"), upstream(&deb_field(&previous, "Version")).to_owned());
    assert!(Release::new(&old_version) < Release::new(&new_version), "{previous} is older than {new_version}");

    let _system = PostgresWithoutPhoneHolds::new();
    let cluster = Cluster::start("package", &[]);
    let mut c = cluster.connect();
    let e = c.batch_execute("CREATE EXTENSION phone_holds").unwrap_err();
    let missing = e.as_db_error().map(|d| (d.code().code(), d.detail().unwrap_or_default())).unwrap_or_default();
    assert!(
        missing.0 == "0A000" && missing.1.starts_with("Could not open extension control file"),
        "PostgreSQL has no phone_holds before the package: {e:?}"
    );

    // The previous release, installed as an operator would, then used through the seed's calls.
    must("dpkg", &["--install", &previous]);
    assert_eq!(installed_version().as_deref(), Some(deb_field(&previous, "Version").as_str()));
    c.batch_execute("SET TimeZone = 'UTC'; CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    assert_eq!(extension_version(&mut c), old_version);
    c.batch_execute("INSERT INTO signalwire_phone_numbers (number, name) SELECT '+1555' || lpad(i::text, 7, '0'), 'Line ' || i FROM generate_series(1, 6) AS i")
        .unwrap();
    seed_calls(&mut c, "aaaaaaaa-0000-4000-8000-000000000001", "bbbbbbbb-0000-4000-8000-000000000002", &old_version);
    let before = user_rows(&mut c);

    // This version over it, the way README says (apt installs a file given by its path and
    // resolves Depends from what is installed), while the server runs; then the update in a
    // new session.
    must("apt-get", &["install", "--yes", "--no-install-recommends", &current]);
    assert_eq!(installed_version().as_deref(), Some(deb_field(&current, "Version").as_str()));
    let mut c = cluster.connect();
    assert_eq!(user_rows(&mut c), before, "installing the package touched no row");
    c.batch_execute("SET TimeZone = 'UTC'; ALTER EXTENSION phone_holds UPDATE").unwrap();
    assert_eq!(extension_version(&mut c), new_version);
    c.batch_execute("SELECT phone_holds_setup()").unwrap();
    assert_eq!(user_rows(&mut c), before, "the update and setup touched no row");
    let problems: i64 = c.query_one("SELECT count(*) FROM phone_holds_check()", &[]).unwrap().get(0);
    assert_eq!(problems, 0);
    c.batch_execute("CREATE DATABASE fresh").unwrap();
    let mut fresh = cluster.connect_to("fresh");
    fresh.batch_execute("CREATE EXTENSION phone_holds; SELECT phone_holds_setup();").unwrap();
    assert_eq!(
        catalog::structure(&mut c),
        catalog::structure(&mut fresh),
        "the upgraded database is the one a fresh install of the package makes"
    );
    drop(fresh);
    seed_calls(&mut c, "cccccccc-0000-4000-8000-000000000003", "dddddddd-0000-4000-8000-000000000004", &new_version);
    let after = user_rows(&mut c);
    let ledger = |rows: &[String]| rows.iter().filter(|r| r.starts_with("ledger ")).count();
    assert!(ledger(&after) > ledger(&before), "the second round is in the ledger");

    // Removing the package takes its files away and leaves every row; a new session can no
    // longer run a function (the library is gone), and DROP EXTENSION still works.
    drop(c);
    must("dpkg", &["--remove", &package()]);
    assert_eq!(installed_version(), None);
    for line in must("dpkg-deb", &["--contents", &current]).lines() {
        let path = line.split_whitespace().nth(5).unwrap().trim_start_matches('.');
        if !line.starts_with('d') {
            assert!(!Path::new(path).exists(), "{path} is left after dpkg --remove");
        }
    }
    let mut c = cluster.connect();
    assert_eq!(user_rows(&mut c), after, "removing the package touched no row");
    let e = c.batch_execute("SELECT release_expired_phone_numbers()").unwrap_err();
    assert_eq!(sqlstate(&e), "58P01", "{e:?}");
    let message = e.as_db_error().map(|d| d.message().to_owned()).unwrap_or_default();
    assert!(message == "could not access file \"phone_holds\": No such file or directory", "{message}");
    c.batch_execute("DROP EXTENSION phone_holds").unwrap();
    assert_eq!(user_rows(&mut c), after, "DROP EXTENSION touched no row");
}
