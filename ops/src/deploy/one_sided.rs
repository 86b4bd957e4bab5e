//! What a stack and a function both hold, and so only the whole deploy changes: a part alone
//! would change it on its side only. Each is compared with the live stage's before a part
//! deploys anything, where the part holds one side of it:
//!
//! | parameter (stack)               | setting                 | parts holding a side          |
//! |---------------------------------|-------------------------|-------------------------------|
//! | ReportSender                    | REPORT_SENDER           | stack (the reporter role's SES permission), reporter |
//! | SesConfigurationSet             | SES_CONFIGURATION_SET   | stack (the same permission), reporter |
//! | WeekLookup                      | WEEK_LOOKUP             | stack (the week index), reporter (its queries) |
//! | QueueVisibilityTimeoutSeconds   | 6 × PROCESSOR_TIMEOUT   | stack (the queue), processor  |
//! | ReportTimezone (wiring)         | REPORT_TIMEZONE         | stack (the schedule), processor, reporter |
//!
//! A stage deployed before a parameter existed ran with its default (scan, UTC).

use std::collections::HashMap;

use super::Part;
use super::settings::Settings;

/// The queue's visibility timeout is this many times the processor's timeout (stack.yaml's
/// QueueVisibilityTimeoutSeconds; AWS's advice for an SQS trigger).
pub(crate) const VISIBILITY_PER_TIMEOUT: u32 = 6;

struct Shared {
    parameter: &'static str,
    setting: &'static str,
    /// What a stage deployed before the parameter existed ran with.
    default: &'static str,
    parts: &'static [Part],
}

const SHARED: [Shared; 5] = [
    Shared {
        parameter: "ReportSender",
        setting: "REPORT_SENDER",
        default: "",
        parts: &[Part::Stack, Part::Reporter],
    },
    Shared {
        parameter: "SesConfigurationSet",
        setting: "SES_CONFIGURATION_SET",
        default: "",
        parts: &[Part::Stack, Part::Reporter],
    },
    Shared {
        parameter: "WeekLookup",
        setting: "WEEK_LOOKUP",
        default: "scan",
        parts: &[Part::Stack, Part::Reporter],
    },
    Shared {
        parameter: "QueueVisibilityTimeoutSeconds",
        setting: "PROCESSOR_TIMEOUT",
        default: "",
        parts: &[Part::Stack, Part::Processor],
    },
    Shared {
        parameter: "ReportTimezone",
        setting: "REPORT_TIMEZONE",
        default: "UTC",
        parts: &[Part::Stack, Part::Processor, Part::Reporter],
    },
];

