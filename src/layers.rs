//! The crate's layers, checked: a module may use its own layer and those
//! below it, never one above.
//!
//! Bottom to top (issue 11): what a key and a rule are; the matcher;
//! findings and suppression; sources; the pipeline (with the exit policy
//! that judges its report and the project configuration it resolves);
//! verify and revoke; reports; commands and the CLI. Data flows up this
//! list, so an upward `crate::` reference is a circle waiting to happen:
//! the lower module stops being usable (and testable) without the higher.
//!
//! The test reads every `src/**/*.rs` file, maps each module to a layer
//! with the one table below ([`LAYERS`]; a module missing from it fails the
//! test, so a new module gets a layer on purpose), and fails on every
//! upward `crate::` path in code (comments and doc links are not imports).
//! [`ALLOWED`] lists the upward references still present, each with the
//! reason; an entry that no longer occurs also fails the test, so the list
//! can only shrink. A second test finds import circles among modules (one
//! per file), which a layer table cannot see inside one layer
//! (`source::git <-> source::staged`); [`ALLOWED_CIRCLES`] lists those left.

#![cfg(test)]

use std::collections::BTreeSet;
use std::path::Path;

/// Module path prefix -> layer (0 is the bottom). The longest matching
/// prefix wins.
const LAYERS: &[(&str, u8, &str)] = &[
    ("key", 0, "key and rules"),
    ("wording", 0, "key and rules"),
    ("rules", 0, "key and rules"),
    ("untrusted", 0, "key and rules"),
    ("config_file", 0, "key and rules"),
    ("matcher", 1, "matcher"),
    ("finding", 2, "findings and suppression"),
    ("scan", 2, "findings and suppression"),
    ("suppress", 2, "findings and suppression"),
    // What the Vast API's answers mean, as verifications (`finding`).
    ("vast_api", 2, "findings and suppression"),
    ("source", 3, "sources"),
    ("gitcli", 3, "sources"),
    ("pipeline", 4, "pipeline"),
    ("outcome", 4, "pipeline"),
    ("project_config", 4, "pipeline"),
    ("verify", 5, "verify and revoke"),
    ("revoke", 5, "verify and revoke"),
    ("report", 6, "reports"),
    ("report_file", 6, "reports"),
    ("cli", 7, "commands and CLI"),
    ("commands", 7, "commands and CLI"),
    ("ci", 7, "commands and CLI"),
    ("resolve", 7, "commands and CLI"),
    ("output", 7, "commands and CLI"),
    ("layers", 7, "commands and CLI"),
];

/// Upward references still present: (from module prefix, to module
/// prefix). Shrinks to empty; each entry is someone's open work.
const ALLOWED: &[(&str, &str)] = &[];

/// Circles still present (each sorted). Shrinks to empty, like
/// [`ALLOWED`].
const ALLOWED_CIRCLES: &[&[&str]] = &[
    // The git session runs the staged scan, which uses the session's
    // helpers (owned by the `origin` branch: source::git internals).
    &["source::git", "source::staged"],
];

fn layer_of(module: &str) -> Option<(u8, &'static str)> {
    LAYERS
        .iter()
        .filter(|(prefix, _, _)| {
            module == *prefix
                || module
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with("::"))
        })
        .max_by_key(|(prefix, _, _)| prefix.len())
        .map(|(_, layer, name)| (*layer, *name))
}

/// A file `a/b.rs` or `a/b/mod.rs` (relative to `src/`) is module `a::b`;
/// `None` for the crate roots.
fn module_of(relative: &Path) -> Option<String> {
    let mut parts: Vec<String> = relative
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    match parts.as_slice() {
        [] => None,
        [only] if only == "lib" || only == "main" => None,
        _ => Some(parts.join("::")),
    }
}

/// The code of a line: comments (and so doc links) and the contents of
/// string literals dropped. Line by line is good enough here: a string
/// spanning lines only hides its own text from this check.
fn code_of(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' if in_string => {
                chars.next();
            }
            '"' => {
                in_string = !in_string;
                out.push('"');
            }
            '/' if !in_string && chars.peek() == Some(&'/') => break,
            _ if in_string => {}
            _ => out.push(c),
        }
    }
    out
}

