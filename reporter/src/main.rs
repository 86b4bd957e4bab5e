//! The reporter Lambda's entry point: settings and clients once, then the runtime loop.

use lambda_runtime::{Error, LambdaEvent, service_fn};
use lambda_support::Metrics;
use lambda_support::settings::Settings;
use reporter::aws::dynamo::{DynamoRecordSource, DynamoReportLedger};
use reporter::aws::ses::SesMailer;
use reporter::handler::outcome_metrics;
use reporter::{Config, Outcome, ReportRequest, ReportSummary, Reporter, ReporterError};

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
    let dynamodb = aws_sdk_dynamodb::Client::new(&aws);
    let reporter = Reporter::new(
        DynamoRecordSource::new(dynamodb.clone(), &config.table_name, config.week_lookup),
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
            // Lambda's deadline for this invocation: the lease of a claim it takes.
            let deadline = i64::try_from(event.context.deadline)
                .ok()
                .and_then(chrono::DateTime::from_timestamp_millis)
                .unwrap_or(now);
            let request = ReportRequest::from_payload(event.payload, now)?;
            // Boxed: the run's future is deep enough to overflow the compiler's layout limit
            // inside the runtime's own futures.
            match Box::pin(reporter.run(request, now, deadline)).await {
                Ok(summary) => {
                    metrics.emit(now, &outcome_metrics(summary.outcome, summary.records_read));
                    Ok::<ReportSummary, ReporterError>(summary)
                }
                Err(error) => {
                    if matches!(error, ReporterError::ClaimedElsewhere { .. }) {
                        metrics.emit(now, &outcome_metrics(Outcome::InProgressElsewhere, 0));
                    }
                    Err(error)
                }
            }
        }
    }))
    .await
}
