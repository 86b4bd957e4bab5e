//! A deployed stage's facts, for everything that finds one or sets one up (the deploy, the
//! maintainer command, the local stack, the demo, the tests): the name of its stack, the
//! outputs the stack names its resources by, the functions' settings (their environment
//! variables) and the alias that serves their traffic. Nothing guesses a name: each comes
//! from here.

/// The CloudFormation stack of `stage`: `cv-analytics-<stage>`.
pub fn stack_name(stage: &str) -> String {
    format!("cv-analytics-{stage}")
}

/// The stack of what needs the functions to exist (the trigger, the schedule): wiring.yaml's.
pub fn wiring_stack_name(stage: &str) -> String {
    format!("{}-wiring", stack_name(stage))
}

/// The stack of the stage's deployer (deployer.yaml: its policies and GitHub role).
pub fn deployer_stack_name(stage: &str) -> String {
    format!("{}-deployer", stack_name(stage))
}

/// The records table of `stage` (stack.yaml's `RecordsTable`; also its output `TableName`).
pub fn table_name(stage: &str) -> String {
    format!("{}-records", stack_name(stage))
}

/// The function `function` (`processor`, `reporter`) of `stage` (also the outputs
/// `ProcessorFunctionName`, `ReporterFunctionName`).
pub fn function_name(stage: &str, function: &str) -> String {
    format!("{}-{function}", stack_name(stage))
}

/// The alias of each function that its trigger and schedule invoke: a deploy moves it to the
/// version it publishes, a rollback back to the one before.
pub const LIVE_ALIAS: &str = "live";

/// The outputs of `infrastructure/stack.yaml`, by key.
pub mod output {
    pub const QUEUE_URL: &str = "QueueUrl";
    pub const QUEUE_ARN: &str = "QueueArn";
    pub const DEAD_LETTER_QUEUE_URL: &str = "DeadLetterQueueUrl";
    pub const TABLE_NAME: &str = "TableName";
    /// How the reporter finds a week's requests, as the stack was deployed (`scan`, `index`).
    pub const WEEK_LOOKUP: &str = "WeekLookup";
    pub const PRODUCER_POLICY_ARN: &str = "ProducerPolicyArn";
    pub const PROCESSOR_FUNCTION_NAME: &str = "ProcessorFunctionName";
    pub const REPORTER_FUNCTION_NAME: &str = "ReporterFunctionName";
    pub const PROCESSOR_ROLE_ARN: &str = "ProcessorRoleArn";
    pub const REPORTER_ROLE_ARN: &str = "ReporterRoleArn";
    pub const REPORT_SCHEDULE_ROLE_ARN: &str = "ReportScheduleRoleArn";
}

/// The functions' settings: the environment variables a deploy gives them and they read once
/// at start-up (a missing required one stops the start, naming it).
pub mod setting {
    /// Both functions: the stage their metrics are filed under (required).
    pub const STAGE: &str = "STAGE";
    /// Both functions: the records table (required).
    pub const TABLE_NAME: &str = "TABLE_NAME";
    /// Both functions: days a record lives after its query (optional, default 90, 14 to 3650).
    pub const RECORD_TTL_DAYS: &str = "RECORD_TTL_DAYS";
    /// The owner's time zone, an IANA name (`Europe/London`; `UTC` when not set): both
    /// functions file and report weeks, days and hours on its clocks.
    pub const REPORT_TIMEZONE: &str = "REPORT_TIMEZONE";
    /// Both functions: the commit a version was built from, which the maintainer command shows.
    pub const BUILD_COMMIT: &str = "BUILD_COMMIT";
    /// The processor: the dead-letter queue that poison messages go to (required).
    pub const DEAD_LETTER_QUEUE_URL: &str = "DEAD_LETTER_QUEUE_URL";
    /// The processor: most DynamoDB writes of one batch in flight at once (optional).
    pub const WRITE_CONCURRENCY: &str = "WRITE_CONCURRENCY";
    /// The reporter: the verified SES identity the report is sent from (required).
    pub const REPORT_SENDER: &str = "REPORT_SENDER";
    /// The reporter: the comma-separated recipients (required).
    pub const REPORT_RECIPIENTS: &str = "REPORT_RECIPIENTS";
    /// The reporter: the SES configuration set (optional).
    pub const SES_CONFIGURATION_SET: &str = "SES_CONFIGURATION_SET";
    /// The reporter: `false` to send nothing for a week without questions (optional).
    pub const SEND_EMPTY_REPORT: &str = "SEND_EMPTY_REPORT";
    /// The reporter: how a week's requests are found, `scan` or `index` (optional).
    pub const WEEK_LOOKUP: &str = "WEEK_LOOKUP";
}
