//! The deployer's commands of `cv-analytics` against moto with the project's own stack.yaml:
//! a destroy of a stage whose functions were never deployed (each "not there", the stack gone),
//! and the import of a kept table, refused while its stack exists, and otherwise a change set
//! that describes the table as it is (moto cannot execute a resource import). (`make destroy` after three
//! deploys, and `make deployer-role`, run in infrastructure/tests through the Makefile.)

use local_aws::{Moto, create_table, deploy_stack};
use ops::Deployer;
use shared_types::record::WeekLookup;

async fn stack_exists(sdk: &aws_config::SdkConfig, name: &str) -> bool {
    let cloudformation = aws_sdk_cloudformation::Client::new(sdk);
    cloudformation
        .describe_stacks()
        .stack_name(name)
        .send()
        .await
        .is_ok_and(|d| !d.stacks().is_empty())
}

#[tokio::test]
async fn a_destroy_removes_the_stack_and_says_which_functions_were_not_there() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    deploy_stack(
        &cloudformation,
        "dev",
        "reports@example.dev",
        180,
        WeekLookup::Scan,
    )
    .await
    .unwrap();
    assert!(stack_exists(&sdk, "cv-analytics-dev").await);

    let mut said = Vec::new();
    let destroyed = Deployer::new(&sdk, "dev")
        .unwrap()
        .destroy(&mut |line| said.push(line))
        .await
        .unwrap();

    assert_eq!(
        destroyed.functions_missing,
        ["cv-analytics-dev-processor", "cv-analytics-dev-reporter"]
    );
    assert!(destroyed.functions_deleted.is_empty());
    assert!(
        said.contains(&"function cv-analytics-dev-processor was not there".to_owned()),
        "{said:?}"
    );
    assert_eq!(
        destroyed.to_string(),
        "removed cv-analytics-dev from us-east-1\n"
    );
    assert!(!stack_exists(&sdk, "cv-analytics-dev").await);
}

#[tokio::test]
async fn a_table_is_imported_only_where_its_stack_is_gone() {
    let moto = Moto::start();
    let sdk = moto.sdk_config().await;
    let cloudformation = aws_sdk_cloudformation::Client::new(&sdk);
    deploy_stack(
        &cloudformation,
        "dev",
        "reports@example.dev",
        180,
        WeekLookup::Scan,
    )
    .await
    .unwrap();
    let refused = Deployer::new(&sdk, "dev")
        .unwrap()
        .import_table(&mut |_| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.starts_with(
            "the stack cv-analytics-dev exists (CREATE_COMPLETE): there is nothing to import"
        ),
        "{refused}"
    );

    // A kept prod table, with the week index, and no stack.
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    create_table(&dynamodb, "cv-analytics-prod-records", WeekLookup::Index).await;
    let mut said = Vec::new();
    let imported = Deployer::new(&sdk, "prod")
        .unwrap()
        .import_table(&mut |line| said.push(line))
        .await;
    assert_eq!(
        said,
        ["cv-analytics-prod-records: importing it into cv-analytics-prod (week lookup: index)"]
    );
    // moto has no resource import: it executes an IMPORT change set by creating the table,
    // which exists. Up to that line: the change set holds the table as it is, to import.
    let refused = imported.unwrap_err().to_string();
    assert!(
        refused.starts_with("execute the import's change set")
            && refused.contains("Table already exists"),
        "{refused}"
    );
    let change_set = cloudformation
        .describe_change_set()
        .stack_name("cv-analytics-prod")
        .change_set_name("import-records-table")
        .send()
        .await
        .unwrap();
    let parameters: Vec<(&str, &str)> = change_set
        .parameters()
        .iter()
        .map(|p| (p.parameter_key().unwrap(), p.parameter_value().unwrap()))
        .collect();
    assert_eq!(parameters, [("Stage", "prod"), ("WeekLookup", "index")]);
}
