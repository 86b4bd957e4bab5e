//! The deployer's side of the command: what an administrator or the deploy runs to make, change
//! and remove a stage, with the SDKs (no AWS CLI, no text grepped for an error: each failure is
//! told apart by its error code).
//!
//! `flow` is the deploy, whole or a part, with `settings` (the stage's committed file), `checks`
//! (what is refused before anything changes) and `one_sided` (what a part alone may not
//! change), `functions` (each function's settings and its `cargo lambda deploy`), `retry` (that
//! deploy again while Lambda answers what passes by itself) and `stacks` (CloudFormation stacks
//! applied and removed);
//! `deployer_role` is the administrator's once-per-stage stack (the deployer's policies and its
//! GitHub role); `destroy` removes a stage; `import_table` brings a kept table into a new stack.
//!
//! The IAM test (`infrastructure/tests/test_deployer.py`) reads the SDK calls of this directory
//! as the deployer's, and those of the rest of the crate as the maintainer's.

mod checks;
mod deployer_role;
mod destroy;
mod flow;
mod functions;
mod import_table;
mod one_sided;
mod retry;
mod settings;
mod stacks;

use std::fmt;
use std::process::Command;

use aws_config::SdkConfig;

pub use deployer_role::{DeployerRole, GitHubRole};
pub use destroy::Destroyed;
pub use flow::Options;
pub use import_table::Imported;

use crate::error::OpsError;

/// A stage to deploy, change or remove, and the clients that reach its region.
#[derive(Debug, Clone)]
pub struct Deployer {
    pub stage: String,
    pub region: String,
    sdk: SdkConfig,
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
            sdk: sdk.clone(),
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

#[cfg(test)]
impl Deployer {
    /// A deployer of dev in eu-west-2 whose Lambda is `lambda` (a mock).
    fn for_tests(lambda: aws_sdk_lambda::Client) -> Self {
        let sdk = SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("eu-west-2"))
            .build();
        Self {
            stage: "dev".into(),
            region: "eu-west-2".into(),
            cloudformation: aws_sdk_cloudformation::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sdk,
            lambda,
        }
    }
}

/// What the deploy's tests share: a deployer whose Lambda answers by `rules`, and the state of
/// a function as Lambda reads it.
#[cfg(test)]
pub(crate) mod test_support {
    use aws_sdk_lambda::operation::get_function_configuration::GetFunctionConfigurationOutput;
    use aws_sdk_lambda::types::LastUpdateStatus;
    use aws_smithy_mocks::{Rule, RuleMode, mock_client};

    use super::Deployer;

    pub(crate) fn deployer(rules: &[&Rule]) -> Deployer {
        Deployer::for_tests(mock_client!(aws_sdk_lambda, RuleMode::MatchAny, rules))
    }

    /// A function whose last update has `status`, with the role `old`.
    pub(crate) fn state(status: LastUpdateStatus) -> GetFunctionConfigurationOutput {
        GetFunctionConfigurationOutput::builder()
            .last_update_status(status)
            .role("arn:aws:iam::1:role/old")
            .build()
    }
}

/// What a deploy deploys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    /// The stacks and both functions.
    All,
    /// stack.yaml and wiring.yaml alone.
    Stack,
    Processor,
    Reporter,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::All => "all",
            Self::Stack => "stack",
            Self::Processor => "processor",
            Self::Reporter => "reporter",
        })
    }
}

/// Runs `program` with `args`: what it printed (stdout then stderr), as `Ok` when it succeeded.
fn run(program: &str, args: &[impl AsRef<std::ffi::OsStr>]) -> Result<String, String> {
    match Command::new(program).args(args).output() {
        Ok(output) => {
            let printed = format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            match output.status.success() {
                true => Ok(printed),
                false => Err(printed),
            }
        }
        Err(e) => Err(format!("{program}: {e}")),
    }
}
