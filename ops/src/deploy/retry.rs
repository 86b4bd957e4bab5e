//! `cargo lambda deploy` of one function, again while Lambda answers what passes by itself: a
//! role not assumable yet (with backoff), an update of the function still in progress (once
//! $LATEST is ready). Before each attempt, $LATEST is waited for.

use std::time::Duration;

use aws_sdk_lambda::types::LastUpdateStatus;

use super::{Deployer, Options};
use crate::error::{OpsError, aws_failed};

/// How many times `cargo lambda deploy` runs at most for one function.
const ATTEMPTS: u32 = 6;
/// What a failed `cargo lambda deploy` says, by what passes by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// IAM is eventually consistent: a role the stack created a moment ago is not usable by
    /// Lambda for some seconds; retried with backoff.
    RoleNotAssumable,
    /// The function's previous update has not finished (ResourceConflictException); retried once
    /// $LATEST is ready. cargo-lambda waits on the alias it moves, a published version that is
    /// always ready, so its next call can meet $LATEST still updating.
    UpdateInProgress,
    Other,
}

/// cargo-lambda reports Lambda's errors as text only (its exit status is 1 for every failure):
/// Lambda's own messages for the two failures that pass by themselves.
fn failure(output: &str) -> Failure {
    if output.contains("cannot be assumed") {
        Failure::RoleNotAssumable
    } else if output.contains("update is in progress") {
        Failure::UpdateInProgress
    } else {
        Failure::Other
    }
}

impl Deployer {
    /// Runs `deploy` (which creates or updates the function `name`), again while Lambda
    /// answers what passes by itself ([`Failure`]); anything else ends at once. Safe to run
    /// again: cargo-lambda updates what differs and publishes a version.
    pub(super) async fn with_deploy_retry(
        &self,
        name: &str,
        options: &Options,
        say: &mut dyn FnMut(String),
        mut deploy: impl FnMut() -> Result<String, String>,
    ) -> Result<(), OpsError> {
        let mut delay = options.role_retry_delay;
        for attempt in 1..=ATTEMPTS {
            self.wait_for_function(name, options, say).await?;
            let output = match deploy() {
                Ok(output) => {
                    say_output(say, &output);
                    return Ok(());
                }
                Err(output) => output,
            };
            say_output(say, &output);
            let retries = ATTEMPTS - 1;
            match failure(&output) {
                _ if attempt == ATTEMPTS => {}
                Failure::RoleNotAssumable => {
                    say(format!(
                        "the new role is not assumable by Lambda yet (IAM is eventually \
                         consistent); trying again in {}s ({attempt} of {retries} retries)",
                        delay.as_secs()
                    ));
                    tokio::time::sleep(delay).await;
                    delay *= 2;
                    continue;
                }
                Failure::UpdateInProgress => {
                    say(format!(
                        "{name}: an update of the function is still in progress; trying again \
                         once it is done ({attempt} of {retries} retries)"
                    ));
                    continue;
                }
                Failure::Other => {}
            }
            let mut message = format!("cargo lambda deploy of {name} failed");
            if failure(&output) == Failure::UpdateInProgress {
                message = format!(
                    "{name}: Lambda kept answering that an update is in progress; its \
                     configuration may be updated without a new version: run the deploy again \
                     (it updates what differs and publishes)"
                );
            }
            return Err(OpsError::Refused {
                step: "deploy the function",
                message,
            });
        }
        Ok(())
    }

    /// Waits until the function's $LATEST has no update in progress, at most
    /// `options.update_wait`; a function not created yet has nothing to wait for. A failed last
    /// update is said, with Lambda's reason, and not waited for: Lambda keeps that status until
    /// the next update succeeds, which the deploy is.
    pub(super) async fn wait_for_function(
        &self,
        name: &str,
        options: &Options,
        say: &mut dyn FnMut(String),
    ) -> Result<(), OpsError> {
        let mut waited = Duration::ZERO;
        loop {
            let configuration = match self
                .lambda
                .get_function_configuration()
                .function_name(name)
                .send()
                .await
            {
                Ok(configuration) => configuration,
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|e| e.is_resource_not_found_exception()) =>
                {
                    return Ok(());
                }
                Err(e) => return Err(aws_failed("read the function's state")(e)),
            };
            match configuration.last_update_status() {
                Some(LastUpdateStatus::InProgress) => {}
                Some(LastUpdateStatus::Failed) => {
                    say(format!(
                        "{name}: its last update failed ({}); this deploy updates it again",
                        configuration
                            .last_update_status_reason()
                            .unwrap_or("no reason given")
                    ));
                    return Ok(());
                }
                _ => return Ok(()),
            }
            if waited >= options.update_wait {
                return Err(OpsError::Refused {
                    step: "wait for the function",
                    message: format!(
                        "{name}: still updating after {}s; run the deploy again once `aws lambda \
                         get-function-configuration --function-name {name}` shows \
                         LastUpdateStatus Successful",
                        options.update_wait.as_secs()
                    ),
                });
            }
            tokio::time::sleep(options.update_poll).await;
            waited += options.update_poll.max(Duration::from_millis(1));
        }
    }
}

