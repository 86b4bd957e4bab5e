//! A Lambda Runtime API on loopback, for running the functions' real binaries the way Lambda
//! runs them: the binary is started with `AWS_LAMBDA_RUNTIME_API` pointing here, asks for its
//! next event (`GET /2018-06-01/runtime/invocation/next`), and posts a response or an error.
//! Events are handed out in order; once they are used up, the next request waits, as Lambda's
//! does between invocations.
//!
//! It also answers Lambda's `Invoke` API (`POST /2015-03-31/functions/<name>/invocations`, what
//! the AWS SDK's Lambda client sends), as the Lambda service does for a synchronous invocation:
//! the payload becomes the next event, and the answer is the function's response, or its error
//! with `X-Amz-Function-Error: Unhandled`. So a client pointed here (`AWS_ENDPOINT_URL_LAMBDA`)
//! invokes the real binary.
//!
//! [`LambdaProcess`] starts a binary against it with the variables Lambda sets, keeps what the
//! binary prints, and is stopped by PID when dropped.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

mod process;

pub use process::{LambdaProcess, start_lambda_binary, wait_for_output, workspace_binary};

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completion {
    Response(String),
    Error(String),
}

/// One finished invocation.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    pub completion: Completion,
    /// When the function received the event (its `next` request was answered).
    pub handed_out: Instant,
    /// When the response or error arrived.
    pub at: Instant,
}

impl Invocation {
    /// From the event handed out to the answer: the invocation's duration as Lambda bills it.
    pub fn duration(&self) -> Duration {
        self.at.saturating_duration_since(self.handed_out)
    }
}

#[derive(Debug, Default)]
struct State {
    pending: VecDeque<(String, String)>,
    handed_out: Vec<(String, Instant)>,
    /// When the function first asked for an event: the end of its init phase.
    first_next: Option<Instant>,
    done: Vec<Invocation>,
    init_error: Option<String>,
    next_id: usize,
}

#[derive(Debug, Default)]
struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    /// The function's timeout: each event's deadline is this after it is handed out.
    timeout: Duration,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn push(&self, event: String) -> String {
        let mut state = self.lock();
        state.next_id += 1;
        let id = format!("request-{}", state.next_id);
        state.pending.push_back((id.clone(), event));
        self.changed.notify_all();
        id
    }

    /// Queues `event` and waits for the function's answer to it.
    fn invoke(&self, event: String) -> Completion {
        let id = self.push(event);
        let mut state = self.lock();
        loop {
            if let Some(done) = state.done.iter().find(|d| d.request_id == id) {
                return done.completion.clone();
            }
            if let Some(error) = &state.init_error {
                return Completion::Error(error.clone());
            }
            state = self
                .changed
                .wait(state)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
    }
}

/// A running Runtime API.
#[derive(Debug)]
pub struct RuntimeApi {
    address: String,
    shared: Arc<Shared>,
}

impl RuntimeApi {
    /// Listens on a free loopback port, for a function with Lambda's longest timeout (15 min).
    pub fn start() -> Self {
        Self::with_timeout(Duration::from_secs(900))
    }

