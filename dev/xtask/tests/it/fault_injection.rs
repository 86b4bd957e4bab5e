//! The fault run at test size (`make reliability` runs it at full size): a share of the
//! processor's DynamoDB calls fail while the workload goes through SQS; failed messages are
//! redelivered, SQS dead-letters after 5 receives, the dead-letter queue is redriven after the
//! outage, and then every record equals the model and only the malformed messages remain.

use local_aws::Moto;
use local_aws::faults::FaultPlan;
use shared_types::WeekId;
use shared_types::record::WeekLookup;
use xtask::Settings;
use xtask::WorkloadSpec;
use xtask::verify;
use xtask::{DemoOptions, FaultOptions, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_or_counted_twice_under_injected_dynamodb_faults() {
    // Both table layouts (the stack's WeekLookup): the records are the same, the reporter
    // finds them by scan or through the index.
    for lookup in WeekLookup::ALL {
        faults_on(lookup).await;
    }
}

async fn faults_on(lookup: WeekLookup) {
    let week: WeekId = "2025-W46".parse().unwrap();
    let moto = Moto::start();
    // 50% with one SDK attempt: about 3% of writes fail five receives in a row (the queue's
    // maxReceiveCount), so the run goes through SQS's own dead-lettering and the redrive,
    // not only redelivery.
    let outcome = run(
        &moto,
        DemoOptions {
            workload: WorkloadSpec {
                seed: 7,
                questions: 500,
                week,
                malformed: 6,
                zone: shared_types::week::Tz::UTC,
            },
            progress: false,
            week_lookup: lookup,
            faults: Some(FaultOptions {
                plan: FaultPlan { rate: 0.5, seed: 7 },
                sdk_max_attempts: 1,
            }),
            ..DemoOptions::of(&Settings::defaults().unwrap())
        },
    )
    .await
    .unwrap();
    let findings = verify(&outcome, week);
    let faults = outcome.faults.unwrap();
    println!("week lookup {lookup}: {findings:?}\n{faults:?}");
    assert!(findings.events > 900, "{findings:?}");
    assert!(findings.holds(), "{findings:?}");
    let injected = faults.injected;
    assert!(injected.throttled > 0 && injected.server_errors > 0 && injected.lost_answers > 0);
    assert!(faults.retried > 0, "{faults:?}");
    assert!(faults.dead_lettered_by_sqs > 0, "{faults:?}");
    // Everything SQS gave up on was redriven, besides the malformed messages.
    assert_eq!(
        faults.redriven,
        faults.dead_lettered_by_sqs + outcome.workload.malformed.len()
    );
}