/// A command's output, as it printed it.
fn say_output(say: &mut dyn FnMut(String), output: &str) {
    let output = output.trim_end();
    if !output.is_empty() {
        say(output.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use aws_sdk_lambda::Client;
    use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
    use aws_smithy_mocks::mock;

    use super::*;
    use crate::deploy::test_support::{deployer, state};

    const CONFLICT: &str = "ResourceConflictException: The operation cannot be performed at this \
        time. An update is in progress for resource: arn:aws:lambda:eu-west-2:1:function:fn";
    const NOT_ASSUMABLE: &str = "InvalidParameterValueException: The role defined for the \
        function cannot be assumed by Lambda.";

    /// A deploy that fails `failures` times with `message`, then works; its calls counted.
    fn failing(
        calls: &Cell<u32>,
        failures: u32,
        message: &str,
    ) -> impl FnMut() -> Result<String, String> {
        move || {
            calls.set(calls.get() + 1);
            match calls.get() <= failures {
                true => Err(format!("Error: {message}")),
                false => Ok("deployed".to_owned()),
            }
        }
    }

    #[tokio::test]
    async fn a_role_not_assumable_yet_is_deployed_again_until_it_works() {
        let ready = mock!(Client::get_function_configuration)
            .then_output(|| state(LastUpdateStatus::Successful));
        let deployer = deployer(&[&ready]);
        let (calls, mut said) = (Cell::new(0), Vec::new());
        let deploy = failing(&calls, 3, NOT_ASSUMABLE);
        let options = Options::for_tests();
        deployer
            .with_deploy_retry("fn", &options, &mut |l| said.push(l), deploy)
            .await
            .unwrap();
        assert_eq!(calls.get(), 4);
        assert_eq!(
            said.iter()
                .filter(|l| l.contains("not assumable by Lambda yet"))
                .count(),
            3
        );
    }

    #[tokio::test]
    async fn an_update_in_progress_is_waited_out_on_latest_and_the_deploy_finishes() {
        // $LATEST is still updating before the first attempt and between the next two.
        let statuses = mock!(Client::get_function_configuration)
            .match_requests(|r| r.function_name() == Some("fn") && r.qualifier().is_none())
            .sequence()
            .output(|| state(LastUpdateStatus::InProgress))
            .times(2)
            .output(|| state(LastUpdateStatus::Successful))
            .output(|| state(LastUpdateStatus::InProgress))
            .output(|| state(LastUpdateStatus::Successful))
            .repeatedly()
            .build();
        let deployer = deployer(&[&statuses]);
        let (calls, mut said) = (Cell::new(0), Vec::new());
        let options = Options::for_tests();
        deployer
            .with_deploy_retry(
                "fn",
                &options,
                &mut |l| said.push(l),
                failing(&calls, 2, CONFLICT),
            )
            .await
            .unwrap();
        assert_eq!(calls.get(), 3);
        assert_eq!(
            said.iter()
                .filter(|l| l.contains("still in progress"))
                .count(),
            2
        );
        // Each attempt waited until $LATEST was no longer InProgress.
        assert_eq!(statuses.num_calls(), 6);

        let calls = Cell::new(0);
        let refused = deployer
            .with_deploy_retry("fn", &options, &mut |_| {}, failing(&calls, 99, CONFLICT))
            .await
            .unwrap_err()
            .to_string();
        assert_eq!(calls.get(), ATTEMPTS);
        assert!(refused.contains("run the deploy again"), "{refused}");
    }

    #[tokio::test]
    async fn a_failed_last_update_is_said_and_deployed_over() {
        // Lambda keeps Failed until an update succeeds: the deploy is that update.
        let failed = mock!(Client::get_function_configuration).then_output(|| {
            GetFunctionConfigurationOutput::builder()
                .last_update_status(LastUpdateStatus::Failed)
                .last_update_status_reason(
                    "The role defined for the function cannot be assumed by Lambda.",
                )
                .build()
        });
        let deployer = deployer(&[&failed]);
        let (calls, mut said) = (Cell::new(0), Vec::new());
        let options = Options::for_tests();
        deployer
            .with_deploy_retry(
                "fn",
                &options,
                &mut |l| said.push(l),
                failing(&calls, 0, ""),
            )
            .await
            .unwrap();
        assert_eq!(calls.get(), 1);
        assert!(
            said[0].starts_with("fn: its last update failed (The role defined"),
            "{said:?}"
        );
    }

    #[tokio::test]
    async fn other_errors_and_too_many_retries_stop() {
        let ready = mock!(Client::get_function_configuration)
            .then_output(|| state(LastUpdateStatus::Successful));
        let deployer = deployer(&[&ready]);
        let options = Options::for_tests();
        let calls = Cell::new(0);
        let denied = failing(&calls, 9, "AccessDeniedException: no");
        assert!(
            deployer
                .with_deploy_retry("fn", &options, &mut |_| {}, denied)
                .await
                .is_err()
        );
        assert_eq!(calls.get(), 1);
        let calls = Cell::new(0);
        let never = failing(&calls, 99, NOT_ASSUMABLE);
        assert!(
            deployer
                .with_deploy_retry("fn", &options, &mut |_| {}, never)
                .await
                .is_err()
        );
        assert_eq!(calls.get(), ATTEMPTS);
    }

    #[test]
    fn cargo_lambdas_failures_are_read_by_lambdas_messages() {
        assert_eq!(failure(NOT_ASSUMABLE), Failure::RoleNotAssumable);
        assert_eq!(failure(CONFLICT), Failure::UpdateInProgress);
        assert_eq!(failure("AccessDeniedException: no"), Failure::Other);
    }
}