/// Every module a line's code names through `crate::`, as paths
/// (`crate::{a, b::c}` gives both).
fn crate_paths(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let path = path_at(item.trim());
                if !path.is_empty() {
                    out.push(path);
                }
            }
        } else {
            let path = path_at(rest);
            if !path.is_empty() {
                out.push(path);
            }
        }
    }
    out
}

/// The `a::b::c` path at the start of `text` (lowercase segments only:
/// modules, not the type or function they end in).
fn path_at(text: &str) -> String {
    let mut segments = Vec::new();
    let mut rest = text;
    loop {
        let len = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(rest.len());
        if len == 0 {
            break;
        }
        segments.push(&rest[..len]);
        match rest[len..].strip_prefix("::") {
            Some(next) => rest = next,
            None => break,
        }
    }
    segments.join("::")
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|err| panic!("{}: {err}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every module of `src/` with the `crate::` paths its code names
/// (path, `src/file:line`).
type References = Vec<(String, Vec<(String, String)>)>;

fn references() -> References {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut out = Vec::new();
    for file in files {
        let relative = file.strip_prefix(&src).unwrap();
        let Some(module) = module_of(relative) else {
            continue;
        };
        let text = std::fs::read_to_string(&file).unwrap();
        let mut paths = Vec::new();
        for (number, line) in text.lines().enumerate() {
            for path in crate_paths(&code_of(line)) {
                paths.push((path, format!("src/{}:{}", relative.display(), number + 1)));
            }
        }
        out.push((module, paths));
    }
    out
}

/// Every upward reference in `src/`: (from module, to path, file:line),
/// and the modules (or named paths) with no layer.
fn upward_references() -> (Vec<(String, String, String)>, Vec<String>) {
    let mut upward = Vec::new();
    let mut unmapped = Vec::new();
    for (module, paths) in references() {
        let Some((from, _)) = layer_of(&module) else {
            unmapped.push(module);
            continue;
        };
        for (path, at) in paths {
            let Some((to, _)) = layer_of(&path) else {
                unmapped.push(format!("{path} (named in {module})"));
                continue;
            };
            if to > from {
                upward.push((module.clone(), path, at));
            }
        }
    }
    (upward, unmapped)
}

/// Circles among modules (one per file): groups of modules that reach each
/// other through `crate::` paths, each sorted, found with Tarjan's
/// algorithm. A module naming its own ancestor (`crate::source::git` in
/// `source::git::audit`) is not an edge: a parent's use of its children
/// goes through relative paths, which this check does not follow.
fn circles() -> Vec<Vec<String>> {
    let refs = references();
    let modules: Vec<String> = refs.iter().map(|(m, _)| m.clone()).collect();
    let index_of = |path: &str| {
        modules
            .iter()
            .enumerate()
            .filter(|(_, m)| {
                path == m.as_str()
                    || path
                        .strip_prefix(m.as_str())
                        .is_some_and(|rest| rest.starts_with("::"))
            })
            .max_by_key(|(_, m)| m.len())
            .map(|(i, _)| i)
    };
    let edges: Vec<BTreeSet<usize>> = refs
        .iter()
        .enumerate()
        .map(|(from, (module, paths))| {
            paths
                .iter()
                .filter_map(|(path, _)| index_of(path))
                .filter(|&to| {
                    to != from
                        && !module
                            .strip_prefix(modules[to].as_str())
                            .is_some_and(|rest| rest.starts_with("::"))
                })
                .collect()
        })
        .collect();
    // Tarjan's strongly connected components, iteratively small enough to
    // recurse: the module graph is a few dozen nodes deep at most.
    struct State {
        next: usize,
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        stack: Vec<usize>,
        on_stack: Vec<bool>,
        groups: Vec<Vec<usize>>,
    }
    fn visit(v: usize, edges: &[BTreeSet<usize>], st: &mut State) {
        st.index[v] = Some(st.next);
        st.low[v] = st.next;
        st.next += 1;
        st.stack.push(v);
        st.on_stack[v] = true;
        for &w in &edges[v] {
            match st.index[w] {
                None => {
                    visit(w, edges, st);
                    st.low[v] = st.low[v].min(st.low[w]);
                }
                Some(iw) if st.on_stack[w] => st.low[v] = st.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(st.low[v]) == st.index[v] {
            let mut group = Vec::new();
            while let Some(w) = st.stack.pop() {
                st.on_stack[w] = false;
                group.push(w);
                if w == v {
                    break;
                }
            }
            if group.len() > 1 {
                st.groups.push(group);
            }
        }
    }
    let n = modules.len();
    let mut st = State {
        next: 0,
        index: vec![None; n],
        low: vec![0; n],
        stack: Vec::new(),
        on_stack: vec![false; n],
        groups: Vec::new(),
    };
    for v in 0..n {
        if st.index[v].is_none() {
            visit(v, &edges, &mut st);
        }
    }
    let mut out: Vec<Vec<String>> = st
        .groups
        .into_iter()
        .map(|g| {
            let mut names: Vec<String> = g.into_iter().map(|i| modules[i].clone()).collect();
            names.sort();
            names
        })
        .collect();
    out.sort();
    out
}

fn allowed(from: &str, to: &str) -> Option<&'static (&'static str, &'static str)> {
    let within = |module: &str, prefix: &str| {
        module == prefix
            || module
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with("::"))
    };
    ALLOWED
        .iter()
        .find(|(f, t)| within(from, f) && within(to, t))
}

#[test]
fn no_module_imports_a_layer_above_it() {
    let (upward, unmapped) = upward_references();
    assert!(
        unmapped.is_empty(),
        "modules with no layer in src/layers.rs LAYERS: {unmapped:?}"
    );
    let mut used = BTreeSet::new();
    let mut failures = Vec::new();
    for (from, to, at) in &upward {
        match allowed(from, to) {
            Some(entry) => {
                used.insert(*entry);
            }
            None => {
                let (fl, fname) = layer_of(from).unwrap();
                let (tl, tname) = layer_of(to).unwrap();
                failures.push(format!(
                    "{at}: {from} ({fl}, {fname}) uses crate::{to} ({tl}, {tname})"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "upward imports:\n{}",
        failures.join("\n")
    );
    let stale: Vec<_> = ALLOWED.iter().filter(|e| !used.contains(*e)).collect();
    assert!(
        stale.is_empty(),
        "ALLOWED entries that no longer occur (remove them): {stale:?}"
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    assert_eq!(
        crate_paths("use crate::report::{self, Format};"),
        ["report"]
    );
    assert_eq!(
        crate_paths("use crate::{cli::ScanArgs, verify};"),
        ["cli", "verify"]
    );
    assert_eq!(
        crate_paths("x(crate::source::git::Session::open(r))"),
        ["source::git"]
    );
    assert_eq!(crate_paths("foo_crate::report::x"), Vec::<String>::new());
    assert_eq!(code_of("    /// [`crate::report`] renders it"), "    ");
    assert_eq!(
        code_of(r#"f("crate::cli", 'x') // crate::cli"#),
        r#"f("", 'x') "#
    );
    assert_eq!(layer_of("source::git::audit").unwrap().0, 3);
    assert_eq!(layer_of("report_file").unwrap().0, 6);
    assert_eq!(layer_of("reports"), None);
    assert_eq!(
        module_of(Path::new("source/git/mod.rs")).as_deref(),
        Some("source::git")
    );
    assert_eq!(module_of(Path::new("lib.rs")), None);
    assert!(allowed("report::json", "cli").is_none());
}

#[test]
fn no_import_circles() {
    let found = circles();
    let unexpected: Vec<_> = found
        .iter()
        .filter(|c| !ALLOWED_CIRCLES.iter().any(|a| a == c))
        .collect();
    assert!(unexpected.is_empty(), "import circles: {unexpected:?}");
    let stale: Vec<_> = ALLOWED_CIRCLES
        .iter()
        .filter(|a| !found.iter().any(|c| c == *a))
        .collect();
    assert!(
        stale.is_empty(),
        "ALLOWED_CIRCLES entries that no longer occur (remove them): {stale:?}"
    );
}