    /// Listens on a free loopback port, for a function with `timeout`: the deadline of each
    /// event (`Lambda-Runtime-Deadline-Ms`) is `timeout` after the function receives it.
    pub fn with_timeout(timeout: Duration) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let address = listener.local_addr().expect("a bound address").to_string();
        let shared = Arc::new(Shared {
            timeout,
            ..Shared::default()
        });
        let serving = shared.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let shared = serving.clone();
                std::thread::spawn(move || serve(stream, &shared));
            }
        });
        Self { address, shared }
    }

    /// `host:port`, the value of `AWS_LAMBDA_RUNTIME_API`.
    pub fn address(&self) -> &str {
        &self.address
    }

    /// Queues an event; returns its request id.
    pub fn push(&self, event: impl Into<String>) -> String {
        self.shared.push(event.into())
    }

    /// Hands `event` to the function and waits for its answer, as a synchronous invocation.
    pub fn invoke(&self, event: impl Into<String>) -> Completion {
        self.shared.invoke(event.into())
    }

    /// `http://host:port`, the endpoint of the Lambda `Invoke` API it answers.
    pub fn invoke_endpoint(&self) -> String {
        format!("http://{}", self.address)
    }

    /// When the function first asked for an event (the end of its init phase), if it has.
    pub fn init_done(&self) -> Option<Instant> {
        self.shared.lock().first_next
    }

    /// Waits until `count` invocations have finished (or the function reported an init error,
    /// or `timeout` passed) and returns those finished so far.
    pub fn wait_for(&self, count: usize, timeout: Duration) -> anyhow::Result<Vec<Invocation>> {
        let deadline = Instant::now() + timeout;
        let mut state = self.shared.lock();
        loop {
            if let Some(error) = &state.init_error {
                anyhow::bail!("the function failed to initialise: {error}");
            }
            if state.done.len() >= count {
                return Ok(state.done.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                anyhow::bail!(
                    "{} of {count} invocations finished within {timeout:?}",
                    state.done.len()
                );
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
    }
}

/// Serves one keep-alive connection.
fn serve(stream: TcpStream, shared: &Shared) {
    let Ok(writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut writer = writer;
    while let Some((method, path, body)) = read_request(&mut reader) {
        // `?Qualifier=live` and the like name a version: there is only the one binary here.
        let path = path.split('?').next().unwrap_or_default();
        let reply = if method == "POST" && path.ends_with("/invocations") {
            let (header, body) = match shared.invoke(body) {
                Completion::Response(body) => ("", body),
                Completion::Error(body) => ("X-Amz-Function-Error: Unhandled\r\n", body),
            };
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n{header}\
                 X-Amz-Executed-Version: $LATEST\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
        } else if method == "GET" && path.ends_with("/runtime/invocation/next") {
            let (id, event) = next_event(shared);
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                 Lambda-Runtime-Aws-Request-Id: {id}\r\n\
                 Lambda-Runtime-Deadline-Ms: {}\r\n\
                 Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:local\r\n\
                 Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000\r\n\
                 Content-Length: {}\r\n\r\n{event}",
                chrono::Utc::now().timestamp_millis()
                    + i64::try_from(shared.timeout.as_millis()).unwrap_or(i64::MAX),
                event.len()
            )
        } else {
            record(shared, path, body);
            "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}"
                .to_owned()
        };
        if writer.write_all(reply.as_bytes()).is_err() {
            return;
        }
    }
}

fn next_event(shared: &Shared) -> (String, String) {
    let mut state = shared.lock();
    state.first_next.get_or_insert_with(Instant::now);
    loop {
        if let Some(next) = state.pending.pop_front() {
            state.handed_out.push((next.0.clone(), Instant::now()));
            return next;
        }
        state = shared
            .changed
            .wait(state)
            .unwrap_or_else(std::sync::PoisonError::into_inner);
    }
}

fn record(shared: &Shared, path: &str, body: String) {
    let mut state = shared.lock();
    if path.ends_with("/runtime/init/error") {
        state.init_error = Some(body);
    } else if let Some(rest) = path.split("/runtime/invocation/").nth(1) {
        let (id, kind) = rest.split_once('/').unwrap_or((rest, ""));
        let completion = if kind == "response" {
            Completion::Response(body)
        } else {
            Completion::Error(body)
        };
        let at = Instant::now();
        let handed_out = state
            .handed_out
            .iter()
            .find(|(handed, _)| handed == id)
            .map_or(at, |(_, when)| *when);
        state.done.push(Invocation {
            request_id: id.to_owned(),
            completion,
            handed_out,
            at,
        });
    }
    shared.changed.notify_all();
}

/// Reads one HTTP/1.1 request: method, path and body (by Content-Length, or chunked).
fn read_request(reader: &mut BufReader<TcpStream>) -> Option<(String, String, String)> {
    let mut line = String::new();
    reader.read_line(&mut line).ok().filter(|n| *n > 0)?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let (mut length, mut chunked) = (0usize, false);
    loop {
        let mut header = String::new();
        reader.read_line(&mut header).ok().filter(|n| *n > 0)?;
        let header = header.trim_end();
        if header.is_empty() {
            break;
        }
        let (name, value) = header.split_once(':')?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = value.parse().ok()?;
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.eq_ignore_ascii_case("chunked");
        }
    }
    let mut body = Vec::new();
    if chunked {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else {
        body.resize(length, 0);
        reader.read_exact(&mut body).ok()?;
    }
    Some((method, path, String::from_utf8_lossy(&body).into_owned()))
}
