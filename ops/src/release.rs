//! Which version of each function is live, and moving it back.
//!
//! Every `make deploy` publishes a version of each function and points its alias [`LIVE_ALIAS`]
//! at it (`cargo lambda deploy --alias live`); the queue trigger and the schedule invoke the
//! alias, never `$LATEST`. A rollback moves the alias to the version published before the live
//! one: seconds, no build, and the next deploy moves it forward again.

use shared_types::stage::output;
use std::collections::HashMap;
use std::fmt;

use aws_sdk_lambda::error::ProvideErrorMetadata;
use serde::Serialize;

use shared_types::stage::LIVE_ALIAS;
use shared_types::stage::setting::{BUILD_COMMIT, REPORT_TIMEZONE};
use shared_types::week::{Tz, parse_zone};

use crate::Operations;
use crate::error::{OpsError, aws_failed};

/// One of the stage's functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Function {
    Processor,
    Reporter,
}

impl Function {
    pub const ALL: [Self; 2] = [Self::Processor, Self::Reporter];

    /// The stack output naming the deployed function.
    fn output(self) -> &'static str {
        match self {
            Self::Processor => output::PROCESSOR_FUNCTION_NAME,
            Self::Reporter => output::REPORTER_FUNCTION_NAME,
        }
    }
}

impl fmt::Display for Function {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Processor => "processor",
            Self::Reporter => "reporter",
        })
    }
}

/// A function's live version among those published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveVersion {
    pub function: String,
    /// The version the alias points at.
    pub live: u64,
    /// Every published version, oldest first.
    pub published: Vec<u64>,
    /// When the live version was published (Lambda's `LastModified` of it).
    pub published_at: Option<String>,
    /// The commit the live version was built from, as `make deploy` writes it into the
    /// version's environment (`BUILD_COMMIT`); `None` for a version deployed without one.
    pub commit: Option<String>,
    /// The commit of each published version that records one.
    #[serde(skip)]
    pub commits: std::collections::BTreeMap<u64, String>,
}

impl LiveVersion {
    /// Counts a published version (not `$LATEST`); of the live one, when it was published and
    /// the commit it was built from.
    fn add(&mut self, version: &aws_sdk_lambda::types::FunctionConfiguration) {
        let Some(number) = version
            .version
            .as_deref()
            .and_then(|v| v.parse::<u64>().ok())
        else {
            return;
        };
        let commit = version
            .environment
            .as_ref()
            .and_then(|e| e.variables.as_ref())
            .and_then(|v| v.get(BUILD_COMMIT))
            .cloned();
        if number == self.live {
            self.published_at = version.last_modified.clone();
            self.commit = commit.clone();
        }
        if let Some(commit) = commit {
            self.commits.insert(number, commit);
        }
        self.published.push(number);
    }

    /// The commit `version` was built from, "unknown" when it records none.
    pub(crate) fn commit_of(&self, version: u64) -> &str {
        self.commits.get(&version).map_or("unknown", String::as_str)
    }

    /// The version published just before the live one, if any.
    pub fn previous(&self) -> Option<u64> {
        self.published
            .iter()
            .copied()
            .filter(|v| *v < self.live)
            .max()
    }
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollback {
    pub function: String,
    pub from: u64,
    pub to: u64,
    /// The commits the two versions were built from.
    pub from_commit: String,
    pub to_commit: String,
}

impl fmt::Display for Rollback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{}: alias live moved from version {} (commit {}) to {} (commit {}); make status shows it",
            self.function, self.from, self.from_commit, self.to, self.to_commit
        )
    }
}

impl Operations {
    /// The deployed name of `function`.
    pub fn function_name(&self, function: Function) -> Result<&str, OpsError> {
        self.stack.output(function.output())
    }

    /// The environment the reporter's live version runs with: its settings.
    pub(crate) async fn reporter_settings(&self) -> Result<HashMap<String, String>, OpsError> {
        let name = self.function_name(Function::Reporter)?;
        let configuration = self
            .lambda
            .get_function_configuration()
            .function_name(name)
            .qualifier(LIVE_ALIAS)
            .send()
            .await
            .map_err(aws_failed("read the reporter's settings"))?;
        Ok(configuration
            .environment
            .and_then(|e| e.variables)
            .unwrap_or_default())
    }

    /// The owner's time zone the stage runs in: the live reporter's `REPORT_TIMEZONE` (the
    /// deploy gives the processor the same), UTC when it has none (a stage deployed before the
    /// setting existed). The weeks `status` counts and the week `verify` expects the canary in.
    pub(crate) async fn live_zone(&self) -> Result<Tz, OpsError> {
        let settings = self.reporter_settings().await?;
        match settings.get(REPORT_TIMEZONE) {
            None => Ok(Tz::UTC),
            Some(name) => parse_zone(name).ok_or_else(|| OpsError::Refused {
                step: "read the reporter's settings",
                message: format!("{REPORT_TIMEZONE} is {name:?}, not an IANA time zone"),
            }),
        }
    }

