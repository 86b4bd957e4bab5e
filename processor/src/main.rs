//! The processor Lambda's entry point: the shared cold start, then the runtime loop.

use lambda_runtime::{Error, service_fn};
use processor::AwsProcessor;

#[tokio::main]
async fn main() -> Result<(), Error> {
    let (processor, metrics) = lambda_support::start(AwsProcessor::from_settings).await?;
    lambda_runtime::run(service_fn(|event| processor.invoke(event, &metrics))).await
}
