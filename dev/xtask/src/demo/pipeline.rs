//! The pipeline run the way production runs it, on the local emulator: the project's own
//! `infrastructure/stack.yaml` deployed, events sent through the SQS API, the queue drained in
//! batches of up to 10 into the processor's real handler (standing in for Lambda's event source
//! mapping: what succeeds is deleted, failures are left for redelivery), then the reporter
//! invoked with a scheduled event and the email read back from the emulator.

use shared_types::stage::output;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context as _;
use aws_config::retry::RetryConfig;
use local_aws::faults::{FaultPlan, FaultyHttpClient};
use local_aws::{Moto, create_email_identity, scan_request_records};
use ops::DeadLetters;
use processor::DynamoRecordStore;
use processor::SqsDeadLetterQueue;
use reporter::Mailer;
use reporter::RenderedReport;
use reporter::SesMailer;
use reporter::{DynamoRecordSource, DynamoReportLedger};
use reporter::{ReportRequest, ReportSummary, Reporter, ReporterError};
use shared_types::RequestRecord;

use super::queue::{DemoProcessor, FaultReport, QueueDrain, ingest, recover};
use super::workload::{Workload, WorkloadSpec, generate};
use crate::settings::Settings;
use shared_types::record::WeekLookup;

const STAGE: &str = "dev";
pub(crate) const SENDER: &str = "reports@example.dev";
pub(crate) const RECIPIENT: &str = "owner@example.dev";

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct DemoOptions {
    pub workload: WorkloadSpec,
    /// Show progress bars.
    pub progress: bool,
    /// Fail a share of the processor's DynamoDB calls (the reliability suite's fault run).
    pub faults: Option<FaultOptions>,
    /// The table's layout (the stack's `WeekLookup`).
    pub week_lookup: WeekLookup,
    /// The functions' timeouts as the Makefile deploys them (the queue's visibility timeout is
    /// 6 times the processor's; a report run's deadline is the reporter's).
    pub processor_timeout_s: u32,
    pub reporter_timeout_s: u32,
}

impl DemoOptions {
    /// The demo's run of `settings`, with progress bars and no faults.
    pub fn of(settings: &Settings) -> Self {
        Self {
            workload: WorkloadSpec {
                seed: settings.seed,
                questions: settings.questions,
                week: settings.week,
                malformed: 6,
                zone: settings.zone,
            },
            progress: true,
            faults: None,
            week_lookup: settings.week_lookup,
            processor_timeout_s: settings.processor_timeout_s,
            reporter_timeout_s: settings.reporter_timeout_s,
        }
    }
}

/// The fault run: which DynamoDB calls of the processor fail, and how hard the SDK retries.
#[derive(Debug, Clone, Copy)]
pub struct FaultOptions {
    pub plan: FaultPlan,
    /// Attempts per call of the SDK's standard retry strategy (the SDK's default is 3; with 1,
    /// SQS redelivery does all the retrying).
    pub sdk_max_attempts: u32,
}

/// The email as the emulator kept it (moto keeps one body: the HTML part).
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub subject: String,
    pub html: String,
    pub to: Vec<String>,
}

