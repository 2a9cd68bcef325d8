//! The engine's shape, checked over its source (issue 15 item 2): SQL lives only under
//! `store/` (one home per table), no two files import each other even through others, and
//! every module imports only from layers below its own. The desktop shell and the CLI hold no
//! SQL either. A rule broken here fails with the file and line that broke it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The engine's top-level modules, lowest layer first. A module may use modules of a lower
/// layer only; modules of one layer do not use each other. A new top-level module must be
/// placed here, so that its place in the house is a decision someone wrote down.
const LAYERS: &[(&str, u8)] = &[
    ("model", 0),
    ("cells", 0),
    ("sample", 0),
    ("profile", 1),
    ("store", 2),
    ("import", 3),
    ("reconcile", 3),
    ("rules", 4),
    ("pack", 5),
    ("ops", 6),
];

/// Text that starts an SQL statement in a Rust string literal, or a rusqlite call that runs one.
const SQL_MARKERS: &[&str] = &[
    "\"SELECT ",
    "\"INSERT ",
    "\"UPDATE ",
    "\"DELETE ",
    "\"WITH ",
    "\"PRAGMA ",
    "\"CREATE ",
    "\"DROP ",
    "\"ALTER ",
    ".prepare(",
    ".prepare_cached(",
    ".execute(",
    ".execute_batch(",
    ".query_row(",
    ".query_map(",
];

fn engine_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's code as the checks read it: unit tests (from `#[cfg(test)]` on, which by the
/// house convention closes a file) and comment lines left out, line numbers kept.
fn code_lines(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim_start() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(i, l)| (i + 1, l))
        .collect()
}

/// The lines of `text` that hold SQL, as `line: text`.
fn sql_lines(text: &str) -> Vec<String> {
    code_lines(text)
        .into_iter()
        .filter(|(_, l)| SQL_MARKERS.iter().any(|m| l.contains(m)))
        .map(|(n, l)| format!("{n}: {}", l.trim()))
        .collect()
}

/// Whether `line` holds `word` as a whole Rust word (`unsafe`, not `unsafely`).
fn has_word(line: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(at, _)| {
        !line[..at].chars().next_back().is_some_and(is_ident)
            && !line[at + word.len()..].chars().next().is_some_and(is_ident)
    })
}

/// The lines of `text` (unit tests included, comment lines not) that open unsafe code (the
/// word `unsafe`: blocks, functions, traits, impls, extern blocks) or let it in (`unsafe_code`),
/// as `line: text`.
fn unsafe_lines(text: &str) -> Vec<String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter(|(_, l)| has_word(l, "unsafe") || has_word(l, "unsafe_code"))
        .map(|(i, l)| format!("{}: {}", i + 1, l.trim()))
        .collect()
}

