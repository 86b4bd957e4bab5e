//! `docs/events.schema.json` is the schema the types derive: regenerate it with `make schema`
//! when they change.

use shared_types::event::json_schema_file;

const COMMITTED: &str = include_str!("../../../docs/events.schema.json");

#[test]
fn the_committed_schema_is_the_one_the_types_derive() {
    let derived = json_schema_file();
    if COMMITTED != derived {
        let first = COMMITTED
            .lines()
            .zip(derived.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "its length".to_owned(),
                |line| format!("line {}", line + 1),
            );
        panic!(
            "docs/events.schema.json differs from the schema of shared-types' event types (at \
             {first}): run `make schema` and commit the result"
        );
    }
}
