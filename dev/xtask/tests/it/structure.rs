//! The house, held: what `cargo xtask structure` measures stays at its targets, and the
//! reporter's stages import forward only. A failure names what to mend.

use std::path::{Path, PathBuf};

use xtask::Structure;

fn measured() -> Structure {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    Structure::measure(&root).unwrap()
}

/// Outside the contract (`shared-types`, whose limits and layout other code reads by module)
/// an item is `pub` only when another crate names it.
#[test]
fn no_pub_item_is_used_only_in_its_crate_outside_the_contract() {
    let structure = measured();
    println!("{}", structure.to_string().lines().next().unwrap());
    let unused: Vec<String> = structure
        .unused
        .iter()
        .filter(|u| u.krate != "shared-types")
        .map(|u| format!("{}:{} {}", u.path.display(), u.line, u.name))
        .collect();
    assert!(
        unused.is_empty(),
        "pub items no other crate uses (make them pub(crate)): {unused:#?}"
    );
}

#[test]
fn no_function_outside_tests_is_over_60_lines_and_no_file_over_500() {
    let structure = measured();
    let long: Vec<String> = structure
        .long_functions
        .iter()
        .map(|l| {
            format!(
                "{}:{} {} ({} lines)",
                l.path.display(),
                l.line,
                l.name,
                l.lines
            )
        })
        .collect();
    assert!(long.is_empty(), "break these at their stages: {long:#?}");
    assert!(
        structure.long_files.is_empty(),
        "split these by role: {:#?}",
        structure.long_files
    );
}

#[test]
fn no_files_import_each_other_in_a_cycle() {
    let structure = measured();
    assert!(structure.cycles.is_empty(), "{:#?}", structure.cycles);
}

/// The reporter's stages, in the order they run: each may use those before it, never one after.
#[test]
fn the_reporters_stages_import_forward_only() {
    const STAGES: [&str; 6] = [
        "text",
        "aggregate",
        "significance",
        "gaps",
        "view",
        "render",
    ];
    let stage = |path: &PathBuf| {
        let relative = path.strip_prefix("reporter/src/report").ok()?;
        let first = relative.iter().next()?.to_string_lossy();
        STAGES
            .iter()
            .position(|s| first.trim_end_matches(".rs") == *s)
    };
    let structure = measured();
    let backward: Vec<String> = structure
        .imports
        .iter()
        .filter_map(|(from, to)| match (stage(from), stage(to)) {
            (Some(a), Some(b)) if b > a => Some(format!("{} -> {}", from.display(), to.display())),
            _ => None,
        })
        .collect();
    let forward = structure
        .imports
        .iter()
        .filter(|(from, to)| matches!((stage(from), stage(to)), (Some(a), Some(b)) if b < a))
        .count();
    assert!(forward > 0, "the stages were not found: {STAGES:?}");
    assert!(
        backward.is_empty(),
        "imports from a later stage: {backward:#?}"
    );
}
