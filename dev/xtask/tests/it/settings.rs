//! The chores' settings and the Makefile's are the same: every default `xtask::settings` holds
//! is the Makefile's `NAME ?= value`, so `cargo xtask demo` and `make demo` run the same thing,
//! and a setting changed in the Makefile reaches every chore.

use xtask::{DEFAULTS, Settings};

#[test]
fn every_default_of_the_chores_is_the_makefiles() {
    let makefile =
        std::fs::read_to_string(local_aws::servers::workspace_root().join("Makefile")).unwrap();
    for (name, default) in DEFAULTS {
        let line = makefile
            .lines()
            .find(|l| l.starts_with(&format!("{name} ?=")))
            .unwrap_or_else(|| panic!("the Makefile sets no {name}"));
        let value = line.split_once("?=").unwrap().1.trim();
        assert_eq!(value, default, "{name}");
    }
    assert!(Settings::defaults().is_ok());
}

#[test]
fn a_setting_the_makefile_passes_through_is_the_one_every_chore_reads() {
    // PROCESSOR_TIMEOUT reaches the demo's stack (6 times it) and the bench's deployed sizes.
    let defaults = Settings::defaults().unwrap();
    assert_eq!(defaults.processor_timeout_s, 30);
    assert_eq!(defaults.reporter_memory_mb, 256);
    let options = xtask::DemoOptions::of(&defaults);
    assert_eq!(options.processor_timeout_s, defaults.processor_timeout_s);
    assert_eq!(options.reporter_timeout_s, defaults.reporter_timeout_s);
}
