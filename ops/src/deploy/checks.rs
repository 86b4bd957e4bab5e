//! What a deploy refuses before it changes anything: a part deployed into a stage that does not
//! exist yet (or whose whole deploy never finished), a part that would change on its side only
//! what a stack and a function both hold ([`one_sided`]), and a stack created where a kept table
//! stands in its way.

use std::collections::HashMap;

use super::one_sided::one_sided;
use super::settings::Settings;
use super::stacks;
use super::{Deployer, Part};
use crate::error::{OpsError, aws_failed};
use crate::release::Function;

impl Deployer {
    /// A part deploys into a stage that exists: the stack for a function, and for the stacks
    /// alone, the functions too (the wiring points at their alias `live`); and changes nothing
    /// that a stack and a function both hold.
    pub(super) async fn refuse_missing(
        &self,
        part: Part,
        settings: &Settings,
    ) -> Result<(), OpsError> {
        let name = self.stack_name();
        let whole = format!("make deploy STAGE={}", self.stage);
        let Some(mut live) = stacks::parameters_of(&self.cloudformation, &name).await? else {
            return Err(OpsError::Usage(format!(
                "{name} does not exist in {}: deploy everything first ({whole})",
                self.region
            )));
        };
        if part == Part::Stack {
            for function in Function::ALL {
                let function_name =
                    shared_types::stage::function_name(&self.stage, &function.to_string());
                let alias = self
                    .lambda
                    .get_alias()
                    .function_name(&function_name)
                    .name(shared_types::stage::LIVE_ALIAS)
                    .send()
                    .await;
                match alias {
                    Ok(_) => {}
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|e| e.is_resource_not_found_exception()) =>
                    {
                        return Err(OpsError::Usage(format!(
                            "{function_name} has never been deployed (no alias live): make \
                             deploy-stack changes the stacks of a deployed stage; deploy \
                             everything first ({whole})"
                        )));
                    }
                    Err(e) => return Err(aws_failed("read the function's alias")(e)),
                }
            }
        }
        let wiring = shared_types::stage::wiring_stack_name(&self.stage);
        let Some(wiring_parameters) = stacks::parameters_of(&self.cloudformation, &wiring).await?
        else {
            return Err(OpsError::Usage(format!(
                "{wiring} does not exist in {}: the stage's whole deploy never finished; {whole}",
                self.region
            )));
        };
        live.extend(wiring_parameters);
        let live: HashMap<String, String> = live.into_iter().collect();
        let refused = one_sided(part, &self.stage, settings, &live);
        match refused.is_empty() {
            true => Ok(()),
            false => Err(OpsError::Usage(refused.join("\n"))),
        }
    }

    /// A prod table outlives a destroy (its DeletionPolicy). Creating the stack again would
    /// fail on "already exists" after minutes of rollback: what to do is said before that.
    pub(super) async fn refuse_retained_table(&self) -> Result<(), OpsError> {
        let stack = self.stack_name();
        if stacks::status(&self.cloudformation, &stack)
            .await?
            .is_some()
        {
            return Ok(());
        }
        let table = shared_types::stage::table_name(&self.stage);
        match self
            .dynamodb
            .describe_table()
            .table_name(&table)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                return Ok(());
            }
            Err(e) => return Err(aws_failed("look for a kept table")(e)),
        }
        let (region, stage) = (&self.region, &self.stage);
        Err(OpsError::Usage(format!(
            "The table {table} already exists in {region}, without its stack {stack}: an earlier
`make destroy STAGE={stage}` kept it, with its records. CloudFormation cannot create it again.
  - To keep the records: `make import-table STAGE={stage}` (brings the table into a new stack
    {stack}), then `make deploy STAGE={stage}` again.
  - To start with an empty table: back it up if you may want it
    (`aws dynamodb create-backup --region {region} --table-name {table} --backup-name {table}-kept`),
    then turn its deletion protection off and delete it
    (`aws dynamodb update-table --region {region} --table-name {table} --no-deletion-protection-enabled`,
    `aws dynamodb delete-table --region {region} --table-name {table}`), and deploy again."
        )))
    }
}
