//! The CloudFormation stacks a deploy applies and removes: created, updated ("no updates" is not
//! an error) or, after a first creation that rolled back, deleted and created again; waited for
//! with the SDK's waiters; and a failure shown with CloudFormation's own reasons for it.

use std::time::Duration;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::client::Waiters;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;
use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};

use crate::error::{OpsError, aws_failed};

/// The longest a deploy waits for one stack operation: CloudFormation's own limit for most
/// resources is an hour.
pub(super) const MAX_WAIT: Duration = Duration::from_secs(3600);

/// A template and the parameters it is applied with, as stack `name`.
#[derive(Debug, Clone)]
pub(crate) struct Template<'a> {
    pub(crate) name: String,
    pub(crate) body: &'a str,
    pub(crate) parameters: Vec<(&'static str, String)>,
}

/// What applying a template did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Applied {
    Created,
    Updated,
    Unchanged,
}

/// Whether a CloudFormation error says the stack does not exist: a `ValidationError` whose
/// message says so (CloudFormation has no error code of its own for it).
fn is_missing<E: ProvideErrorMetadata>(error: &E) -> bool {
    error.code() == Some("ValidationError")
        && error
            .message()
            .is_some_and(|m| m.contains("does not exist"))
}

/// Whether an UpdateStack error says the template and parameters are those deployed.
fn is_unchanged<E: ProvideErrorMetadata>(error: &E) -> bool {
    error.code() == Some("ValidationError")
        && error
            .message()
            .is_some_and(|m| m.contains("No updates are to be performed"))
}

/// The status of stack `name`, or `None` when there is no such stack.
pub(crate) async fn status(client: &Client, name: &str) -> Result<Option<StackStatus>, OpsError> {
    match client.describe_stacks().stack_name(name).send().await {
        Ok(described) => Ok(described
            .stacks
            .and_then(|s| s.into_iter().next())
            .and_then(|s| s.stack_status)),
        Err(e) if e.as_service_error().is_some_and(is_missing) => Ok(None),
        Err(e) => Err(aws_failed("describe the stack")(e)),
    }
}

/// CloudFormation's reasons for the failures of the stack's last operation, newest first: its
/// failed events back to where that operation began (the stack's own CREATE_IN_PROGRESS or
/// UPDATE_IN_PROGRESS, IMPORT_IN_PROGRESS or DELETE_IN_PROGRESS), so that no earlier failure is shown as this one's.
pub(crate) async fn failure_reasons(client: &Client, name: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    let mut pages = client
        .describe_stack_events()
        .stack_name(name)
        .into_paginator()
        .items()
        .send();
    while let Some(event) = pages.next().await {
        let event = match event {
            Ok(event) => event,
            Err(e) => {
                reasons.push(format!(
                    "(could not read the stack's events: {})",
                    aws_sdk_cloudformation::error::DisplayErrorContext(&e)
                ));
                break;
            }
        };
        let status = event.resource_status.as_ref().map(|s| s.as_str());
        let status = status.unwrap_or_default();
        if event.resource_type.as_deref() == Some("AWS::CloudFormation::Stack")
            && matches!(
                status,
                "CREATE_IN_PROGRESS"
                    | "UPDATE_IN_PROGRESS"
                    | "IMPORT_IN_PROGRESS"
                    | "DELETE_IN_PROGRESS"
            )
        {
            break;
        }
        if status.contains("FAILED") {
            reasons.push(format!(
                "{}: {}",
                event.logical_resource_id.unwrap_or_default(),
                event.resource_status_reason.unwrap_or_default()
            ));
        }
    }
    reasons
}

