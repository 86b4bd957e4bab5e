//! Injected AWS faults: an SDK HTTP client that fails a share of the calls it carries.
//!
//! [`FaultyHttpClient`] wraps the SDK's own HTTP client and,
//! for a seeded share of requests, answers in one of three ways a real service can:
//!
//! - **throttled**: HTTP 400 `ThrottlingException`, the request never reaches the server;
//! - **server error**: HTTP 500 `InternalServerError`, the request never reaches the server;
//! - **lost answer**: the request reaches the server and is applied, but the caller gets HTTP
//!   500 (a timeout after the write, as far as the caller can tell): the hardest case, because
//!   the retry applies the same write a second time.
//!
//! The SDK's retry strategy sees these as it would see the real thing, and so does whatever
//! classifies the final error. Every attempt is a request, so a call the SDK retries draws again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_runtime_api::http::StatusCode;
use aws_smithy_types::body::SdkBody;

/// The share of requests to fail, and the seed of the draw.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaultPlan {
    /// Between 0 and 1.
    pub rate: f64,
    pub seed: u64,
}

/// How many requests the client carried and how each fault was dealt.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FaultCounts {
    pub requests: usize,
    pub throttled: usize,
    pub server_errors: usize,
    pub lost_answers: usize,
}

impl FaultCounts {
    pub fn faults(&self) -> usize {
        self.throttled + self.server_errors + self.lost_answers
    }
}

#[derive(Debug, Default)]
struct Tally {
    healed: AtomicBool,
    draws: AtomicU64,
    requests: AtomicUsize,
    throttled: AtomicUsize,
    server_errors: AtomicUsize,
    lost_answers: AtomicUsize,
}

/// An HTTP client for the SDK that fails a share of requests (see the module documentation).
#[derive(Debug, Clone)]
pub struct FaultyHttpClient {
    inner: SharedHttpClient,
    plan: FaultPlan,
    tally: Arc<Tally>,
}

#[derive(Debug, Clone, Copy)]
enum Fault {
    Throttled,
    ServerError,
    LostAnswer,
}

impl FaultyHttpClient {
    /// Wraps the SDK's default HTTPS client.
    pub fn over_default_client(plan: FaultPlan) -> Self {
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
        let inner = aws_smithy_http_client::Builder::new()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .build_https();
        Self::new(inner, plan)
    }

    /// Wraps `inner`.
    pub fn new(inner: SharedHttpClient, plan: FaultPlan) -> Self {
        Self {
            inner,
            plan,
            tally: Arc::default(),
        }
    }

    /// What has been injected so far.
    pub fn counts(&self) -> FaultCounts {
        FaultCounts {
            requests: self.tally.requests.load(Ordering::SeqCst),
            throttled: self.tally.throttled.load(Ordering::SeqCst),
            server_errors: self.tally.server_errors.load(Ordering::SeqCst),
            lost_answers: self.tally.lost_answers.load(Ordering::SeqCst),
        }
    }

    /// Lets every later request through: the outage is over.
    pub fn heal(&self) {
        self.tally.healed.store(true, Ordering::SeqCst);
    }

    /// Draws the fate of the next request: `None` lets it through untouched.
    fn draw(&self) -> Option<Fault> {
        self.tally.requests.fetch_add(1, Ordering::SeqCst);
        if self.tally.healed.load(Ordering::SeqCst) {
            return None;
        }
        let n = self.tally.draws.fetch_add(1, Ordering::SeqCst);
        let bits = splitmix64(self.plan.seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        // 53 random bits as a fraction in [0, 1).
        let unit = (bits >> 11) as f64 / (1u64 << 53) as f64;
        if unit >= self.plan.rate {
            return None;
        }
        let (fault, counter) = match bits % 3 {
            0 => (Fault::Throttled, &self.tally.throttled),
            1 => (Fault::ServerError, &self.tally.server_errors),
            _ => (Fault::LostAnswer, &self.tally.lost_answers),
        };
        counter.fetch_add(1, Ordering::SeqCst);
        Some(fault)
    }
}

impl HttpClient for FaultyHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(FaultyConnector {
            inner: self.inner.http_connector(settings, components),
            client: self.clone(),
        })
    }
}

#[derive(Debug)]
struct FaultyConnector {
    inner: SharedHttpConnector,
    client: FaultyHttpClient,
}

impl HttpConnector for FaultyConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match self.client.draw() {
            None => self.inner.call(request),
            Some(Fault::Throttled) => HttpConnectorFuture::ready(Ok(error_response(
                400,
                "ThrottlingException",
                "Rate of requests exceeds the allowed throughput (injected)",
            ))),
            Some(Fault::ServerError) => HttpConnectorFuture::ready(Ok(error_response(
                500,
                "InternalServerError",
                "Internal server error (injected)",
            ))),
            Some(Fault::LostAnswer) => {
                let applied = self.inner.call(request);
                HttpConnectorFuture::new(async move {
                    applied.await?;
                    Ok(error_response(
                        500,
                        "InternalServerError",
                        "The request was applied but its answer was lost (injected)",
                    ))
                })
            }
        }
    }
}

/// An error as the AWS JSON protocols (DynamoDB, SQS) send it.
fn error_response(status: u16, code: &str, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "__type": format!("com.amazonaws.dynamodb.v20120810#{code}"), "message": message });
    let status = StatusCode::try_from(status).expect("a valid HTTP status");
    let mut response = HttpResponse::new(status, SdkBody::from(body.to_string()));
    response
        .headers_mut()
        .insert("content-type", "application/x-amz-json-1.0");
    response
        .headers_mut()
        .insert("x-amzn-errortype", code.to_owned());
    response
}

fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