/// The engine module a file defines: `store/events/read.rs` is `store::events::read`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// The paths a file names through `crate::` or `super::`, written out from the crate root
/// (`use crate::{a::b, c}` and `use super::{x, y::z}` give one path per item).
fn named_paths(module: &str, text: &str) -> Vec<String> {
    let code: String = code_lines(text).into_iter().map(|(_, l)| l).collect::<Vec<_>>().join("\n");
    let parent = match module.rsplit_once("::") {
        Some((p, _)) => p.to_string(),
        None => String::new(),
    };
    let mut paths = Vec::new();
    for (prefix, base) in [("crate::", String::new()), ("super::", parent)] {
        let mut rest = code.as_str();
        while let Some(at) = rest.find(prefix) {
            // `foo_crate::` or `xsuper::` are other words, not this prefix.
            let before = rest[..at].chars().last();
            rest = &rest[at + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let join = |p: &str| if base.is_empty() { p.to_string() } else { format!("{base}::{p}") };
            let tree = if rest.starts_with('{') { &rest[..balanced_end(rest)] } else { rest };
            for item in use_tree_paths(tree) {
                if !item.is_empty() {
                    paths.push(join(&item));
                }
            }
        }
    }
    paths
}

/// The length of the `{...}` group `text` starts with, braces inside counted.
fn balanced_end(text: &str) -> usize {
    let mut depth = 0;
    for (i, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}

/// The module paths a use tree names: `a::{b, c::{self, D}}` gives `a::b`, `a::c`.
fn use_tree_paths(tree: &str) -> Vec<String> {
    let tree = tree.trim();
    let Some(open) =
        tree.find('{').filter(|&at| tree[..at].chars().all(|c| c.is_alphanumeric() || c == '_' || c == ':'))
    else {
        return vec![leading_path(tree)];
    };
    let head = tree[..open].trim_end_matches("::");
    let group = &tree[open..open + balanced_end(&tree[open..])];
    let inner = &group[1..group.len().saturating_sub(1)];
    let (mut items, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&inner[start..]);
    let mut out = Vec::new();
    for item in items {
        for sub in use_tree_paths(item) {
            out.push(match (head.is_empty(), sub.is_empty()) {
                (true, _) => sub,
                (false, true) => head.to_string(),
                (false, false) => format!("{head}::{sub}"),
            });
        }
    }
    out
}

/// The lower-case path at the start of `text` (`store::events::X` gives `store::events`).
fn leading_path(text: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for segment in text.split("::") {
        let word: &str =
            &segment[..segment.find(|c: char| !(c.is_alphanumeric() || c == '_')).unwrap_or(segment.len())];
        if word.is_empty() || !word.starts_with(|c: char| c.is_ascii_lowercase()) || word == "self" {
            break;
        }
        out.push(word);
        if word.len() != segment.len() {
            break;
        }
    }
    out.join("::")
}

/// The engine's import graph between files: module → the modules it names.
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = engine_src();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: BTreeMap<String, String> =
        files.iter().map(|f| (module_of(&src, f), std::fs::read_to_string(f).unwrap())).collect();
    let resolve = |path: &str| -> Option<String> {
        let parts: Vec<&str> = path.split("::").collect();
        (1..=parts.len()).rev().map(|n| parts[..n].join("::")).find(|m| modules.contains_key(m))
    };
    modules
        .iter()
        .filter(|(m, _)| !m.is_empty())
        .map(|(m, text)| {
            let used = named_paths(m, text).into_iter().filter_map(|p| resolve(&p)).filter(|u| u != m && !u.is_empty());
            (m.clone(), used.collect())
        })
        .collect()
}

/// Groups of modules that reach each other (Tarjan's strongly connected components, size > 1).
fn loops(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'g>(w: &mut Walk<'g>, v: &'g str) {
        let i = w.index.len();
        w.index.insert(v, i);
        w.low.insert(v, i);
        w.stack.push(v);
        for u in w.graph.get(v).into_iter().flatten() {
            let u = u.as_str();
            if !w.index.contains_key(u) {
                visit(w, u);
                let low = w.low[v].min(w.low[u]);
                w.low.insert(v, low);
            } else if w.stack.contains(&u) {
                let low = w.low[v].min(w.index[u]);
                w.low.insert(v, low);
            }
        }
        if w.low[v] == w.index[v] {
            let mut group = Vec::new();
            while let Some(u) = w.stack.pop() {
                group.push(u.to_string());
                if u == v {
                    break;
                }
            }
            if group.len() > 1 {
                group.sort();
                w.found.push(group);
            }
        }
    }
    let mut walk = Walk { graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), found: Vec::new() };
    for v in graph.keys() {
        if !walk.index.contains_key(v.as_str()) {
            visit(&mut walk, v);
        }
    }
    walk.found
}

fn layer_of(module: &str) -> Option<u8> {
    let top = module.split("::").next().unwrap_or(module);
    LAYERS.iter().find(|(name, _)| *name == top).map(|(_, l)| *l)
}

#[test]
fn sql_lives_only_in_the_store() {
    let src = engine_src();
    let shells = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    rust_files(&shells.join("cli/src"), &mut files);
    rust_files(&shells.join("ipc"), &mut files);
    files.push(shells.join("lib.rs"));
    let mut offenders = Vec::new();
    for file in files.iter().filter(|f| !f.starts_with(src.join("store"))) {
        for line in sql_lines(&std::fs::read_to_string(file).unwrap()) {
            offenders.push(format!("{}:{line}", file.display()));
        }
    }
    assert!(offenders.is_empty(), "SQL outside src-tauri/engine/src/store/:\n{}", offenders.join("\n"));
}

