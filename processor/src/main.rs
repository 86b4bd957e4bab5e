//! The processor Lambda's entry point: settings and clients once, then the runtime loop.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent, service_fn};
use lambda_support::Metrics;
use lambda_support::settings::Settings;
use processor::dynamo::DynamoRecordStore;
use processor::sqs::SqsDeadLetterQueue;
use processor::{Config, Processor, ProcessorError};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = Settings::from_env();
    let (config, metrics) = Config::from_settings(&settings)
        .and_then(|config| Ok((config, Metrics::from_settings(&settings)?)))
        .map_err(|e| {
            tracing::error!(error = %e, "cannot start: configuration is incomplete");
            Error::from(e.to_string())
        })?;

    let aws = lambda_support::sdk::load().await;
    let store = DynamoRecordStore::new(aws_sdk_dynamodb::Client::new(&aws), &config.table_name);
    let dead_letters = SqsDeadLetterQueue::new(
        aws_sdk_sqs::Client::new(&aws),
        &config.dead_letter_queue_url,
    );
    let processor = Processor::new(store, dead_letters, &config);

    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| {
        let (processor, metrics) = (&processor, &metrics);
        async move {
            let now = chrono::Utc::now();
            let outcome = processor.process(event.payload, now).await?;
            metrics.emit(now, &outcome.summary.metrics());
            Ok::<SqsBatchResponse, ProcessorError>(outcome.response)
        }
    }))
    .await
}
