//! The two functions of a deploy: each one's settings (its environment) from the stack's
//! outputs and the stage's file; left alone when its live version already is what the deploy
//! would publish; otherwise given its role, deployed with `cargo lambda deploy` (which publishes
//! a version and moves the alias `live` to it; `retry` runs it again while Lambda answers what
//! passes by itself), and its Owner tag removed when the stage has none.

use std::collections::HashMap;
use std::path::Path;

use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
use shared_types::stage::{LIVE_ALIAS, output, setting};

use super::settings::Settings;
use super::{Deployer, Options};
use crate::error::{OpsError, aws_failed};
use crate::release::Function;
use crate::stack::Stack;

/// What a function is deployed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Wanted {
    pub(crate) name: String,
    pub(crate) role: String,
    pub(crate) memory: i32,
    pub(crate) timeout: i32,
    pub(crate) environment: Vec<(&'static str, String)>,
    pub(crate) tags: Vec<(&'static str, String)>,
}

/// The cost-allocation tags, on the functions as on every taggable resource of the stacks.
pub(crate) fn tags(stage: &str, owner: &str) -> Vec<(&'static str, String)> {
    let mut tags = vec![
        ("Project", "cv-analytics".to_owned()),
        ("Stage", stage.to_owned()),
    ];
    if !owner.is_empty() {
        tags.push(("Owner", owner.to_owned()));
    }
    tags
}

/// FUNCTION's environment: its settings from the stack's outputs and the stage's file, the
/// commit and the binary's sha256 (which the functions do not read; a version's configuration is
/// immutable, so they stay true after a rollback).
pub(crate) fn environment(
    function: Function,
    stack: &Stack,
    settings: &Settings,
    commit: &str,
    sha256: &str,
) -> Result<Vec<(&'static str, String)>, OpsError> {
    let from = |name: &'static str| (name, settings.get(name).to_owned());
    let mut environment = vec![(
        setting::TABLE_NAME,
        stack.output(output::TABLE_NAME)?.to_owned(),
    )];
    match function {
        Function::Processor => environment.extend([
            (
                setting::DEAD_LETTER_QUEUE_URL,
                stack.output(output::DEAD_LETTER_QUEUE_URL)?.to_owned(),
            ),
            (setting::STAGE, stack.stage.clone()),
            from(setting::RECORD_TTL_DAYS),
            from(setting::WRITE_CONCURRENCY),
        ]),
        Function::Reporter => {
            environment.extend([
                from(setting::REPORT_SENDER),
                from(setting::REPORT_RECIPIENTS),
                (setting::STAGE, stack.stage.clone()),
                from(setting::SEND_EMPTY_REPORT),
                from(setting::RECORD_TTL_DAYS),
                (
                    setting::WEEK_LOOKUP,
                    stack.output(output::WEEK_LOOKUP)?.to_owned(),
                ),
            ]);
            if !settings.get(setting::SES_CONFIGURATION_SET).is_empty() {
                environment.push(from(setting::SES_CONFIGURATION_SET));
            }
        }
    }
    environment.extend([
        from(setting::REPORT_TIMEZONE),
        (setting::BUILD_COMMIT, commit.to_owned()),
        ("BUILD_SHA256", sha256.to_owned()),
    ]);
    Ok(environment)
}

/// Whether the live version `live`, of a function tagged `live_tags`, already is what `wanted`
/// would publish: the same role, memory, timeout, environment (the binary's sha256 in it) and
/// tags. cargo-lambda publishes a version on every deploy (its zip holds the binary's
/// modification time, so Lambda never sees the same code twice): an unchanged function is left
/// alone instead, and a rollback never lands on a twin of the live version.
fn matches(
    wanted: &Wanted,
    live: &GetFunctionConfigurationOutput,
    live_tags: &HashMap<String, String>,
) -> bool {
    let variables = live
        .environment()
        .and_then(|e| e.variables())
        .cloned()
        .unwrap_or_default();
    let environment: HashMap<String, String> = wanted
        .environment
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    let tags: HashMap<String, String> = wanted
        .tags
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    live.role() == Some(wanted.role.as_str())
        && live.memory_size() == Some(wanted.memory)
        && live.timeout() == Some(wanted.timeout)
        && variables == environment
        && *live_tags == tags
}

/// A function's ARN without its version or alias (`arn:aws:lambda:<region>:<account>:function:
/// <name>`), which its tags are read by.
fn unqualified(arn: &str) -> String {
    arn.split(':').take(7).collect::<Vec<_>>().join(":")
}

impl Deployer {
    /// The live version of the function when it already is what `wanted` would publish.
    async fn unchanged_live_version(&self, wanted: &Wanted) -> Option<String> {
        let live = self
            .lambda
            .get_function_configuration()
            .function_name(&wanted.name)
            .qualifier(LIVE_ALIAS)
            .send()
            .await
            .ok()?;
        let arn = unqualified(live.function_arn()?);
        let tags = self.lambda.list_tags().resource(arn).send().await.ok()?;
        let tags = tags.tags.unwrap_or_default();
        if !matches(wanted, &live, &tags) {
            return None;
        }
        let alias = self
            .lambda
            .get_alias()
            .function_name(&wanted.name)
            .name(LIVE_ALIAS)
            .send()
            .await
            .ok()?;
        alias.function_version().map(str::to_owned)
    }

    /// Deploys the function as `wanted`, unless its live version already is that.
    pub(crate) async fn deploy_function(
        &self,
        wanted: &Wanted,
        binary: &[String],
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let name = &wanted.name;
        if let Some(version) = self.unchanged_live_version(wanted).await {
            say(format!(
                "{name}: its live version {version} already runs this binary with these \
                 settings; no version published"
            ));
            return Ok(());
        }
        self.apply_role(wanted, options, say).await?;
        let env_file = tempfile::NamedTempFile::new().map_err(|e| OpsError::Refused {
            step: "write the function's settings",
            message: e.to_string(),
        })?;
        // `--env-var` splits its value on commas (the recipient list is comma-separated): a file.
        let text: String = wanted
            .environment
            .iter()
            .map(|(k, v)| format!("{k}={v}\n"))
            .collect();
        std::fs::write(env_file.path(), text).map_err(|e| OpsError::Refused {
            step: "write the function's settings",
            message: e.to_string(),
        })?;
        let mut command = vec!["lambda".to_owned(), "deploy".to_owned()];
        command.extend(["--region".to_owned(), self.region.clone()]);
        command.extend(binary.iter().cloned());
        command.extend(["--iam-role".to_owned(), wanted.role.clone()]);
        command.extend(["--alias".to_owned(), LIVE_ALIAS.to_owned()]);
        for (key, value) in &wanted.tags {
            command.extend(["--tag".to_owned(), format!("{key}={value}")]);
        }
        command.extend(["--memory".to_owned(), wanted.memory.to_string()]);
        command.extend(["--timeout".to_owned(), wanted.timeout.to_string()]);
        command.extend([
            "--env-file".to_owned(),
            env_file.path().display().to_string(),
        ]);
        command.push(name.clone());
        self.with_deploy_retry(name, options, say, || super::run("cargo", &command))
            .await?;
        if !wanted.tags.iter().any(|(k, _)| *k == "Owner") {
            self.drop_owner_tag(name, say).await?;
        }
        Ok(())
    }

    /// Gives an existing function the role it is deployed with, before the deploy, so that the
    /// version published runs with it. cargo-lambda 1.9.2 sends its --iam-role for a function
    /// that exists only inside the UpdateFunctionConfiguration it makes when another setting
    /// differs (memory, timeout, layers, environment, tracing, VPC;
    /// crates/cargo-lambda-deploy/src/functions.rs, update_function_config): a role that
    /// changes alone would stay as it was. Nothing to do for a function not created yet, or one
    /// with that role already.
    async fn apply_role(
        &self,
        wanted: &Wanted,
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let name = &wanted.name;
        let current = match self
            .lambda
            .get_function_configuration()
            .function_name(name)
            .send()
            .await
        {
            Ok(configuration) => configuration.role().unwrap_or_default().to_owned(),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(());
            }
            Err(e) => return Err(aws_failed("read the function's role")(e)),
        };
        if current == wanted.role {
            return Ok(());
        }
        say(format!("{name}: role {current} becomes {}", wanted.role));
        self.wait_for_function(name, options, say).await?;
        self.lambda
            .update_function_configuration()
            .function_name(name)
            .role(&wanted.role)
            .send()
            .await
            .map_err(aws_failed("give the function its role"))?;
        self.wait_for_function(name, options, say).await
    }

    /// Removes the function's Owner tag when the stage has no OWNER: cargo-lambda adds the tags
    /// it is given and never removes one.
    async fn drop_owner_tag(
        &self,
        name: &str,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let function = self
            .lambda
            .get_function()
            .function_name(name)
            .send()
            .await
            .map_err(aws_failed("read the function"))?;
        let Some(arn) = function.configuration().and_then(|c| c.function_arn()) else {
            return Ok(());
        };
        let tags = self
            .lambda
            .list_tags()
            .resource(arn)
            .send()
            .await
            .map_err(aws_failed("read the function's tags"))?;
        if tags.tags().is_some_and(|t| t.contains_key("Owner")) {
            say(format!("{name}: OWNER is not set; removing its Owner tag"));
            self.lambda
                .untag_resource()
                .resource(arn)
                .tag_keys("Owner")
                .send()
                .await
                .map_err(aws_failed("remove the function's Owner tag"))?;
        }
        Ok(())
    }
}

