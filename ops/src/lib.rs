//! The maintainer command's logic, for a deployed stage found by its stack's outputs: the
//! [`Operations`] of a [`Stack`], a method and a result for each command, each result with its
//! JSON (`Serialize`) and its text (`Display`).
//!
//! Inside, a module a command: `status` (the daily look: queues, dead letters, requests per
//! week, the last report), `dlq` (the dead-letter queue: look, show, redrive, send first then
//! delete), `backfill` (the deployed reporter, invoked for a range of weeks), `release` (which
//! version of each function is live, and the rollback), `verify` (a canary question and answer
//! through the deployed stage) with `email` (whether SES will send the weekly email); and
//! `stack` (the stage's CloudFormation stack, its outputs and parameters) and `error`.
//!
//! `deploy` is the deployer's side: the [`Deployer`] of a stage makes its deployer's stack,
//! removes the stage and imports a kept table.

mod backfill;
mod deploy;
mod dlq;
mod email;
mod error;
mod release;
mod stack;
mod status;
mod verify;

use aws_config::SdkConfig;
use shared_types::stage::output;

pub use backfill::{Backfilled, weeks};
pub use deploy::{Deployer, DeployerRole, Destroyed, GitHubRole, Imported, Options, Part};
pub use dlq::{DeadLetter, DeadLetters, Peek, RedriveReport};
pub use email::{Account, ConfigurationSet, EmailReadiness, Verified};
pub use error::OpsError;
pub use release::{Function, LiveVersion, Rollback};
pub use stack::Stack;
pub use status::{
    DeadLetterStatus, Depth, FunctionStatus, OldestDeadLetter, SentReport, Status, WeekCount,
};
pub use verify::{Canary, Checked};

/// The configuration's region, the SDK's own rule: AWS_REGION, then AWS_DEFAULT_REGION, then
/// the profile's.
fn region_of(sdk: &SdkConfig) -> Result<String, OpsError> {
    let profile = std::env::var("AWS_PROFILE")
        .map(|p| format!(" --profile {p}"))
        .unwrap_or_default();
    sdk.region().map(ToString::to_string).ok_or_else(|| {
        OpsError::Usage(format!(
            "no AWS region: set AWS_REGION (or AWS_DEFAULT_REGION), give the profile one with \
             `aws configure set region <region>{profile}`, or pass --region"
        ))
    })
}

/// A deployed stage and the clients that reach it.
#[derive(Debug, Clone)]
pub struct Operations {
    pub stack: Stack,
    pub sqs: aws_sdk_sqs::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub ses: aws_sdk_sesv2::Client,
}

impl Operations {
    /// Finds `stage`'s stack in the configuration's region.
    pub async fn connect(sdk: &SdkConfig, stage: &str) -> Result<Self, OpsError> {
        let region = region_of(sdk)?;
        let cloudformation = aws_sdk_cloudformation::Client::new(sdk);
        let stack = Stack::find(&cloudformation, stage, &region).await?;
        Ok(Self::with_clients(stack, sdk))
    }

    /// The stage of `stack`, reached with clients built from `sdk`.
    pub fn with_clients(stack: Stack, sdk: &SdkConfig) -> Self {
        Self {
            stack,
            sqs: aws_sdk_sqs::Client::new(sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(sdk),
            lambda: aws_sdk_lambda::Client::new(sdk),
            ses: aws_sdk_sesv2::Client::new(sdk),
        }
    }

    /// The stage's dead-letter queue, draining into its event queue.
    pub fn dead_letters(&self) -> Result<DeadLetters, OpsError> {
        Ok(DeadLetters::new(
            self.sqs.clone(),
            self.stack.output(output::DEAD_LETTER_QUEUE_URL)?,
            self.stack.output(output::QUEUE_URL)?,
        ))
    }
}
