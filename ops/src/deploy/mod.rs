//! The deployer's side of the command: what an administrator or the deploy runs to make, change
//! and remove a stage, with the SDKs (no AWS CLI, no text grepped for an error: each failure is
//! told apart by its error code).
//!
//! `stacks` applies and removes CloudFormation stacks; `deployer_role` is the administrator's
//! once-per-stage stack (the deployer's policies and its GitHub role); `destroy` removes a
//! stage; `import_table` brings a kept table into a new stack.
//!
//! The IAM test (`infrastructure/tests/test_deployer.py`) reads the SDK calls of this directory
//! as the deployer's, and those of the rest of the crate as the maintainer's.

mod deployer_role;
mod destroy;
mod import_table;
mod stacks;

use aws_config::SdkConfig;

pub use deployer_role::{DeployerRole, GitHubRole};
pub use destroy::Destroyed;
pub use import_table::Imported;

use crate::error::OpsError;

/// A stage to deploy, change or remove, and the clients that reach its region.
#[derive(Debug, Clone)]
pub struct Deployer {
    pub stage: String,
    pub region: String,
    cloudformation: aws_sdk_cloudformation::Client,
    lambda: aws_sdk_lambda::Client,
    sqs: aws_sdk_sqs::Client,
    dynamodb: aws_sdk_dynamodb::Client,
}

impl Deployer {
    /// The stage `stage` in the configuration's region.
    pub fn new(sdk: &SdkConfig, stage: &str) -> Result<Self, OpsError> {
        let region = crate::region_of(sdk)?;
        Ok(Self {
            stage: stage.to_owned(),
            region,
            cloudformation: aws_sdk_cloudformation::Client::new(sdk),
            lambda: aws_sdk_lambda::Client::new(sdk),
            sqs: aws_sdk_sqs::Client::new(sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
        })
    }

    /// The stage's stack, `cv-analytics-<stage>`.
    fn stack_name(&self) -> String {
        shared_types::stage::stack_name(&self.stage)
    }
}
