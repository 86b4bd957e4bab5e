//! The reporter Lambda's entry point: settings and clients once, then the runtime loop.

use aws_config::BehaviorVersion;
use lambda_runtime::{Error, LambdaEvent, service_fn};
use reporter::dynamo::{DynamoRecordSource, DynamoReportLedger};
use reporter::ses::SesMailer;
use reporter::{Config, ReportRequest, ReportSummary, Reporter};
use shared_types::metrics::Metrics;
use shared_types::settings::Settings;

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

    let aws = aws_config::load_defaults(BehaviorVersion::latest()).await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let reporter = Reporter::new(
        DynamoRecordSource::new(dynamodb.clone(), &config.table_name),
        DynamoReportLedger::new(dynamodb, &config.table_name),
        SesMailer::new(
            aws_sdk_sesv2::Client::new(&aws),
            &config.sender,
            config.recipients.clone(),
            config.configuration_set.clone(),
        ),
        &config,
    );

    lambda_runtime::run(service_fn(|event: LambdaEvent<serde_json::Value>| {
        let (reporter, metrics) = (&reporter, &metrics);
        async move {
            let now = chrono::Utc::now();
            let request = ReportRequest::from_payload(event.payload, now)?;
            let summary = reporter.run(request, now).await?;
            metrics.emit(now, &summary.metrics());
            Ok::<ReportSummary, Error>(summary)
        }
    }))
    .await
}
