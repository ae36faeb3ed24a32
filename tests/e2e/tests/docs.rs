//! The docs are tested. Every fenced block marked ```` ```sql runnable ```` in README.md and
//! docs/**/*.md runs, in order, page by page, with psql against a fresh database of a
//! throwaway cluster where `CREATE EXTENSION phone_holds; SELECT phone_holds_setup();` has run;
//! each block is its own psql session, as if pasted into a new one. A block that fails names
//! its page and the line of its opening fence. Every relative link in README.md,
//! CONTRIBUTING.md and docs/ reaches a file, and every `#anchor` a heading of its target, by
//! GitHub's slug rules. Blocks README repeats from docs/ (which other tests and scripts read
//! from README) are the same as there.

use phone_holds_e2e::Cluster;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// The pages, as paths relative to the repository: README.md, CONTRIBUTING.md, then every
/// Markdown file under docs/, in path order.
fn pages() -> Vec<String> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let root = repo();
    let mut docs = Vec::new();
    walk(&root.join("docs"), &mut docs);
    docs.sort();
    let mut pages = vec!["README.md".to_owned(), "CONTRIBUTING.md".to_owned()];
    pages.extend(docs.iter().map(|p| p.strip_prefix(&root).unwrap().display().to_string()));
    pages
}

fn read(page: &str) -> String {
    std::fs::read_to_string(repo().join(page)).unwrap_or_else(|e| panic!("{page}: {e}"))
}

/// A fenced block: the line of its opening fence (1-based), its info string, and its text
/// with the fence's indentation taken off each line.
struct Block {
    line: usize,
    info: String,
    text: String,
}

/// The fenced blocks of a page, and the page's other lines (None where a fence or a block is).
fn parse(markdown: &str) -> (Vec<Block>, Vec<Option<&str>>) {
    let mut blocks = Vec::new();
    let mut prose = Vec::new();
    let mut open: Option<(usize, usize, String, String)> = None; // (line, indent, info, text)
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        match &mut open {
            None if trimmed.starts_with("```") => {
                open = Some((i + 1, indent, trimmed[3..].trim().to_owned(), String::new()));
                prose.push(None);
            }
            None => prose.push(Some(line)),
            Some(_) if trimmed == "```" => {
                let (line, _, info, text) = open.take().unwrap();
                blocks.push(Block { line, info, text });
                prose.push(None);
            }
            Some((_, indent, _, text)) => {
                let spaces = line.len() - line.trim_start_matches(' ').len();
                text.push_str(&line[spaces.min(*indent)..]);
                text.push('\n');
                prose.push(None);
            }
        }
    }
    assert!(open.is_none(), "a fence opened at line {} is never closed", open.unwrap().0);
    (blocks, prose)
}

fn runnable(block: &Block) -> bool {
    let words: Vec<&str> = block.info.split_whitespace().collect();
    assert!(
        words == ["sql", "runnable"] || !words.contains(&"runnable"),
        "line {}: write a runnable block's info string as `sql runnable`, not `{}`",
        block.line,
        block.info
    );
    words == ["sql", "runnable"]
}

/// Runs `sql` with psql in `database`, the file padded so that psql's line numbers are the
/// page's; returns whether it succeeded and what psql printed.
fn psql(cluster: &Cluster, database: &str, name: &str, first_line: usize, sql: &str) -> (bool, String) {
    let file = cluster.path(&format!("{}.sql", name.replace('/', "_")));
    std::fs::write(&file, format!("{}{sql}", "\n".repeat(first_line))).unwrap();
    cluster.sh(&format!("psql -X -q -v ON_ERROR_STOP=1 -d {database} -f '{file}'"))
}

#[test]
fn every_runnable_sql_block_runs() {
    let cluster = Cluster::start("docs", &[]);
    let mut admin = cluster.connect();
    let roles = |c: &mut postgres::Client| -> BTreeSet<String> {
        c.query("SELECT rolname FROM pg_roles", &[]).unwrap().iter().map(|r| r.get(0)).collect()
    };
    let mut ran = 0;
    for (n, page) in pages().iter().enumerate() {
        let markdown = read(page);
        let blocks: Vec<Block> = parse(&markdown).0.into_iter().filter(runnable).collect();
        if blocks.is_empty() {
            continue;
        }
        let database = format!("docs_{n}");
        admin.batch_execute(&format!("CREATE DATABASE {database}")).unwrap();
        let before = roles(&mut admin);
        let (ok, out) = psql(&cluster, &database, "prelude", 0, "CREATE EXTENSION phone_holds;\nSELECT phone_holds_setup();\n");
        assert!(ok, "CREATE EXTENSION in a fresh database: {out}");
        for block in &blocks {
            // The block's text starts on the line after its fence.
            let (ok, out) = psql(&cluster, &database, page, block.line, &block.text);
            assert!(ok, "{page}:{}: this runnable block failed:\n{}\npsql said:\n{out}", block.line, block.text);
        }
        println!("{page}: {} runnable blocks ran", blocks.len());
        ran += blocks.len();
        // Roles are the cluster's: the ones this page made go with its database.
        let made: Vec<String> = roles(&mut admin).difference(&before).cloned().collect();
        if !made.is_empty() {
            let mut c = cluster.connect_to(&database);
            for role in &made {
                c.batch_execute(&format!("DROP OWNED BY {role}")).unwrap();
            }
        }
        admin.batch_execute(&format!("DROP DATABASE {database}")).unwrap();
        for role in &made {
            admin.batch_execute(&format!("DROP ROLE {role}")).unwrap();
        }
    }
    println!("{ran} runnable blocks ran");
    assert!(ran > 0, "no runnable block found");
}

