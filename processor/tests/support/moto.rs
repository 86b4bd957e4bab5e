//! A moto server (the local AWS emulator) started for one test and stopped by PID when dropped.
//!
//! Started as `python3 -m moto.server` so that no shell shim is needed; `MOTO_PYTHON` names
//! another interpreter. `make test` installs moto when it is missing.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_sqs::types::QueueAttributeName;
use shared_types::record::{WEEK_INDEX, attr};

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    pub endpoint: String,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it accepts connections.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let python = std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into());
        let child = Command::new(&python)
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} -m moto.server: {e}"));
        let mut moto = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!(
                    "moto exited at start-up ({status}): install it with \
                     `python3 -m pip install 'moto[server]'` (make test does)"
                );
            }
            assert!(
                Instant::now() < deadline,
                "moto did not listen on {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        moto
    }

    /// SDK configuration that points every client at this server with dummy credentials.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates the records table as the design describes it: `pk` hash key, on-demand, and the
/// `week-index` global secondary index projecting keys only.
pub async fn create_table(client: &aws_sdk_dynamodb::Client, name: &str) {
    let key = |name: &str, key_type| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(key_type)
            .build()
            .unwrap()
    };
    let string_attribute = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(string_attribute(attr::PK))
        .attribute_definitions(string_attribute(attr::WEEK))
        .key_schema(key(attr::PK, KeyType::Hash))
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
                .unwrap(),
        )
        .send()
        .await
        .expect("table created");
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