/// The error of a stack operation that ended other than as it should: the stack's status now,
/// and CloudFormation's reasons.
pub(super) async fn failed(client: &Client, name: &str, what: &str, next: &str) -> OpsError {
    let now = match status(client, name).await {
        Ok(Some(s)) => s.as_str().to_owned(),
        Ok(None) => "gone".to_owned(),
        Err(e) => e.to_string(),
    };
    let reasons = failure_reasons(client, name).await;
    let mut message = format!("{name}: {what} failed (the stack is {now})");
    if !reasons.is_empty() {
        message.push_str("; the events that say why:\n  ");
        message.push_str(&reasons.join("\n  "));
    }
    if !next.is_empty() {
        message.push('\n');
        message.push_str(next);
    }
    OpsError::Refused {
        step: "apply the stack",
        message,
    }
}

fn parameters(template: &Template<'_>) -> Vec<Parameter> {
    template
        .parameters
        .iter()
        .map(|(key, value)| {
            Parameter::builder()
                .parameter_key(*key)
                .parameter_value(value)
                .build()
        })
        .collect()
}

/// Creates the stack, or updates it, and waits for it. A stack whose first creation rolled back
/// (ROLLBACK_COMPLETE) cannot be updated, only deleted: it is deleted and created again.
/// (CreateStack and UpdateStack rather than a change set: moto leaves a change-set stack's
/// outputs empty.)
pub(crate) async fn apply(
    client: &Client,
    template: &Template<'_>,
    say: &mut dyn FnMut(String),
) -> Result<Applied, OpsError> {
    let name = template.name.as_str();
    let mut current = status(client, name).await?;
    if current == Some(StackStatus::RollbackComplete) {
        say(format!(
            "{name}: its first creation rolled back (ROLLBACK_COMPLETE), which CloudFormation \
             cannot update; deleting it to create it again"
        ));
        delete(client, name).await?;
        current = None;
    }
    let applied = if current.is_some() {
        update(client, template).await?
    } else {
        create(client, template).await?
    };
    say(match applied {
        Applied::Created => format!("{name}: CREATE_COMPLETE"),
        Applied::Updated => format!("{name}: UPDATE_COMPLETE"),
        Applied::Unchanged => format!("{name}: no changes"),
    });
    Ok(applied)
}

/// Updates an existing stack and waits for it; "no updates" is `Unchanged`.
async fn update(client: &Client, template: &Template<'_>) -> Result<Applied, OpsError> {
    let name = template.name.as_str();
    let updated = client
        .update_stack()
        .stack_name(name)
        .template_body(template.body)
        .set_parameters(Some(parameters(template)))
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await;
    match updated {
        Ok(_) => {}
        Err(e) if e.as_service_error().is_some_and(is_unchanged) => return Ok(Applied::Unchanged),
        Err(e) => return Err(aws_failed("update the stack")(e)),
    }
    let waited = client
        .wait_until_stack_update_complete()
        .stack_name(name)
        .wait(MAX_WAIT)
        .await;
    if waited.is_err() {
        return Err(failed(client, name, "the update", "").await);
    }
    Ok(Applied::Updated)
}

/// Creates the stack and waits for it.
async fn create(client: &Client, template: &Template<'_>) -> Result<Applied, OpsError> {
    let name = template.name.as_str();
    client
        .create_stack()
        .stack_name(name)
        .template_body(template.body)
        .set_parameters(Some(parameters(template)))
        .capabilities(Capability::CapabilityNamedIam)
        .send()
        .await
        .map_err(aws_failed("create the stack"))?;
    let waited = client
        .wait_until_stack_create_complete()
        .stack_name(name)
        .wait(MAX_WAIT)
        .await;
    if waited.is_err() {
        let next = "the next deploy deletes the rolled-back stack and creates it again";
        return Err(failed(client, name, "the creation", next).await);
    }
    Ok(Applied::Created)
}

/// Deletes stack `name` (nothing to do when there is none) and waits until it is gone.
pub(crate) async fn delete(client: &Client, name: &str) -> Result<(), OpsError> {
    client
        .delete_stack()
        .stack_name(name)
        .send()
        .await
        .map_err(aws_failed("delete the stack"))?;
    let waited = client
        .wait_until_stack_delete_complete()
        .stack_name(name)
        .wait(MAX_WAIT)
        .await;
    if waited.is_err() {
        return Err(failed(client, name, "the deletion", "").await);
    }
    Ok(())
}

