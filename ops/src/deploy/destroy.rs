//! `cv-analytics destroy`: everything a deploy made for a stage, removed in the order that
//! leaves nothing pointing at what is gone: the wiring stack (the trigger and the schedule),
//! the two functions, then the stack. The prod table outlives it (its DeletionPolicy);
//! `cv-analytics import-table` brings it back into a new stack.

use shared_types::stage::output;
use std::fmt;

use aws_sdk_lambda::error::SdkError;
use aws_sdk_lambda::operation::delete_function::DeleteFunctionError;
use aws_sdk_sqs::types::QueueAttributeName;
use serde::Serialize;

use super::{Deployer, stacks};
use crate::error::{OpsError, aws_failed};
use crate::release::Function;

/// What a destroy removed.
#[derive(Debug, Serialize)]
pub struct Destroyed {
    pub stack: String,
    pub region: String,
    /// The messages the dead-letter queue held, deleted with the stack.
    pub dead_letters: u64,
    /// The functions deleted; a function that was not there is not among them.
    pub functions_deleted: Vec<String>,
    pub functions_missing: Vec<String>,
}

/// Whether deleting a function ended with it gone: deleted now (`true`), or not there; any
/// other failure stops the destroy.
fn function_gone(result: Result<(), SdkError<DeleteFunctionError>>) -> Result<bool, OpsError> {
    match result {
        Ok(()) => Ok(true),
        Err(e)
            if e.as_service_error()
                .is_some_and(DeleteFunctionError::is_resource_not_found_exception) =>
        {
            Ok(false)
        }
        Err(e) => Err(aws_failed("delete a function")(e)),
    }
}

impl Deployer {
    /// Removes the stage: the wiring stack, the functions, the stack.
    pub async fn destroy(&self, say: &mut dyn FnMut(String)) -> Result<Destroyed, OpsError> {
        let stack = self.stack_name();
        let dead_letters = self.dead_letters_held().await;
        if dead_letters > 0 {
            say(format!(
                "note: the dead-letter queue held {dead_letters} message(s), deleted with the \
                 stack (`make dlq STAGE={}` lists them before a destroy)",
                self.stage
            ));
        }
        let wiring = shared_types::stage::wiring_stack_name(&self.stage);
        stacks::delete(&self.cloudformation, &wiring).await?;
        let mut destroyed = Destroyed {
            stack: stack.clone(),
            region: self.region.clone(),
            dead_letters,
            functions_deleted: Vec::new(),
            functions_missing: Vec::new(),
        };
        for function in Function::ALL {
            let name = shared_types::stage::function_name(&self.stage, &function.to_string());
            let deleted = self
                .lambda
                .delete_function()
                .function_name(&name)
                .send()
                .await
                .map(drop);
            if function_gone(deleted)? {
                destroyed.functions_deleted.push(name);
            } else {
                say(format!("function {name} was not there"));
                destroyed.functions_missing.push(name);
            }
        }
        stacks::delete(&self.cloudformation, &stack).await?;
        Ok(destroyed)
    }

    /// The messages the stage's dead-letter queue holds; 0 when there is no stack or queue to
    /// ask (a destroy goes on whatever this finds).
    async fn dead_letters_held(&self) -> u64 {
        let Ok(outputs) = stacks::outputs(&self.cloudformation, &self.stack_name()).await else {
            return 0;
        };
        let Some((_, url)) = outputs
            .iter()
            .find(|(k, _)| k == output::DEAD_LETTER_QUEUE_URL)
        else {
            return 0;
        };
        let attributes = self
            .sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
            .send()
            .await;
        attributes
            .ok()
            .and_then(|a| a.attributes)
            .and_then(|a| {
                a.get(&QueueAttributeName::ApproximateNumberOfMessages)
                    .and_then(|n| n.parse().ok())
            })
            .unwrap_or(0)
    }
}

impl fmt::Display for Destroyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "removed {} from {}", self.stack, self.region)
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_lambda::config::http::HttpResponse;
    use aws_sdk_lambda::error::ErrorMetadata;
    use aws_sdk_lambda::primitives::SdkBody;
    use aws_sdk_lambda::types::error::ResourceNotFoundException;
    use aws_smithy_runtime_api::http::StatusCode;

    use super::*;

    fn answered(error: DeleteFunctionError) -> SdkError<DeleteFunctionError> {
        SdkError::service_error(
            error,
            HttpResponse::new(StatusCode::try_from(404).unwrap(), SdkBody::empty()),
        )
    }

    #[test]
    fn a_function_not_there_is_gone_and_any_other_failure_stops() {
        assert!(function_gone(Ok(())).unwrap());
        let missing = DeleteFunctionError::ResourceNotFoundException(
            ResourceNotFoundException::builder()
                .message("Function not found")
                .build(),
        );
        assert!(!function_gone(Err(answered(missing))).unwrap());
        let denied = DeleteFunctionError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: lambda:DeleteFunction")
                .build(),
        );
        let stopped = function_gone(Err(answered(denied)))
            .unwrap_err()
            .to_string();
        assert!(
            stopped.starts_with("delete a function: ") && stopped.contains("AccessDeniedException"),
            "{stopped}"
        );
    }
}
