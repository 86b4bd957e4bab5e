//! `cargo xtask structure`: the figures that say whether the workspace stays easy to change,
//! read from the source as text (no build): `pub` items no other crate names, functions over
//! [`LONG_FUNCTION`] lines outside tests, files over [`LONG_FILE`] lines, and cycles of imports
//! between the files of a crate. The house test (`tests/it/structure.rs`) holds them.
//!
//! What counts, exactly:
//! - a **`pub` item** is a `pub` (not `pub(crate)`, `pub(super)`) `fn`, `struct`, `enum`,
//!   `trait`, `type`, `const`, `static` or `mod` in a library's `src/` outside its test modules;
//!   it is **used only in its crate** when its name, as a whole word, appears in no other file
//!   of the workspace but those of its own library (the crate's binaries, `src/main.rs` and
//!   `src/bin/`, its tests and benches, and the other crates count as elsewhere), nor in the
//!   declaration of an item that is used (a type in the signature of a function other crates
//!   call, or of a used type's field): other crates reach what such a declaration names. A
//!   name that other code happens to share (`new`, `run`) counts as used: the figure errs low.
//! - a **function's length** runs from its `fn` line to its closing brace, in `src/` and
//!   `benches/` outside test modules;
//! - a **cycle** is a set of files of one crate where each reaches the next through a
//!   `crate::`, `super::` or `self::` path (in a `use` or inline); a module declaring its child
//!   (`mod child;`) is not an import.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use source::{Source, code_of, item_end, read_sources};

mod imports;
mod source;

/// Lines beyond which a function outside tests is long.
pub(crate) const LONG_FUNCTION: usize = 60;
/// Lines beyond which a source file is long.
pub(crate) const LONG_FILE: usize = 500;

/// The workspace's crates, by folder.
const CRATES: [&str; 7] = [
    "shared-types",
    "lambda-support",
    "processor",
    "reporter",
    "ops",
    "dev/local-aws",
    "dev/xtask",
];

/// A `pub` item no other crate names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Unused {
    pub krate: &'static str,
    pub path: PathBuf,
    pub line: usize,
    pub name: String,
}

/// A function longer than [`LONG_FUNCTION`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongFunction {
    pub path: PathBuf,
    pub line: usize,
    pub name: String,
    pub lines: usize,
}

/// What `cargo xtask structure` measures.
#[derive(Debug, Default)]
pub struct Structure {
    /// `pub` items in all, by crate.
    pub public: BTreeMap<&'static str, usize>,
    pub unused: Vec<Unused>,
    pub long_functions: Vec<LongFunction>,
    /// Non-test source files over [`LONG_FILE`] lines, with their length.
    pub long_files: Vec<(PathBuf, usize)>,
    /// Each cycle's files.
    pub cycles: Vec<Vec<PathBuf>>,
    /// Every import between two files of a crate: (importing, imported).
    pub imports: Vec<(PathBuf, PathBuf)>,
}

impl Structure {
    /// Reads the workspace at `root`.
    pub fn measure(root: &Path) -> anyhow::Result<Self> {
        let sources = read_sources(root)?;
        let (public, unused) = unused_public(&sources);
        Ok(Self {
            public,
            unused,
            long_functions: long_functions(&sources),
            long_files: sources
                .iter()
                .filter(|s| !s.test_or_bench && s.lines.len() > LONG_FILE)
                .map(|s| (s.path.clone(), s.lines.len()))
                .collect(),
            cycles: CRATES
                .iter()
                .flat_map(|folder| imports::cycles(&sources, folder))
                .collect(),
            imports: CRATES
                .iter()
                .flat_map(|folder| imports::imports(&sources, folder))
                .collect(),
        })
    }

    /// `pub` items used only in their crate, by crate.
    fn unused_by_crate(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for unused in &self.unused {
            *counts.entry(unused.krate).or_default() += 1;
        }
        counts
    }
}

impl fmt::Display for Structure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by_crate = self.unused_by_crate();
        let all: usize = self.public.values().sum();
        writeln!(
            f,
            "pub items used only in their crate: {} of {all}",
            self.unused.len()
        )?;
        for (krate, public) in &self.public {
            writeln!(
                f,
                "  {krate}: {} of {public}",
                by_crate.get(krate).copied().unwrap_or(0)
            )?;
        }
        for u in &self.unused {
            writeln!(f, "    {}:{} {}", u.path.display(), u.line, u.name)?;
        }
        writeln!(
            f,
            "functions over {LONG_FUNCTION} lines outside tests: {}",
            self.long_functions.len()
        )?;
        for l in &self.long_functions {
            writeln!(
                f,
                "  {}:{} {} ({} lines)",
                l.path.display(),
                l.line,
                l.name,
                l.lines
            )?;
        }
        writeln!(
            f,
            "source files over {LONG_FILE} lines: {}",
            self.long_files.len()
        )?;
        for (path, lines) in &self.long_files {
            writeln!(f, "  {} ({lines} lines)", path.display())?;
        }
        writeln!(f, "import cycles between files: {}", self.cycles.len())?;
        for cycle in &self.cycles {
            let files: Vec<String> = cycle.iter().map(|p| p.display().to_string()).collect();
            writeln!(f, "  {}", files.join(" <-> "))?;
        }
        Ok(())
    }
}

const ITEM_KINDS: [&str; 8] = [
    "fn", "struct", "enum", "trait", "type", "const", "static", "mod",
];

