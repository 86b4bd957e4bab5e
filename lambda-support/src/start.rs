//! A function's cold start, the same in both: JSON logs, the SDK's configuration, the function
//! built from its settings, read once (a missing or unusable one stops the start with a
//! message naming the variable), and the stage its metrics are filed under. `main` then hands it to the
//! runtime's loop.

use aws_config::SdkConfig;
use lambda_runtime::Error;

use crate::metrics::Metrics;
use crate::settings::{ConfigError, Settings};

/// Starts a function built by `build` from its settings and the SDK's configuration; the
/// function and where its metrics go, or the error that stops the start.
pub async fn start<F>(
    build: impl FnOnce(&Settings, &SdkConfig) -> Result<F, ConfigError>,
) -> Result<(F, Metrics), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let settings = Settings::from_env();
    let stop = |e: ConfigError| {
        tracing::error!(error = %e, "cannot start: configuration is incomplete");
        Error::from(e.to_string())
    };
    let aws = crate::sdk::load().await;
    let function = build(&settings, &aws).map_err(stop)?;
    let metrics = Metrics::from_settings(&settings).map_err(stop)?;
    Ok((function, metrics))
}
