//! Which files of a crate import which, and the cycles among them.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use super::source::{Source, code_of};

/// A file's module path in its crate: `src/lib.rs` is `[]`, `src/a/mod.rs` and `src/a.rs` are
/// `["a"]`; binaries and tests are their own roots.
fn module_of(path: &Path, folder: &str) -> Option<Vec<String>> {
    let relative = path.strip_prefix(folder).ok()?.strip_prefix("src").ok()?;
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let file = parts.pop()?;
    if parts.first().is_some_and(|p| p == "bin") || file == "main.rs" {
        return None;
    }
    match file.as_str() {
        "lib.rs" | "mod.rs" => {}
        other => parts.push(other.trim_end_matches(".rs").to_owned()),
    }
    Some(parts)
}

/// The imports between the library files of the crate at `folder`: (importing, imported).
pub(super) fn imports(sources: &[Source], folder: &str) -> Vec<(PathBuf, PathBuf)> {
    let (files, edges) = graph(sources, folder);
    edges
        .iter()
        .enumerate()
        .flat_map(|(from, to)| to.iter().map(move |&to| (from, to)))
        .map(|(from, to)| (files[from].clone(), files[to].clone()))
        .collect()
}

/// The cycles of imports among the library files of the crate at `folder`.
pub(super) fn cycles(sources: &[Source], folder: &str) -> Vec<Vec<PathBuf>> {
    let (files, edges) = graph(sources, folder);
    strongly_connected(&edges)
        .into_iter()
        .filter(|c| c.len() > 1)
        .map(|c| c.iter().map(|&i| files[i].clone()).collect())
        .collect()
}

/// The library files of the crate at `folder`, and which of them each imports.
fn graph(sources: &[Source], folder: &str) -> (Vec<PathBuf>, Vec<BTreeSet<usize>>) {
    let files: Vec<(&Source, Vec<String>)> = sources
        .iter()
        .filter(|s| s.krate == folder && s.library)
        .filter_map(|s| Some((s, module_of(&s.path, folder)?)))
        .collect();
    let index: HashMap<&[String], usize> = files
        .iter()
        .enumerate()
        .map(|(i, (_, m))| (m.as_slice(), i))
        .collect();
    let mut edges: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); files.len()];
    for (from, (source, module)) in files.iter().enumerate() {
        // `super` of a file `a/b.rs` is `a`; of `a/b/mod.rs` also `a`; `self` is the module.
        let parent: Vec<String> = module[..module.len().saturating_sub(1)].to_vec();
        for line in &source.lines {
            let code = code_of(line);
            for path in paths_in(&code) {
                let mut resolved = match path.first().map(String::as_str) {
                    Some("crate") => Vec::new(),
                    Some("super") => parent.clone(),
                    Some("self") => module.clone(),
                    _ => continue,
                };
                let mut rest = path[1..].iter().peekable();
                while rest.peek().is_some_and(|p| p.as_str() == "super") {
                    resolved.pop();
                    rest.next();
                }
                // The deepest module file the path names.
                let mut target = index.get(resolved.as_slice()).copied();
                for part in rest {
                    resolved.push(part.clone());
                    match index.get(resolved.as_slice()) {
                        Some(&i) => target = Some(i),
                        None => break,
                    }
                }
                if let Some(to) = target.filter(|&to| to != from) {
                    edges[from].insert(to);
                }
            }
        }
    }
    (files.iter().map(|(s, _)| s.path.clone()).collect(), edges)
}

/// The `crate::`, `super::` and `self::` paths on a line, each as its segments, with a `use`
/// group's branches (`crate::a::{b, c::d}`) as paths of their own.
fn paths_in(code: &str) -> Vec<Vec<String>> {
    let mut paths = Vec::new();
    for start in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(found) = code[from..].find(start) {
            let at = from + found;
            from = at + start.len();
            let before = code[..at].chars().last();
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let tail: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || "_:{}, ".contains(*c))
                .collect();
            expand(&tail, &mut paths);
        }
    }
    paths
}

/// `a::b::{c, d::e}` as `[a, b, c]` and `[a, b, d, e]`; a plain path as itself.
fn expand(text: &str, out: &mut Vec<Vec<String>>) {
    let (head, group) = match text.find('{') {
        Some(open) => (&text[..open], Some(&text[open + 1..])),
        None => (text, None),
    };
    let head: Vec<String> = head
        .split("::")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .take_while(|p| p.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .collect();
    match group {
        None => out.push(head),
        Some(group) => {
            for branch in group.split(',') {
                let branch = branch.trim().trim_end_matches('}').trim();
                let tail: Vec<String> = branch
                    .split("::")
                    .map(|p| p.trim().to_owned())
                    .filter(|p| !p.is_empty() && p.chars().all(|c| c.is_alphanumeric() || c == '_'))
                    .collect();
                let mut path = head.clone();
                path.extend(tail);
                out.push(path);
            }
        }
    }
}

/// Tarjan's strongly connected components.
fn strongly_connected(edges: &[BTreeSet<usize>]) -> Vec<Vec<usize>> {
    struct State<'a> {
        edges: &'a [BTreeSet<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    fn visit(s: &mut State<'_>, v: usize) {
        s.index[v] = Some(s.next);
        s.low[v] = s.next;
        s.next += 1;
        s.stack.push(v);
        s.on_stack[v] = true;
        for &w in s.edges[v].iter() {
            match s.index[w] {
                None => {
                    visit(s, w);
                    s.low[v] = s.low[v].min(s.low[w]);
                }
                Some(iw) if s.on_stack[w] => s.low[v] = s.low[v].min(iw),
                Some(_) => {}
            }
        }
        if Some(s.low[v]) == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack[w] = false;
                component.push(w);
                if w == v {
                    break;
                }
            }
            component.sort_unstable();
            s.components.push(component);
        }
    }
    let n = edges.len();
    let mut state = State {
        edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for v in 0..n {
        if state.index[v].is_none() {
            visit(&mut state, v);
        }
    }
    state.components
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_use_group_is_read_as_its_paths_and_cycles_are_found() {
        let mut paths = Vec::new();
        expand("crate::a::{b, c::d}", &mut paths);
        assert_eq!(
            paths,
            vec![vec!["crate", "a", "b"], vec!["crate", "a", "c", "d"],]
        );
        let edges = vec![
            BTreeSet::from([1]),
            BTreeSet::from([2]),
            BTreeSet::from([0]),
            BTreeSet::from([0]),
        ];
        let mut components = strongly_connected(&edges);
        components.retain(|c| c.len() > 1);
        assert_eq!(components, vec![vec![0, 1, 2]]);
    }
}
