//! The workspace's Rust files as the figures read them: each file's lines with its test
//! modules blanked, and its code without comments and literals.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::CRATES;

/// One source file, with its test modules blanked out.
#[derive(Debug)]
pub(super) struct Source {
    /// Relative to the workspace root.
    pub(super) path: PathBuf,
    /// The crate's folder.
    pub(super) krate: &'static str,
    /// Whether it belongs to the crate's library (`src/`, but for `main.rs` and `src/bin/`).
    pub(super) library: bool,
    /// Whether it is a test or bench file (`tests/`, `benches/`).
    pub(super) test_or_bench: bool,
    /// Its lines, those of `#[cfg(test)]` modules emptied.
    pub(super) lines: Vec<String>,
    /// Its lines as they are, test modules too.
    pub(super) all_lines: Vec<String>,
}

pub(super) fn read_sources(root: &Path) -> anyhow::Result<Vec<Source>> {
    let mut sources = Vec::new();
    for folder in CRATES {
        for sub in ["src", "tests", "benches"] {
            let mut files = Vec::new();
            rust_files(&root.join(folder).join(sub), &mut files)?;
            for file in files {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let path = file.strip_prefix(root).unwrap_or(&file).to_path_buf();
                // A module's tests in a file of their own (`#[cfg(test)] mod tests;`) are tests.
                let in_src = sub == "src" && !path.ends_with("tests.rs");
                let binary = in_src
                    && (path.ends_with("src/main.rs")
                        || path.components().any(|c| c.as_os_str() == "bin"));
                sources.push(Source {
                    krate: folder,
                    library: in_src && !binary,
                    test_or_bench: !in_src,
                    lines: without_test_modules(&text),
                    all_lines: text.lines().map(str::to_owned).collect(),
                    path,
                });
            }
        }
    }
    Ok(sources)
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    if !dir.is_dir() {
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot list {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            rust_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}

/// The file's lines, with the body of every `#[cfg(test)]` item (a test module, a test-only
/// function) blanked.
fn without_test_modules(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim_start().starts_with("#[cfg(test)]") {
            let end = item_end(&lines, i + 1).unwrap_or(lines.len() - 1);
            for line in &mut lines[i..=end] {
                line.clear();
            }
            i = end;
        }
        i += 1;
    }
    lines
}

/// The line where the item starting at `start` closes (its braces balance), or where it ends
/// with `;` before any brace.
pub(super) fn item_end(lines: &[String], start: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut opened = false;
    for (offset, line) in lines[start..].iter().enumerate() {
        for c in code_of(line).chars() {
            match c {
                '{' => {
                    depth += 1;
                    opened = true;
                }
                '}' => depth -= 1,
                ';' if !opened && depth == 0 => return Some(start + offset),
                _ => {}
            }
        }
        if opened && depth <= 0 {
            return Some(start + offset);
        }
    }
    None
}

/// A line without its comment and string and character literals (so their braces and words do
/// not count).
pub(super) fn code_of(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    let mut in_string = false;
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        // A raw string (`r"..."`, `r#"..."#`): to its closing quote and hashes.
        if !in_string && c == 'r' && !(previous.is_alphanumeric() || previous == '_') {
            let hashes = chars.clone().take_while(|h| *h == '#').count();
            if chars.clone().nth(hashes) == Some('"') {
                let rest: String = chars.clone().skip(hashes + 1).collect();
                let close = format!("\"{}", "#".repeat(hashes));
                let skip = rest.find(&close).map_or(rest.chars().count(), |at| {
                    rest[..at].chars().count() + close.len()
                });
                for _ in 0..hashes + 1 + skip {
                    chars.next();
                }
                previous = '"';
                continue;
            }
        }
        previous = c;
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '/' if chars.peek() == Some(&'/') => break,
            '\'' => {
                // A character literal ('{', '\''), not a lifetime ('a).
                let rest: String = chars.clone().take(12).collect();
                if let Some(escaped) = rest.strip_prefix('\\') {
                    // The escape's first character, then up to the closing quote.
                    if let Some(close) = escaped.get(1..).and_then(|r| r.find('\'')) {
                        for _ in 0..escaped[1..1 + close].chars().count() + 3 {
                            chars.next();
                        }
                    }
                } else if rest.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                } else {
                    out.push(c);
                }
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_modules_and_literals_are_left_out() {
        let lines = without_test_modules(
            "fn a() {}\n#[cfg(test)]\nmod tests {\n    fn b() { \"}\" }\n}\nfn c() {}\n",
        );
        assert_eq!(lines[0], "fn a() {}");
        assert!(lines[1..5].iter().all(String::is_empty));
        assert_eq!(lines[5], "fn c() {}");
        assert_eq!(code_of("let c = '{'; // }"), "let c = ; ");
        assert_eq!(code_of(r"f('\'', '\u{7b}', '}')"), "f(, , )");
        assert_eq!(code_of("fn f<'a>(x: &'a str)"), "fn f<'a>(x: &'a str)");
        assert_eq!(code_of(r##"let q = r#"{"a":"\"}"#; {"##), "let q = ; {");
    }
}
