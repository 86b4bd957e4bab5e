//! The deployed stage, found by its CloudFormation stack `cv-analytics-<stage>`: everything the
//! command touches is named by the stack's outputs, never by a guessed name.

use std::collections::HashMap;

use aws_sdk_cloudformation::Client;
use aws_sdk_cloudformation::error::ProvideErrorMetadata;

use crate::error::OpsError;

/// A deployed stage.
#[derive(Debug, Clone)]
pub struct Stack {
    pub stage: String,
    pub name: String,
    pub region: String,
    outputs: HashMap<String, String>,
    parameters: HashMap<String, String>,
}

impl Stack {
    /// Describes `cv-analytics-<stage>` in `region`.
    pub async fn find(client: &Client, stage: &str, region: &str) -> Result<Self, OpsError> {
        let name = shared_types::stage::stack_name(stage);
        let not_found = || OpsError::StackNotFound {
            stack: name.clone(),
            stage: stage.to_owned(),
            region: region.to_owned(),
        };
        let described = match client.describe_stacks().stack_name(&name).send().await {
            Ok(described) => described,
            Err(e) if e.message().is_some_and(|m| m.contains("does not exist")) => {
                return Err(not_found());
            }
            Err(e) => {
                return Err(OpsError::Aws {
                    step: "describe the stack",
                    message: format!(
                        "{name} in {region}: {}",
                        aws_sdk_cloudformation::error::DisplayErrorContext(&e)
                    ),
                    source: Box::new(e),
                });
            }
        };
        let stack = described
            .stacks
            .and_then(|s| s.into_iter().next())
            .ok_or_else(not_found)?;
        Ok(Self {
            stage: stage.to_owned(),
            name,
            region: region.to_owned(),
            outputs: stack
                .outputs
                .unwrap_or_default()
                .into_iter()
                .filter_map(|o| Some((o.output_key?, o.output_value?)))
                .collect(),
            parameters: stack
                .parameters
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| Some((p.parameter_key?, p.parameter_value?)))
                .collect(),
        })
    }

    /// An output of the stack, by key.
    pub fn output(&self, key: &'static str) -> Result<&str, OpsError> {
        self.outputs
            .get(key)
            .map(String::as_str)
            .ok_or_else(|| OpsError::MissingOutput {
                stack: self.name.clone(),
                stage: self.stage.clone(),
                output: key,
            })
    }

    /// A parameter the stack was deployed with.
    pub fn parameter(&self, key: &str) -> Option<&str> {
        self.parameters.get(key).map(String::as_str)
    }
}
