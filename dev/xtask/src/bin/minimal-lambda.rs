//! The yardstick for cold starts and memory: the smallest Rust Lambda (it answers with its
//! event), built and started exactly as the pipeline's functions are.

use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            Ok::<serde_json::Value, Error>(event.payload)
        },
    ))
    .await
}