/// The workspace denies unsafe code (DESIGN.md asked for `forbid`); the one exception is
/// `store::memory::give_back_freed` (glibc's `malloc_trim`, which no safe crate offers), and
/// this keeps it the only one: any other unsafe block, function or `allow` fails here.
#[test]
fn unsafe_code_lives_only_in_store_memory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    rust_files(&root.join("src-tauri"), &mut files);
    rust_files(&root.join("tests"), &mut files);
    let allowed = root.join("src-tauri/engine/src/store/memory.rs");
    let mut offenders = Vec::new();
    let mut in_memory_rs = Vec::new();
    for file in files.iter().filter(|f| !f.components().any(|c| c.as_os_str() == "target")) {
        let text = std::fs::read_to_string(file).unwrap();
        // This file names the markers it looks for.
        if file.ends_with("tests/engine/architecture.rs") {
            continue;
        }
        for line in unsafe_lines(&text) {
            if file == &allowed {
                in_memory_rs.push(line);
            } else {
                offenders.push(format!("{}:{line}", file.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "unsafe code outside src-tauri/engine/src/store/memory.rs:\n{}",
        offenders.join("\n")
    );
    assert_eq!(
        in_memory_rs.len(),
        2,
        "store/memory.rs holds one allow and one unsafe block, no more: {in_memory_rs:?}"
    );
    // The lint that refuses it everywhere else holds in every package, and no build setting
    // turns it down.
    for manifest in ["Cargo.toml", "src-tauri/engine/Cargo.toml", "src-tauri/cli/Cargo.toml"] {
        let text = std::fs::read_to_string(root.join(manifest)).unwrap();
        assert!(text.contains("[lints]\nworkspace = true"), "{manifest} does not take the workspace's lints");
    }
    let workspace = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(
        workspace.contains("members = [\".\", \"src-tauri/engine\", \"src-tauri/cli\"]"),
        "a new package: check its lints here too"
    );
    assert!(workspace.contains("[workspace.lints.rust]\n") && workspace.contains("\nunsafe_code = \"deny\"\n"));
    let config = std::fs::read_to_string(root.join(".cargo/config.toml")).unwrap();
    assert!(!config.contains("unsafe_code") && !config.contains("cap-lints") && !config.contains("rustflags"));
}

#[test]
fn no_two_files_import_each_other() {
    let found = loops(&import_graph());
    assert!(found.is_empty(), "import loops between engine files: {found:?}");
}

#[test]
fn modules_import_only_from_lower_layers() {
    let mut wrong = Vec::new();
    for (module, used) in import_graph() {
        let Some(own) = layer_of(&module) else {
            wrong.push(format!("{module}: a top-level module not placed in LAYERS"));
            continue;
        };
        for u in used {
            let same_top = module.split("::").next() == u.split("::").next();
            match layer_of(&u) {
                Some(l) if same_top || l < own => {}
                _ => wrong.push(format!("{module} uses {u}")),
            }
        }
    }
    assert!(wrong.is_empty(), "imports that do not go down a layer:\n{}", wrong.join("\n"));
}

/// The checks above see what they must: planted SQL, a planted loop and a planted upward path.
#[test]
fn the_checks_catch_what_they_look_for() {
    let planted = "fn f(c: &Connection) {\n    // \"SELECT in a comment\"\n    c.query_row(\"SELECT 1\", [], |r| r.get(0))\n}\n#[cfg(test)]\nmod tests { \"DELETE FROM x\" }\n";
    assert_eq!(sql_lines(planted), vec!["3: c.query_row(\"SELECT 1\", [], |r| r.get(0))"]);
    let planted = "#[allow(unsafe_code)]\nfn f() {\n    // unsafe { in a comment }\n    unsafe{ g() }\n    let unsafely = 1;\n}\n#[cfg(test)]\nmod tests { unsafe trait T {} }\n";
    assert_eq!(
        unsafe_lines(planted),
        vec!["1: #[allow(unsafe_code)]", "4: unsafe{ g() }", "8: mod tests { unsafe trait T {} }"]
    );

    let text = "use crate::{store::{self, Store}, model::Event, rules::{audit, Rule}};\nuse super::state::X;\nfn g() { crate::rules::audit::run(); my_crate::x(); }\n";
    let mut named = named_paths("reconcile::timeline", text);
    named.sort();
    named.dedup();
    assert_eq!(named, vec!["model", "reconcile::state", "rules", "rules::audit", "rules::audit::run", "store"]);

    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["c".to_string()])),
        ("c".to_string(), BTreeSet::from(["a".to_string()])),
        ("d".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into();
    assert_eq!(loops(&graph), vec![vec!["a".to_string(), "b".to_string(), "c".to_string()]]);
    assert!(layer_of("store::events::read") < layer_of("rules::audit"));
}