/// The parameters stack `name` was applied with, or `None` when there is no such stack.
pub(crate) async fn parameters_of(
    client: &Client,
    name: &str,
) -> Result<Option<Vec<(String, String)>>, OpsError> {
    match client.describe_stacks().stack_name(name).send().await {
        Ok(described) => Ok(Some(
            described
                .stacks
                .and_then(|s| s.into_iter().next())
                .and_then(|s| s.parameters)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| Some((p.parameter_key?, p.parameter_value?)))
                .collect(),
        )),
        Err(e) if e.as_service_error().is_some_and(is_missing) => Ok(None),
        Err(e) => Err(aws_failed("describe the stack")(e)),
    }
}

/// The outputs of stack `name`, sorted by key.
pub(crate) async fn outputs(
    client: &Client,
    name: &str,
) -> Result<Vec<(String, String)>, OpsError> {
    let described = client
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .map_err(aws_failed("describe the stack"))?;
    let mut outputs: Vec<(String, String)> = described
        .stacks
        .and_then(|s| s.into_iter().next())
        .and_then(|s| s.outputs)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|o| Some((o.output_key?, o.output_value?)))
        .collect();
    outputs.sort();
    Ok(outputs)
}

#[cfg(test)]
mod tests {
    use aws_sdk_cloudformation::error::ErrorMetadata;
    use aws_sdk_cloudformation::operation::describe_stack_events::DescribeStackEventsOutput;
    use aws_sdk_cloudformation::operation::describe_stacks::{
        DescribeStacksError, DescribeStacksOutput,
    };
    use aws_sdk_cloudformation::operation::update_stack::{UpdateStackError, UpdateStackOutput};
    use aws_sdk_cloudformation::operation::{
        create_stack::CreateStackOutput, delete_stack::DeleteStackOutput,
    };
    use aws_sdk_cloudformation::types::{ResourceStatus, Stack, StackEvent};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    use super::*;

    fn validation(message: &str) -> UpdateStackError {
        UpdateStackError::generic(
            ErrorMetadata::builder()
                .code("ValidationError")
                .message(message)
                .build(),
        )
    }

    fn stack_in(status: StackStatus) -> DescribeStacksOutput {
        let stack = Stack::builder()
            .stack_name("cv-analytics-dev")
            .stack_status(status)
            .creation_time(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
            .build();
        DescribeStacksOutput::builder().stacks(stack).build()
    }

    fn template() -> Template<'static> {
        Template {
            name: "cv-analytics-dev".into(),
            body: "{}",
            parameters: vec![("Stage", "dev".into())],
        }
    }

    fn event(kind: &str, status: &str, id: &str, reason: &str) -> StackEvent {
        StackEvent::builder()
            .stack_id("id")
            .event_id(id)
            .stack_name("cv-analytics-dev")
            .timestamp(aws_sdk_cloudformation::primitives::DateTime::from_secs(0))
            .resource_type(kind)
            .resource_status(ResourceStatus::from(status))
            .logical_resource_id(id)
            .resource_status_reason(reason)
            .build()
    }

    #[test]
    fn cloudformations_validation_errors_are_told_apart_by_their_message() {
        let unchanged = validation("No updates are to be performed.");
        let missing = validation("Stack with id cv-analytics-dev does not exist");
        let other = validation("Template format error: unresolved resource dependencies");
        assert!(is_unchanged(&unchanged) && !is_missing(&unchanged));
        assert!(is_missing(&missing) && !is_unchanged(&missing));
        assert!(!is_missing(&other) && !is_unchanged(&other));
        let throttled = UpdateStackError::generic(
            ErrorMetadata::builder()
                .code("Throttling")
                .message("No updates are to be performed")
                .build(),
        );
        assert!(!is_unchanged(&throttled), "the code decides first");
    }