    /// Where `function`'s alias points, among its published versions.
    pub async fn live_version(&self, function: Function) -> Result<LiveVersion, OpsError> {
        let name = self.function_name(function)?;
        let live = self.alias_version(name).await?;
        let mut version = LiveVersion {
            function: name.to_owned(),
            live,
            published: Vec::new(),
            published_at: None,
            commit: None,
            commits: Default::default(),
        };
        let mut marker = None;
        loop {
            let page = self
                .lambda
                .list_versions_by_function()
                .function_name(name)
                .set_marker(marker)
                .send()
                .await
                .map_err(aws_failed("list the published versions"))?;
            for published in page.versions.unwrap_or_default() {
                version.add(&published);
            }
            marker = page.next_marker;
            if marker.is_none() {
                break;
            }
        }
        version.published.sort_unstable();
        Ok(version)
    }

    /// The version `name`'s alias points at.
    async fn alias_version(&self, name: &str) -> Result<u64, OpsError> {
        let alias = match self
            .lambda
            .get_alias()
            .function_name(name)
            .name(LIVE_ALIAS)
            .send()
            .await
        {
            Ok(alias) => alias,
            Err(e) if e.code() == Some("ResourceNotFoundException") => {
                return Err(OpsError::Usage(format!(
                    "{name} has no alias {LIVE_ALIAS} (not deployed, or deployed before \
                     aliases were): run make deploy STAGE={}",
                    self.stack.stage
                )));
            }
            Err(e) => return Err(aws_failed("read the live alias")(e)),
        };
        alias
            .function_version
            .as_deref()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| OpsError::Refused {
                step: "read the live alias",
                message: format!(
                    "{name}:{LIVE_ALIAS} points at {:?}, not a published version",
                    alias.function_version
                ),
            })
    }

    /// Moves `function`'s alias to the version published before the live one.
    pub async fn rollback(&self, function: Function) -> Result<Rollback, OpsError> {
        let current = self.live_version(function).await?;
        let to = current.previous().ok_or_else(|| {
            OpsError::Usage(format!(
                "{} has no version before {} to roll back to",
                current.function, current.live
            ))
        })?;
        self.lambda
            .update_alias()
            .function_name(&current.function)
            .name(LIVE_ALIAS)
            .function_version(to.to_string())
            .send()
            .await
            .map_err(aws_failed("move the live alias"))?;
        Ok(Rollback {
            from_commit: current.commit_of(current.live).to_owned(),
            to_commit: current.commit_of(to).to_owned(),
            function: current.function,
            from: current.live,
            to,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_version_is_the_highest_below_the_live_one() {
        let live = |live, published: &[u64]| LiveVersion {
            function: "f".into(),
            live,
            published: published.to_vec(),
            published_at: None,
            commit: None,
            commits: Default::default(),
        };
        assert_eq!(live(3, &[1, 2, 3]).previous(), Some(2));
        // After a rollback to 2, the next one goes to 1, not back to 3.
        assert_eq!(live(2, &[1, 2, 3]).previous(), Some(1));
        assert_eq!(live(5, &[1, 4, 5, 6]).previous(), Some(4));
        assert_eq!(live(1, &[1, 2]).previous(), None);
    }

    #[test]
    fn a_rollback_names_the_versions_and_commits_it_acts_on() {
        let version = |number: &str, commit: Option<&str>| {
            aws_sdk_lambda::types::FunctionConfiguration::builder()
                .version(number)
                .set_environment(commit.map(|c| {
                    aws_sdk_lambda::types::EnvironmentResponse::builder()
                        .variables(BUILD_COMMIT, c)
                        .build()
                }))
                .build()
        };
        let mut live = LiveVersion {
            function: "cv-analytics-dev-reporter".into(),
            live: 3,
            published: Vec::new(),
            published_at: None,
            commit: None,
            commits: Default::default(),
        };
        for v in [
            version("$LATEST", Some("c")),
            version("1", None),
            version("2", Some("aaa")),
            version("3", Some("bbb")),
        ] {
            live.add(&v);
        }
        assert_eq!(
            (live.commit.as_deref(), live.commit_of(2), live.commit_of(1)),
            (Some("bbb"), "aaa", "unknown")
        );
        let rollback = Rollback {
            function: live.function.clone(),
            from: 3,
            to: 2,
            from_commit: live.commit_of(3).into(),
            to_commit: live.commit_of(2).into(),
        };
        assert_eq!(
            rollback.to_string(),
            "cv-analytics-dev-reporter: alias live moved from version 3 (commit bbb) to 2 (commit aaa); make status shows it\n"
        );
    }
}
