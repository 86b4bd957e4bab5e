//! `cv-analytics import-table`: a records table that outlived its stack (the prod table, kept by
//! a destroy) brought into a new stack `cv-analytics-<stage>` with CloudFormation's resource
//! import, so that the next deploy adds the rest of the stack around it and the records stay.
//!
//! The template imported is `infrastructure/import-table.json`: stack.yaml's own `RecordsTable`
//! with the parameters and conditions it names, retained, and nothing else (an import holds only
//! what it imports; `infrastructure/tests/test_scripts.py` holds the file equal to stack.yaml).

use std::fmt;

use aws_sdk_cloudformation::client::Waiters;
use aws_sdk_cloudformation::types::{ChangeSetType, Parameter, ResourceToImport};
use serde::Serialize;
use shared_types::record::{WEEK_INDEX, WeekLookup};

use super::Deployer;
use super::stacks;
use crate::error::{OpsError, aws_failed};

const TEMPLATE: &str = include_str!("../../../infrastructure/import-table.json");
const CHANGE_SET: &str = "import-records-table";

/// A kept table, imported.
#[derive(Debug, Serialize)]
pub struct Imported {
    pub table: String,
    pub stack: String,
    /// How the kept table is found a week's requests: with the week index or without.
    pub week_lookup: String,
    pub stage: String,
}

impl Deployer {
    /// Imports the stage's kept table into a new stack; refused when the stack exists.
    pub async fn import_table(&self, say: &mut dyn FnMut(String)) -> Result<Imported, OpsError> {
        let stack = self.stack_name();
        let table = shared_types::stage::table_name(&self.stage);
        if let Some(status) = stacks::status(&self.cloudformation, &stack).await? {
            return Err(OpsError::Usage(format!(
                "the stack {stack} exists ({}): there is nothing to import; run make deploy \
                 STAGE={}",
                status.as_str(),
                self.stage
            )));
        }
        // The template describes the table as it is: with the week index or without. The next
        // deploy moves it to its stage's WEEK_LOOKUP in place.
        let described = self
            .dynamodb
            .describe_table()
            .table_name(&table)
            .send()
            .await
            .map_err(aws_failed("describe the kept table"))?;
        let indexed = described
            .table
            .and_then(|t| t.global_secondary_indexes)
            .unwrap_or_default()
            .iter()
            .any(|i| i.index_name.as_deref() == Some(WEEK_INDEX));
        let lookup = if indexed {
            WeekLookup::Index
        } else {
            WeekLookup::Scan
        };
        say(format!(
            "{table}: importing it into {stack} (week lookup: {lookup})"
        ));
        self.import(&stack, &table, lookup).await?;
        Ok(Imported {
            table,
            stack,
            week_lookup: lookup.to_string(),
            stage: self.stage.clone(),
        })
    }

    /// The import's change set, created, waited for, executed and waited for.
    async fn import(&self, stack: &str, table: &str, lookup: WeekLookup) -> Result<(), OpsError> {
        let parameter = |key: &str, value: String| {
            Parameter::builder()
                .parameter_key(key)
                .parameter_value(value)
                .build()
        };
        let resource = ResourceToImport::builder()
            .resource_type("AWS::DynamoDB::Table")
            .logical_resource_id("RecordsTable")
            .resource_identifier("TableName", table)
            .build();
        self.cloudformation
            .create_change_set()
            .stack_name(stack)
            .change_set_name(CHANGE_SET)
            .change_set_type(ChangeSetType::Import)
            .template_body(TEMPLATE)
            .parameters(parameter("Stage", self.stage.clone()))
            .parameters(parameter("WeekLookup", lookup.to_string()))
            .resources_to_import(resource)
            .send()
            .await
            .map_err(aws_failed("create the import's change set"))?;
        self.cloudformation
            .wait_until_change_set_create_complete()
            .stack_name(stack)
            .change_set_name(CHANGE_SET)
            .wait(stacks::MAX_WAIT)
            .await
            .map_err(aws_failed("wait for the import's change set"))?;
        self.cloudformation
            .execute_change_set()
            .stack_name(stack)
            .change_set_name(CHANGE_SET)
            .send()
            .await
            .map_err(aws_failed("execute the import's change set"))?;
        let imported = self
            .cloudformation
            .wait_until_stack_import_complete()
            .stack_name(stack)
            .wait(stacks::MAX_WAIT)
            .await;
        if imported.is_err() {
            return Err(stacks::failed(&self.cloudformation, stack, "the import", "").await);
        }
        Ok(())
    }
}

impl fmt::Display for Imported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "imported {} (week lookup: {}) into {}; now run: make deploy STAGE={}",
            self.table, self.week_lookup, self.stack, self.stage
        )
    }
}