    #[tokio::test]
    async fn a_rolled_back_stack_is_deleted_and_created_again() {
        let described = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stack_in(StackStatus::RollbackComplete))
            .error(|| {
                DescribeStacksError::generic(
                    ErrorMetadata::builder()
                        .code("ValidationError")
                        .message("Stack with id cv-analytics-dev does not exist")
                        .build(),
                )
            })
            .output(|| stack_in(StackStatus::CreateComplete))
            .build();
        let deleted =
            mock!(Client::delete_stack).then_output(|| DeleteStackOutput::builder().build());
        let created =
            mock!(Client::create_stack).then_output(|| CreateStackOutput::builder().build());
        let client = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&described, &deleted, &created]
        );
        let mut said = Vec::new();
        let applied = apply(&client, &template(), &mut |l| said.push(l))
            .await
            .unwrap();
        assert_eq!(applied, Applied::Created);
        assert_eq!(
            (
                deleted.num_calls(),
                created.num_calls(),
                described.num_calls()
            ),
            (1, 1, 3)
        );
        assert!(said[0].contains("ROLLBACK_COMPLETE"), "{said:?}");
        assert_eq!(said[1], "cv-analytics-dev: CREATE_COMPLETE");
    }

    #[tokio::test]
    async fn a_failed_update_prints_the_reasons_of_this_update_only() {
        let described = mock!(Client::describe_stacks)
            .sequence()
            .output(|| stack_in(StackStatus::UpdateComplete))
            .output(|| stack_in(StackStatus::UpdateRollbackComplete))
            .repeatedly()
            .build();
        let updated =
            mock!(Client::update_stack).then_output(|| UpdateStackOutput::builder().build());
        let events = mock!(Client::describe_stack_events).then_output(|| {
            DescribeStackEventsOutput::builder()
                .stack_events(event(
                    "AWS::CloudFormation::Stack",
                    "UPDATE_ROLLBACK_COMPLETE",
                    "cv-analytics-dev",
                    "",
                ))
                .stack_events(event(
                    "AWS::SQS::Queue",
                    "UPDATE_FAILED",
                    "EventQueue",
                    "Invalid value for VisibilityTimeout",
                ))
                .stack_events(event(
                    "AWS::CloudFormation::Stack",
                    "UPDATE_IN_PROGRESS",
                    "cv-analytics-dev",
                    "User Initiated",
                ))
                .stack_events(event(
                    "AWS::DynamoDB::Table",
                    "CREATE_FAILED",
                    "RecordsTable",
                    "an older failure",
                ))
                .build()
        });
        let client = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&described, &updated, &events]
        );
        let failed = apply(&client, &template(), &mut |_| {})
            .await
            .unwrap_err()
            .to_string();
        assert!(
            failed.contains(
                "cv-analytics-dev: the update failed (the stack is UPDATE_ROLLBACK_COMPLETE); the \
                 events that say why:\n  EventQueue: Invalid value for VisibilityTimeout"
            ),
            "{failed}"
        );
        assert!(!failed.contains("older failure"), "{failed}");
    }

    #[tokio::test]
    async fn no_updates_to_perform_is_no_change() {
        let described =
            mock!(Client::describe_stacks).then_output(|| stack_in(StackStatus::UpdateComplete));
        let updated = mock!(Client::update_stack)
            .then_error(|| validation("No updates are to be performed."));
        let client = mock_client!(
            aws_sdk_cloudformation,
            RuleMode::MatchAny,
            [&described, &updated]
        );
        let mut said = Vec::new();
        let applied = apply(&client, &template(), &mut |l| said.push(l))
            .await
            .unwrap();
        assert_eq!(applied, Applied::Unchanged);
        assert_eq!(said, ["cv-analytics-dev: no changes"]);
    }
}