/// GitHub's anchor of a heading: lowercase, punctuation but '-' and '_' dropped, spaces as
/// '-'; a repeated one gets -1, -2, ….
fn slugs(markdown: &str) -> BTreeSet<String> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = BTreeSet::new();
    for line in parse(markdown).1.into_iter().flatten() {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes == 0 || hashes > 6 || !line[hashes..].starts_with(' ') {
            continue;
        }
        let slug: String = line[hashes..]
            .trim()
            .to_lowercase()
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
            .map(|c| if c == ' ' { '-' } else { c })
            .collect();
        let count = seen.entry(slug.clone()).or_insert(0);
        out.insert(if *count == 0 { slug.clone() } else { format!("{slug}-{count}") });
        *count += 1;
    }
    out
}

/// The targets of the inline links `[text](target)` of a line, code spans left out (a span
/// opened by a run of n backticks closes at the next run of n).
fn link_targets(line: &str) -> Vec<String> {
    let mut text = String::new();
    let mut open: Option<usize> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '`' {
            let mut run = 1;
            while chars.peek() == Some(&'`') {
                chars.next();
                run += 1;
            }
            open = match open {
                None => Some(run),
                Some(n) if n == run => None,
                still => still,
            };
        } else if open.is_none() {
            text.push(c);
        }
    }
    let mut targets = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("](") {
        let after = &rest[at + 2..];
        let end = after.find(')').unwrap_or(after.len());
        targets.push(after[..end].trim().to_owned());
        rest = &after[end..];
    }
    targets
}

#[test]
fn every_relative_link_and_anchor_resolves() {
    let root = repo();
    let mut broken = Vec::new();
    let mut checked = 0;
    for page in pages() {
        let markdown = read(&page);
        let dir = root.join(&page).parent().unwrap().to_owned();
        for (i, line) in parse(&markdown).1.iter().enumerate() {
            let Some(line) = line else { continue };
            for target in link_targets(line) {
                if target.starts_with("http://") || target.starts_with("https://") || target.starts_with("mailto:") {
                    continue;
                }
                checked += 1;
                let (path, anchor) = target.split_once('#').map_or((target.as_str(), None), |(p, a)| (p, Some(a)));
                let file = if path.is_empty() { root.join(&page) } else { dir.join(path) };
                if !file.exists() {
                    broken.push(format!("{page}:{}: {target}: no such file", i + 1));
                    continue;
                }
                if let Some(anchor) = anchor {
                    let headings = if file.is_file() && file.extension().is_some_and(|e| e == "md") {
                        slugs(&std::fs::read_to_string(&file).unwrap())
                    } else {
                        BTreeSet::new()
                    };
                    if !headings.contains(anchor) {
                        broken.push(format!("{page}:{}: {target}: no heading #{anchor} there", i + 1));
                    }
                }
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 0, "no relative link found");
    println!("{checked} relative links resolve");
}

/// The text of the first fenced block after the line `heading` of `page`.
fn block_under(page: &str, heading: &str) -> String {
    let markdown = read(page);
    let at = markdown.lines().position(|l| l == heading).unwrap_or_else(|| panic!("{page} has no line {heading:?}"));
    let (blocks, _) = parse(&markdown);
    let block = blocks.into_iter().find(|b| b.line > at).unwrap_or_else(|| panic!("{page}: no block under {heading:?}"));
    block.text
}

/// README keeps two blocks whose home is in docs/ because other tests read them from README
/// (tests/n8n-live/run.sh the grants, tests/dashboard.rs the dashboard role): they must not
/// drift from the pages that run them.
#[test]
fn blocks_readme_repeats_are_the_ones_docs_run() {
    for (readme_heading, page, heading) in [
        ("## Privileges", "docs/reference/privileges.md", "## Grants"),
        ("### A role for dashboards", "docs/guides/dashboard.md", "## A role for dashboards"),
    ] {
        assert_eq!(block_under("README.md", readme_heading), block_under(page, heading), "README's {readme_heading} and {page}'s {heading}");
    }
}
