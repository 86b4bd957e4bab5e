//! `cv-analytics deployer-role`: the deployer of a stage, made once by an administrator (and
//! again after `infrastructure/deployer.yaml` changes): the stack `cv-analytics-<stage>-deployer`
//! with the deployer's two managed policies and, for a GitHub repository, the role the deploy
//! workflow assumes.

use std::fmt;

use serde::Serialize;

use super::Deployer;
use super::stacks::{self, Template};
use crate::error::OpsError;

const TEMPLATE: &str = include_str!("../../../infrastructure/deployer.yaml");

/// The GitHub repository whose deploy workflow may assume the deployer's role.
#[derive(Debug, Clone)]
pub struct GitHubRole {
    /// `owner/name`, as GitHub spells it.
    pub repository: String,
    /// Whether this stack creates the account's OIDC provider for GitHub (the first stage's
    /// deployer does; an account holds one).
    pub create_oidc_provider: bool,
}

/// The deployer's stack, applied.
#[derive(Debug, Serialize)]
pub struct DeployerRole {
    pub stack: String,
    /// The stack's outputs (the policies' ARNs, the GitHub role's), by key.
    pub outputs: Vec<(String, String)>,
}

impl Deployer {
    /// Applies the deployer's stack of the stage: its policies, and the role of `github`.
    pub async fn deployer_role(
        &self,
        github: Option<&GitHubRole>,
        owner: &str,
        say: &mut dyn FnMut(String),
    ) -> Result<DeployerRole, OpsError> {
        let name = shared_types::stage::deployer_stack_name(&self.stage);
        let template = Template {
            name: name.clone(),
            body: TEMPLATE,
            parameters: vec![
                ("Stage", self.stage.clone()),
                (
                    "GitHubRepository",
                    github.map(|g| g.repository.clone()).unwrap_or_default(),
                ),
                (
                    "CreateGitHubOidcProvider",
                    github.is_none_or(|g| g.create_oidc_provider).to_string(),
                ),
                ("Owner", owner.to_owned()),
            ],
        };
        stacks::apply(&self.cloudformation, &template, say).await?;
        Ok(DeployerRole {
            outputs: stacks::outputs(&self.cloudformation, &name).await?,
            stack: name,
        })
    }
}

impl fmt::Display for DeployerRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.outputs {
            writeln!(f, "{key:<28} {value}")?;
        }
        Ok(())
    }
}
