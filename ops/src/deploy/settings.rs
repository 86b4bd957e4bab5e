//! A stage's deploy settings, every one of them in its committed file
//! `infrastructure/stages/<stage>.env`: one `NAME=value` a line, the value taken as it is. A
//! setting also given on the command line or in the environment with another value is shown and
//! refused: the file is the one place a stage's settings change, so no deploy path resets one
//! silently. (The Makefile's deploy targets pass on only the settings given; its own values are
//! the local chores'.)

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::OpsError;

/// Every setting a stage's file holds, in the order `dev.env` lists them; the Makefile's
/// STAGE_SETTINGS names the same (a test holds them equal).
pub(crate) const STAGE_SETTINGS: [&str; 15] = [
    "REPORT_SENDER",
    "REPORT_RECIPIENTS",
    "ALARM_EMAIL",
    "OWNER",
    "REPORT_TIMEZONE",
    "PROCESSOR_MEMORY",
    "PROCESSOR_TIMEOUT",
    "REPORTER_MEMORY",
    "REPORTER_TIMEOUT",
    "RECORD_TTL_DAYS",
    "WRITE_CONCURRENCY",
    "PROCESSOR_MAX_CONCURRENCY",
    "SEND_EMPTY_REPORT",
    "SES_CONFIGURATION_SET",
    "WEEK_LOOKUP",
];

/// SES sends one message to 50 recipients at most.
const MAX_RECIPIENTS: usize = 50;

/// A stage's settings, read from its file.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The file they were read from, as the messages name it.
    pub(crate) file: PathBuf,
    values: BTreeMap<&'static str, String>,
}

fn refused(message: String) -> OpsError {
    OpsError::Refused {
        step: "read the stage's settings",
        message,
    }
}