impl SentEmail {
    /// The last email the emulator holds.
    fn last(moto: &Moto) -> anyhow::Result<Self> {
        moto.sent_emails()
            .into_iter()
            .last()
            .map(|m| Self {
                subject: m["subject"].as_str().unwrap_or_default().to_owned(),
                html: m["body"].as_str().unwrap_or_default().to_owned(),
                to: m["destinations"]["ToAddresses"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .context("read the email back: the emulator holds no email")
    }
}

/// What the run did and found.
#[derive(Debug)]
pub struct DemoOutcome {
    pub workload: Workload,
    pub messages_sent: usize,
    pub batches: usize,
    pub deliveries: usize,
    pub redelivered: usize,
    pub records: BTreeMap<String, RequestRecord>,
    /// Dead-letter queue contents: (body, rejection reason).
    pub dead_letters: Vec<(String, String)>,
    pub summary: ReportSummary,
    /// With [`DemoOptions::faults`]: what was injected and how the pipeline recovered.
    pub faults: Option<FaultReport>,
    pub email: SentEmail,
    /// The plain-text part the reporter sent (moto keeps only the HTML part).
    pub text: String,
}

/// Keeps a copy of what it sends through SES, so the demo can show the text part too.
#[derive(Debug)]
struct KeepingMailer {
    ses: SesMailer,
    sent: Mutex<Vec<RenderedReport>>,
}

impl Mailer for KeepingMailer {
    async fn send(&self, report: &RenderedReport) -> Result<String, ReporterError> {
        let id = self.ses.send(report).await?;
        self.sent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(report.clone());
        Ok(id)
    }
}

/// Deploys `infrastructure/stack.yaml` with the processor's timeout and returns its outputs.
pub(crate) async fn deploy_stack(
    cloudformation: &aws_sdk_cloudformation::Client,
    lookup: WeekLookup,
    processor_timeout_s: u32,
) -> anyhow::Result<HashMap<String, String>> {
    local_aws::deploy_stack(
        cloudformation,
        STAGE,
        SENDER,
        6 * processor_timeout_s,
        lookup,
    )
    .await
    .context("deploy stack.yaml")
}

/// The stack's resources the pipeline runs on.
struct Stack {
    table: String,
    queue_url: String,
    queue_arn: String,
    dlq_url: String,
}

impl Stack {
    /// The production template deployed into the emulator, and the report's sender verified.
    async fn stand_up(
        sdk: &aws_config::SdkConfig,
        ses: &aws_sdk_sesv2::Client,
        options: &DemoOptions,
    ) -> anyhow::Result<Self> {
        let outputs = deploy_stack(
            &aws_sdk_cloudformation::Client::new(sdk),
            options.week_lookup,
            options.processor_timeout_s,
        )
        .await?;
        create_email_identity(ses, SENDER).await;
        Self::from_outputs(&outputs)
    }

    fn from_outputs(outputs: &HashMap<String, String>) -> anyhow::Result<Self> {
        let output = |key: &str| {
            outputs
                .get(key)
                .cloned()
                .with_context(|| format!("the stack has no output {key}"))
        };
        Ok(Self {
            table: output(output::TABLE_NAME)?,
            queue_url: output(output::QUEUE_URL)?,
            queue_arn: output(output::QUEUE_ARN)?,
            dlq_url: output(output::DEAD_LETTER_QUEUE_URL)?,
        })
    }
}

/// Runs the whole pipeline on `moto`: deploy the stack, send the workload and drain it into
/// the processor, recover from the injected faults (a fault run), run the reporter, and read
/// back what it all left.
pub async fn run(moto: &Moto, options: DemoOptions) -> anyhow::Result<DemoOutcome> {
    let sdk = moto.sdk_config().await;
    let dynamodb = aws_sdk_dynamodb::Client::new(&sdk);
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    let stack = Stack::stand_up(&sdk, &ses, &options).await?;
    let workload = generate(options.workload);
    let week = options.workload.week;
    // The Monday run after the reported week, and the processor's view of "now".
    let scheduled_at = week.report_due_in(options.workload.zone);
    let faulty = options.faults.map(|f| {
        (
            FaultyHttpClient::over_default_client(f.plan),
            f.sdk_max_attempts,
        )
    });
    let processor = processor_for(&sdk, &sqs, &stack, faulty.as_ref(), options.workload.zone);
    let queue = QueueDrain {
        sqs: &sqs,
        queue_url: &stack.queue_url,
        queue_arn: &stack.queue_arn,
    };
    let mut counts = ingest(
        &queue,
        &processor,
        &workload,
        scheduled_at,
        options.progress,
    )
    .await?;
    let dead_letters = DeadLetters::new(sqs.clone(), &stack.dlq_url, &stack.queue_url);
    let faults = recover(
        faulty.as_ref().map(|(client, _)| client),
        &dead_letters,
        &queue,
        &processor,
        scheduled_at,
        &mut counts,
    )
    .await?;
    let (summary, text) = report(&dynamodb, &ses, &stack, &options, scheduled_at).await?;
    let email = SentEmail::last(moto)?;

    Ok(DemoOutcome {
        messages_sent: workload.messages.len(),
        batches: counts.batches,
        deliveries: counts.deliveries,
        redelivered: counts.redelivered,
        records: scan_request_records(&dynamodb, &stack.table).await,
        dead_letters: left_in(&dead_letters).await?,
        summary,
        faults,
        email,
        text,
        workload,
    })
}

/// The processor on the stack, with its own DynamoDB client: through the fault layer in a fault
/// run, with the SDK's attempts it asks for.
fn processor_for(
    sdk: &aws_config::SdkConfig,
    sqs: &aws_sdk_sqs::Client,
    stack: &Stack,
    faulty: Option<&(FaultyHttpClient, u32)>,
    zone: shared_types::week::Tz,
) -> DemoProcessor {
    let dynamodb = match faulty {
        None => aws_sdk_dynamodb::Client::new(sdk),
        Some((client, attempts)) => aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(sdk)
                .http_client(client.clone())
                .retry_config(
                    RetryConfig::standard()
                        .with_max_attempts(*attempts)
                        .with_initial_backoff(Duration::from_millis(5)),
                )
                .build(),
        ),
    };
    let config = processor::Config {
        table_name: stack.table.clone(),
        dead_letter_queue_url: stack.dlq_url.clone(),
        ttl_days: shared_types::record::DEFAULT_TTL_DAYS,
        write_concurrency: processor::DEFAULT_WRITE_CONCURRENCY,
        zone,
    };
    processor::Processor::new(
        DynamoRecordStore::new(dynamodb, &stack.table),
        SqsDeadLetterQueue::new(sqs.clone(), &stack.dlq_url),
        &config,
    )
}

/// The reporter's runs: last week's report first, as its own Monday sent it (this week's
/// compares with it from its marker: the trend, the gaps' status), then this week's from a
/// scheduled event. Its summary, and the plain-text part it sent (moto keeps the HTML only).
async fn report(
    dynamodb: &aws_sdk_dynamodb::Client,
    ses: &aws_sdk_sesv2::Client,
    stack: &Stack,
    options: &DemoOptions,
    scheduled_at: chrono::DateTime<chrono::Utc>,
) -> anyhow::Result<(ReportSummary, String)> {
    let mailer = KeepingMailer {
        ses: SesMailer::new(ses.clone(), SENDER, vec![RECIPIENT.to_owned()], None),
        sent: Mutex::new(Vec::new()),
    };
    let config = reporter::Config {
        table_name: stack.table.clone(),
        sender: SENDER.into(),
        recipients: vec![RECIPIENT.into()],
        configuration_set: None,
        send_empty_report: true,
        ttl_days: shared_types::record::DEFAULT_TTL_DAYS,
        week_lookup: options.week_lookup,
        zone: options.workload.zone,
    };
    let reporter = Reporter::new(
        DynamoRecordSource::new(dynamodb.clone(), &stack.table, options.week_lookup),
        DynamoReportLedger::new(dynamodb.clone(), &stack.table),
        mailer,
        &config,
    );
    let week = options.workload.week;
    // The deadline Lambda gives an invocation with the deployed REPORTER_TIMEOUT.
    let timeout = chrono::Duration::seconds(i64::from(options.reporter_timeout_s));
    let last_monday = week.previous().report_due_in(options.workload.zone);
    let last_week = ReportRequest {
        week: week.previous(),
        dry_run: false,
        force: false,
    };
    reporter
        .run(last_week, last_monday, last_monday + timeout)
        .await?;
    let scheduled = serde_json::json!({
        "version": "0", "id": "demo", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": scheduled_at.to_rfc3339(), "region": "us-east-1",
        "resources": [], "detail": {}
    });
    let request = ReportRequest::from_payload_in(scheduled, scheduled_at, options.workload.zone)?;
    let summary = reporter
        .run(request, scheduled_at, scheduled_at + timeout)
        .await?;
    let text = reporter
        .mailer()
        .sent
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .last()
        .map(|r| r.text.clone())
        .unwrap_or_default();
    Ok((summary, text))
}

/// What the dead-letter queue holds: each message's body and reason.
async fn left_in(dead_letters: &DeadLetters) -> anyhow::Result<Vec<(String, String)>> {
    Ok(dead_letters
        .peek(usize::MAX)
        .await?
        .messages
        .into_iter()
        .map(|m| (m.body, m.reason.unwrap_or_default()))
        .collect())
}