/// The sha256 of the file at `path`, in hex.
pub(crate) fn sha256(path: &Path) -> Result<String, OpsError> {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(path).map_err(|e| OpsError::Refused {
        step: "read the function's binary",
        message: format!("{}: {e}", path.display()),
    })?;
    Ok(Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::Client;
    use aws_sdk_lambda::error::ErrorMetadata;
    use aws_sdk_lambda::operation::get_function::GetFunctionOutput;
    use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationError;
    use aws_sdk_lambda::operation::list_tags::ListTagsOutput;
    use aws_sdk_lambda::operation::untag_resource::UntagResourceOutput;
    use aws_sdk_lambda::operation::update_function_configuration::UpdateFunctionConfigurationOutput;
    use aws_sdk_lambda::types::error::ResourceNotFoundException;
    use aws_sdk_lambda::types::{FunctionConfiguration, LastUpdateStatus};
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::deploy::test_support::{deployer, state};

    fn wanted(role: &str) -> Wanted {
        Wanted {
            name: "fn".into(),
            role: role.into(),
            memory: 128,
            timeout: 30,
            environment: vec![("TABLE_NAME", "t".into())],
            tags: tags("dev", "alice"),
        }
    }

    #[tokio::test]
    async fn a_new_role_is_applied_to_latest_before_the_deploy_and_waited_for() {
        let read = mock!(Client::get_function_configuration)
            .then_output(|| state(LastUpdateStatus::Successful));
        let updated = mock!(Client::update_function_configuration)
            .match_requests(|r| r.role() == Some("arn:aws:iam::1:role/new"))
            .then_output(|| UpdateFunctionConfigurationOutput::builder().build());
        let deployer = deployer(&[&read, &updated]);
        let options = Options::for_tests();
        let mut said = Vec::new();
        deployer
            .apply_role(&wanted("arn:aws:iam::1:role/new"), &options, &mut |l| {
                said.push(l)
            })
            .await
            .unwrap();
        // Read the role, wait, update, wait.
        assert_eq!((read.num_calls(), updated.num_calls()), (3, 1));
        assert_eq!(
            said,
            ["fn: role arn:aws:iam::1:role/old becomes arn:aws:iam::1:role/new"]
        );
        deployer
            .apply_role(&wanted("arn:aws:iam::1:role/old"), &options, &mut |_| {})
            .await
            .unwrap();
        assert_eq!(updated.num_calls(), 1, "the same role: no update");
    }

    #[tokio::test]
    async fn a_function_not_created_yet_has_no_role_to_apply_and_any_other_error_stops() {
        let missing = mock!(Client::get_function_configuration).then_error(|| {
            GetFunctionConfigurationError::ResourceNotFoundException(
                ResourceNotFoundException::builder()
                    .message("Function not found")
                    .build(),
            )
        });
        let options = Options::for_tests();
        let deployer = deployer(&[&missing]);
        assert!(
            deployer
                .apply_role(&wanted("r"), &options, &mut |_| {})
                .await
                .is_ok()
        );
        let denied = mock!(Client::get_function_configuration).then_error(|| {
            GetFunctionConfigurationError::generic(
                ErrorMetadata::builder()
                    .code("AccessDeniedException")
                    .message("no")
                    .build(),
            )
        });
        let deployer = self::deployer(&[&denied]);
        let refused = deployer
            .apply_role(&wanted("r"), &options, &mut |_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.contains("AccessDeniedException"), "{refused}");
    }

    #[tokio::test]
    async fn the_owner_tag_goes_when_the_stage_has_no_owner() {
        let function = mock!(Client::get_function).then_output(|| {
            GetFunctionOutput::builder()
                .configuration(
                    FunctionConfiguration::builder()
                        .function_arn("arn:aws:lambda:eu-west-2:1:function:fn")
                        .build(),
                )
                .build()
        });
        let tagged = mock!(Client::list_tags).then_output(|| {
            ListTagsOutput::builder()
                .tags("Owner", "alice")
                .tags("Stage", "dev")
                .build()
        });
        let untagged = mock!(Client::untag_resource)
            .match_requests(|r| {
                r.resource() == Some("arn:aws:lambda:eu-west-2:1:function:fn")
                    && r.tag_keys() == ["Owner".to_owned()]
            })
            .then_output(|| UntagResourceOutput::builder().build());
        let deployer = deployer(&[&function, &tagged, &untagged]);
        deployer.drop_owner_tag("fn", &mut |_| {}).await.unwrap();
        assert_eq!(untagged.num_calls(), 1);
        let no_owner = mock!(Client::list_tags)
            .then_output(|| ListTagsOutput::builder().tags("Stage", "dev").build());
        let deployer = self::deployer(&[&function, &no_owner, &untagged]);
        deployer.drop_owner_tag("fn", &mut |_| {}).await.unwrap();
        assert_eq!(untagged.num_calls(), 1, "no Owner tag: nothing removed");
    }

    #[test]
    fn a_functions_tags_are_read_by_its_unqualified_arn() {
        let function = "arn:aws:lambda:eu-west-2:1:function:cv-analytics-dev-processor";
        assert_eq!(unqualified(&format!("{function}:7")), function);
        assert_eq!(unqualified(&format!("{function}:live")), function);
        assert_eq!(unqualified(function), function);
    }

    #[test]
    fn a_live_version_with_the_same_binary_settings_role_and_tags_is_not_deployed_again() {
        let wanted = wanted("arn:aws:iam::1:role/p");
        let live = |memory: i32, sha: &str| {
            GetFunctionConfigurationOutput::builder()
                .role("arn:aws:iam::1:role/p")
                .memory_size(memory)
                .timeout(30)
                .environment(
                    aws_sdk_lambda::types::EnvironmentResponse::builder()
                        .variables("TABLE_NAME", sha)
                        .build(),
                )
                .build()
        };
        let tags: HashMap<String, String> = wanted
            .tags
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect();
        assert!(matches(&wanted, &live(128, "t"), &tags));
        assert!(
            !matches(&wanted, &live(256, "t"), &tags),
            "another memory size"
        );
        assert!(
            !matches(&wanted, &live(128, "other"), &tags),
            "another environment (binary)"
        );
        let mut other_tags = tags.clone();
        other_tags.remove("Owner");
        assert!(
            !matches(&wanted, &live(128, "t"), &other_tags),
            "other tags"
        );
    }
}