impl Settings {
    /// Reads `<dir>/<stage>.env`; `given(name)` is a setting's value given otherwise (the
    /// environment), refused when it differs from the file's.
    pub(crate) fn load(
        dir: &Path,
        stage: &str,
        given: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Self, OpsError> {
        let file = dir.join(format!("{stage}.env"));
        let text = std::fs::read_to_string(&file).map_err(|_| {
            refused(format!(
                "no settings file {} for the stage {stage}: copy infrastructure/stages/dev.env to \
                 it, fill it in and commit it",
                file.display()
            ))
        })?;
        let settings = Self::parse(file, &text)?;
        let mut problems = Vec::new();
        for (name, value) in &settings.values {
            if let Some(given) = given(name).filter(|g| g != value) {
                problems.push(format!(
                    "{name} is \"{given}\" on the command line (or in the environment) and \
                     \"{value}\" in {}: change the file (and commit it) to change the stage",
                    settings.file.display()
                ));
            }
        }
        for name in STAGE_SETTINGS {
            if !settings.values.contains_key(name) {
                problems.push(format!(
                    "{} has no {name} (infrastructure/stages/dev.env lists every setting)",
                    settings.file.display()
                ));
            }
        }
        match problems.is_empty() {
            true => Ok(settings),
            false => Err(refused(problems.join("\n"))),
        }
    }

    /// The committed dev.env with `changes` made to it (`NAME=value` lines).
    #[cfg(test)]
    pub(crate) fn dev_with(changes: &str) -> Self {
        let dev = include_str!("../../../infrastructure/stages/dev.env");
        let mut settings = Self::parse(PathBuf::from("stages/dev.env"), dev).unwrap();
        let changed = Self::parse(PathBuf::from("changes"), changes).unwrap();
        settings.values.extend(changed.values);
        settings
    }

    /// The file's `NAME=value` lines; comments and blank lines skipped.
    fn parse(file: PathBuf, text: &str) -> Result<Self, OpsError> {
        let mut values = BTreeMap::new();
        for line in text.lines() {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (name, value) = line.split_once('=').unwrap_or((line, ""));
            let Some(&name) = STAGE_SETTINGS.iter().find(|&&n| n == name) else {
                return Err(refused(format!(
                    "{}: \"{line}\" is not NAME=value of a setting (one of: {})",
                    file.display(),
                    STAGE_SETTINGS.join(" ")
                )));
            };
            if values.insert(name, value.to_owned()).is_some() {
                return Err(refused(format!("{} sets {name} twice", file.display())));
            }
        }
        Ok(Self { file, values })
    }

    /// A setting's value (every name of [`STAGE_SETTINGS`] is there once loaded).
    pub(crate) fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    /// A setting that must be a whole number.
    pub(crate) fn number(&self, name: &'static str) -> Result<u32, OpsError> {
        self.get(name).parse().map_err(|_| {
            refused(format!(
                "{name} is \"{}\" in {}: a whole number",
                self.get(name),
                self.file.display()
            ))
        })
    }

    /// What a part needs of the file: the sender (all but the processor alone), the recipients
    /// (the reporter), at most 50 of them, and a time zone the functions will start with.
    pub(crate) fn check(&self, sender: bool, recipients: bool) -> Result<(), OpsError> {
        let file = self.file.display();
        if sender && self.get("REPORT_SENDER").is_empty() {
            return Err(refused(format!(
                "REPORT_SENDER is empty in {file}: fill in the verified SES identity the report \
                 is sent from (and commit the file)"
            )));
        }
        if recipients {
            let list = self.get("REPORT_RECIPIENTS");
            let count = list.split(',').filter(|a| !a.trim().is_empty()).count();
            if count == 0 {
                return Err(refused(format!(
                    "REPORT_RECIPIENTS is empty in {file}: fill in the comma-separated addresses \
                     the report goes to (and commit the file)"
                )));
            }
            // The reporter refuses more at start-up: refused here first.
            if count > MAX_RECIPIENTS {
                return Err(refused(format!(
                    "REPORT_RECIPIENTS has {count} addresses: SES sends one message to \
                     {MAX_RECIPIENTS} at most; use a mailing list"
                )));
            }
        }
        // The functions refuse an unknown zone at start-up: a typo would publish functions that
        // never start (and the processor's batches would go to the dead-letter queue).
        let zone = self.get("REPORT_TIMEZONE");
        if shared_types::week::parse_zone(zone).is_none() {
            return Err(refused(format!(
                "REPORT_TIMEZONE is \"{zone}\": no such time zone in the IANA database the \
                 functions are built with; give an IANA name such as Europe/London or UTC"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committed(stage: &str) -> Result<Settings, OpsError> {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure/stages");
        Settings::load(&dir, stage, &|_| None)
    }

    fn written(lines: &str, given: &[(&str, &str)]) -> Result<Settings, String> {
        let dir = tempfile::tempdir().unwrap();
        let mut text = String::from("# a stage\n");
        let dev = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../infrastructure/stages/dev.env"),
        )
        .unwrap();
        for line in dev.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
            let name = line.split('=').next().unwrap();
            if !lines.lines().any(|l| l.starts_with(&format!("{name}="))) {
                text.push_str(line);
                text.push('\n');
            }
        }
        text.push_str(lines);
        std::fs::write(dir.path().join("dev.env"), text).unwrap();
        let given: Vec<(String, String)> = given
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::load(dir.path(), "dev", &|name| {
            given
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        })
        .map_err(|e| e.to_string())
    }

    #[test]
    fn the_committed_files_hold_every_setting_once() {
        for stage in ["dev", "prod"] {
            let settings = committed(stage).unwrap();
            assert_eq!(settings.get("WEEK_LOOKUP"), "scan", "{stage}");
        }
        let missing = committed("staging").unwrap_err().to_string();
        assert!(missing.contains("no settings file"), "{missing}");
    }

    #[test]
    fn a_value_given_that_differs_from_the_file_is_shown_and_refused() {
        let refused = written(
            "PROCESSOR_TIMEOUT=30\nOWNER=data-team\n",
            &[("PROCESSOR_TIMEOUT", "60"), ("OWNER", "")],
        )
        .unwrap_err();
        assert!(
            refused.contains(
                "PROCESSOR_TIMEOUT is \"60\" on the command line (or in the environment) and \
                 \"30\" in "
            ),
            "{refused}"
        );
        assert!(
            refused.contains("/dev.env: change the file (and commit it) to change the stage"),
            "{refused}"
        );
        assert!(
            refused.contains(
                "OWNER is \"\" on the command line (or in the environment) and \"data-team\""
            ),
            "{refused}"
        );
        // The same value given is no change.
        let same = written("PROCESSOR_TIMEOUT=30\n", &[("PROCESSOR_TIMEOUT", "30")]).unwrap();
        assert_eq!(same.number("PROCESSOR_TIMEOUT").unwrap(), 30);
    }

    #[test]
    fn an_unknown_repeated_or_missing_name_is_refused() {
        let unknown = written("WEEK_LOKUP=index\n", &[]).unwrap_err();
        assert!(
            unknown.contains("\"WEEK_LOKUP=index\" is not NAME=value of a setting"),
            "{unknown}"
        );
        let twice = written("OWNER=a\nOWNER=b\n", &[]).unwrap_err();
        assert!(twice.contains("sets OWNER twice"), "{twice}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dev.env"), "OWNER=a\n").unwrap();
        let missing = Settings::load(dir.path(), "dev", &|_| None)
            .unwrap_err()
            .to_string();
        assert!(missing.contains("has no REPORT_SENDER"), "{missing}");
    }

    #[test]
    fn what_a_part_needs_and_the_file_lacks_is_asked_of_the_file() {
        let empty = written("REPORT_SENDER=\n", &[]).unwrap();
        let asked = empty.check(true, false).unwrap_err().to_string();
        assert!(
            asked.contains("REPORT_SENDER is empty in ")
                && asked.contains("fill in the verified SES identity"),
            "{asked}"
        );
        assert!(empty.check(false, false).is_ok(), "the processor alone");
        let many = (0..51)
            .map(|i| format!("r{i}@example.dev"))
            .collect::<Vec<_>>();
        let long = written(
            &format!(
                "REPORT_SENDER=a@example.dev\nREPORT_RECIPIENTS={}\n",
                many.join(",")
            ),
            &[],
        )
        .unwrap();
        let refused = long.check(true, true).unwrap_err().to_string();
        assert!(
            refused.contains("REPORT_RECIPIENTS has 51 addresses"),
            "{refused}"
        );
        let typo = written(
            "REPORT_SENDER=a@example.dev\nREPORT_RECIPIENTS=b@example.dev\nREPORT_TIMEZONE=Europe/Londn\n",
            &[],
        )
        .unwrap();
        let refused = typo.check(true, true).unwrap_err().to_string();
        assert!(
            refused.contains("REPORT_TIMEZONE is \"Europe/Londn\": no such time zone"),
            "{refused}"
        );
    }
}
