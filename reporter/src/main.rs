//! The reporter Lambda's entry point: the shared cold start, then the runtime loop.

use lambda_runtime::{Error, service_fn};
use reporter::AwsReporter;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (reporter, metrics) = lambda_support::start(AwsReporter::from_settings).await?;
    lambda_runtime::run(service_fn(|event| reporter.invoke(event, &metrics))).await
}