/// The name a `pub` item line declares, if it is one.
fn public_item(line: &str) -> Option<String> {
    let rest = line.trim_start().strip_prefix("pub ")?;
    let tokens: Vec<&str> = rest.split_whitespace().collect();
    let mut k = 0;
    loop {
        let token = *tokens.get(k)?;
        let next = tokens.get(k + 1).copied();
        match token {
            "async" | "unsafe" | "extern" => k += 1,
            "const" if matches!(next, Some("fn" | "unsafe" | "async")) => k += 1,
            abi if abi.starts_with('"') => k += 1,
            kind if ITEM_KINDS.contains(&kind) => {
                let name: String = next?
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                return (!name.is_empty() && name != "_").then_some(name);
            }
            _ => return None,
        }
    }
}

fn words_of(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

fn unused_public(sources: &[Source]) -> (BTreeMap<&'static str, usize>, Vec<Unused>) {
    // The words each crate's library is named with elsewhere (test modules included).
    let mut elsewhere: HashMap<&'static str, BTreeSet<String>> = HashMap::new();
    for folder in CRATES {
        let words: BTreeSet<String> = sources
            .iter()
            .filter(|s| s.krate != folder || !s.library)
            .flat_map(|s| s.all_lines.iter())
            .flat_map(|l| words_of(&code_of(l)).map(str::to_owned).collect::<Vec<_>>())
            .collect();
        elsewhere.insert(folder, words);
    }
    let mut public: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut unused = Vec::new();
    for folder in CRATES {
        let items = declared(sources, folder);
        *public.entry(folder).or_default() += items.len();
        // Used: named elsewhere, or named in the declaration of a used item (a type in the
        // signature of a function other crates call, a field's type): others reach it.
        let mut used: BTreeSet<String> = items
            .iter()
            .filter(|item| elsewhere[folder].contains(&item.name))
            .map(|item| item.name.clone())
            .collect();
        loop {
            let reached: Vec<String> = items
                .iter()
                .filter(|item| used.contains(&item.name))
                .flat_map(|item| item.mentions.iter())
                .filter(|name| !used.contains(*name))
                .cloned()
                .collect();
            if reached.is_empty() {
                break;
            }
            used.extend(reached);
        }
        unused.extend(
            items
                .into_iter()
                .filter(|item| !used.contains(&item.name))
                .map(|item| Unused {
                    krate: folder,
                    path: item.path,
                    line: item.line,
                    name: item.name,
                }),
        );
    }
    unused.sort();
    (public, unused)
}

/// A `pub` item of a library, with the words of its declaration.
struct Declared {
    name: String,
    path: PathBuf,
    line: usize,
    /// The words of its signature (a function's up to its body) or of its whole declaration (a
    /// type's fields, an enum's variants, a trait's signatures).
    mentions: BTreeSet<String>,
}

/// The `pub` items of the library of the crate at `folder`.
fn declared(sources: &[Source], folder: &str) -> Vec<Declared> {
    let mut items = Vec::new();
    for source in sources.iter().filter(|s| s.krate == folder && s.library) {
        for (i, line) in source.lines.iter().enumerate() {
            let code = code_of(line);
            let Some(name) = public_item(&code) else {
                continue;
            };
            let is_function = function_name(&code).is_some();
            let end = item_end(&source.lines, i).unwrap_or(i);
            let mut mentions = BTreeSet::new();
            for line in &source.lines[i..=end] {
                let code = code_of(line);
                let signature = if is_function {
                    code.split('{').next().unwrap_or_default().to_owned()
                } else {
                    code
                };
                mentions.extend(words_of(&signature).map(str::to_owned));
                if is_function && line.contains('{') {
                    break;
                }
            }
            mentions.remove(&name);
            items.push(Declared {
                name,
                path: source.path.clone(),
                line: i + 1,
                mentions,
            });
        }
    }
    items
}

fn long_functions(sources: &[Source]) -> Vec<LongFunction> {
    let mut long = Vec::new();
    for source in sources.iter().filter(|s| {
        !(s.path.ends_with("tests.rs") || s.path.components().any(|c| c.as_os_str() == "tests"))
    }) {
        for (i, line) in source.lines.iter().enumerate() {
            let code = code_of(line);
            let Some(name) = function_name(&code) else {
                continue;
            };
            if let Some(end) = item_end(&source.lines, i) {
                let lines = end - i + 1;
                if lines > LONG_FUNCTION {
                    long.push(LongFunction {
                        path: source.path.clone(),
                        line: i + 1,
                        name,
                        lines,
                    });
                }
            }
        }
    }
    long
}

/// The name of the function a line begins, if it does.
fn function_name(code: &str) -> Option<String> {
    let mut words = code.split_whitespace().peekable();
    while let Some(word) = words.next() {
        if word == "fn" {
            let name: String = words
                .next()?
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            return (!name.is_empty()).then_some(name);
        }
        let modifier = word.starts_with("pub")
            || ["async", "const", "unsafe", "extern", "default"].contains(&word)
            || word.starts_with('"');
        if !modifier {
            return None;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_items_are_read_with_their_modifiers() {
        assert_eq!(public_item("pub fn run("), Some("run".into()));
        assert_eq!(public_item("  pub async fn load()"), Some("load".into()));
        assert_eq!(public_item("pub const fn new()"), Some("new".into()));
        assert_eq!(public_item("pub const MAX: usize = 3;"), Some("MAX".into()));
        assert_eq!(public_item("pub struct Gap {"), Some("Gap".into()));
        assert_eq!(public_item("pub(crate) fn x()"), None);
        assert_eq!(public_item("pub use a::b;"), None);
        assert_eq!(public_item("pub name: String,"), None);
    }
}
