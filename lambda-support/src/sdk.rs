//! The AWS SDK configuration both functions start with.
//!
//! The SDK's default HTTPS client does its TLS with `rustls` on `aws-lc-rs`, whose first use in
//! a process (the first connection of a cold function) costs about 20 ms of CPU: about 280 ms
//! of a cold start in the 7.2% CPU share of a 128 MB function (`BENCHMARKS.md`, "where the time
//! goes"). The same client on `ring` starts in about 2 ms, so the functions use it. What is
//! given up: `aws-lc-rs`'s hybrid post-quantum key exchange (X25519MLKEM768) for plain X25519;
//! the certificate checks and the system's root certificates are the same.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// The HTTPS client: `rustls` on `ring`, trusting the system's root certificates.
fn https_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The SDK configuration from the environment (region, credentials, endpoints), with
/// [`https_client`].
pub async fn load() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(https_client())
        .load()
        .await
}