/// What `part` alone would change on one side only, each said; `live` holds the parameters of
/// the stage's two stacks.
pub(crate) fn one_sided(
    part: Part,
    stage: &str,
    settings: &Settings,
    live: &HashMap<String, String>,
) -> Vec<String> {
    let mut refused = Vec::new();
    for shared in SHARED.iter().filter(|s| s.parts.contains(&part)) {
        let setting = settings.get(shared.setting);
        let (value, note) = match shared.parameter {
            "QueueVisibilityTimeoutSeconds" => {
                let seconds = setting.parse::<u32>().map_or_else(
                    |_| setting.to_owned(),
                    |t| t.saturating_mul(VISIBILITY_PER_TIMEOUT).to_string(),
                );
                let note = format!(" (the queue's visibility timeout, 6 times it: {seconds})");
                (seconds, note)
            }
            _ => (setting.to_owned(), String::new()),
        };
        let deployed = live
            .get(shared.parameter)
            .map_or(shared.default, String::as_str);
        if deployed != value {
            refused.push(format!(
                "{} is \"{setting}\" in {}{note} and the live stage's {} is \"{deployed}\": a \
                 stack and a function both hold it, so a part alone ({part}) would change one \
                 side only; make deploy STAGE={stage} (the whole deploy) changes them together",
                shared.setting,
                settings.file.display(),
                shared.parameter,
            ));
        }
    }
    refused
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARTS: [Part; 3] = [Part::Stack, Part::Processor, Part::Reporter];

    /// What each part alone is told when the stage's file is dev.env with `settings` changed
    /// and the live stacks hold the file's values but `live`.
    fn told(settings: &str, live: &[(&str, &str)]) -> Vec<(Part, Vec<String>)> {
        let settings = Settings::dev_with(settings);
        let mut parameters: HashMap<String, String> = [
            ("ReportSender", "reports@example.dev"),
            ("SesConfigurationSet", ""),
            ("WeekLookup", "scan"),
            ("QueueVisibilityTimeoutSeconds", "180"),
            ("ReportTimezone", "UTC"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        for (key, value) in live {
            if value.is_empty() {
                parameters.remove(*key);
            } else {
                parameters.insert((*key).to_owned(), (*value).to_owned());
            }
        }
        PARTS
            .into_iter()
            .map(|part| (part, one_sided(part, "dev", &settings, &parameters)))
            .collect()
    }

    fn refused_parts(told: &[(Part, Vec<String>)], message: &str) -> Vec<Part> {
        for (part, lines) in told {
            for line in lines {
                assert!(line.contains(message), "{part}: {line}");
                assert!(
                    line.contains(&format!(
                        "a part alone ({part}) would change one side only; make deploy STAGE=dev"
                    )),
                    "{line}"
                );
            }
        }
        told.iter()
            .filter(|(_, l)| !l.is_empty())
            .map(|(p, _)| *p)
            .collect()
    }

    const STAGE: &str = "REPORT_SENDER=reports@example.dev\n";

    #[test]
    fn the_file_as_deployed_lets_every_part_deploy() {
        assert_eq!(refused_parts(&told(STAGE, &[]), ""), []);
    }

    #[test]
    fn the_week_index_is_not_dropped_under_the_live_reporter() {
        let told = told(STAGE, &[("WeekLookup", "index")]);
        let message = "WEEK_LOOKUP is \"scan\" in stages/dev.env and the live stage's WeekLookup is \"index\"";
        assert_eq!(refused_parts(&told, message), [Part::Stack, Part::Reporter]);
    }

    #[test]
    fn a_processor_timeout_moves_with_the_queues_visibility_only() {
        let told = told(&format!("{STAGE}PROCESSOR_TIMEOUT=60\n"), &[]);
        let message = "(the queue's visibility timeout, 6 times it: 360) and the live stage's \
                       QueueVisibilityTimeoutSeconds is \"180\"";
        assert_eq!(
            refused_parts(&told, message),
            [Part::Stack, Part::Processor]
        );
    }

    #[test]
    fn the_sender_and_configuration_set_change_together() {
        let told_sender = told("REPORT_SENDER=new@example.dev\n", &[]);
        let message = "the live stage's ReportSender is \"reports@example.dev\"";
        assert_eq!(
            refused_parts(&told_sender, message),
            [Part::Stack, Part::Reporter]
        );
        let told_set = told(STAGE, &[("SesConfigurationSet", "old-set")]);
        let message = "SES_CONFIGURATION_SET is \"\" in ";
        assert_eq!(
            refused_parts(&told_set, message),
            [Part::Stack, Part::Reporter]
        );
    }

    #[test]
    fn no_part_alone_changes_the_zone_and_a_stage_from_before_it_ran_in_utc() {
        let told_zone = told(
            &format!("{STAGE}REPORT_TIMEZONE=America/New_York\n"),
            &[("ReportTimezone", "Europe/London")],
        );
        let message = "REPORT_TIMEZONE is \"America/New_York\" in stages/dev.env and the live stage's \
                       ReportTimezone is \"Europe/London\"";
        assert_eq!(refused_parts(&told_zone, message), PARTS);
        // No ReportTimezone parameter: the stage ran in UTC.
        let before = told(
            &format!("{STAGE}REPORT_TIMEZONE=Europe/London\n"),
            &[("ReportTimezone", "")],
        );
        let message = "the live stage's ReportTimezone is \"UTC\"";
        assert_eq!(refused_parts(&before, message), PARTS);
        assert_eq!(
            refused_parts(&told(STAGE, &[("ReportTimezone", "")]), ""),
            []
        );
    }
}
