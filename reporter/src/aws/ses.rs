//! [`SesMailer`]: the [`Mailer`] on SES v2 `SendEmail`, with an HTML and a plain-text body.
//!
//! `SendEmail` is sent once, with no automatic retry: SES has no idempotency key, so a retry
//! after an answer that was lost could send the email twice. A failure is a refusal (the email
//! did not go out: a retry may send it) only when SES answered with a 4xx (throttling
//! included) or the connection to SES was never made; anything else (a 5xx, a connection lost
//! once the request went out, a timeout, an answer that cannot be read) is
//! [`ReporterError::EmailUnconfirmed`].

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::error::SdkError;
use aws_sdk_sesv2::operation::send_email::SendEmailError;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use lambda_support::ServiceFailure;

use crate::error::ReporterError;
use crate::mailer::Mailer;
use crate::report::render::RenderedReport;
use crate::report::text::header_safe;

/// Sends reports from one verified identity to fixed recipients.
#[derive(Debug, Clone)]
pub struct SesMailer {
    client: Client,
    sender: String,
    recipients: Vec<String>,
    configuration_set: Option<String>,
}

impl SesMailer {
    pub fn new(
        client: Client,
        sender: impl Into<String>,
        recipients: Vec<String>,
        configuration_set: Option<String>,
    ) -> Self {
        // No automatic retry of SendEmail (see the module's documentation).
        let client = Client::from_conf(
            client
                .config()
                .to_builder()
                .retry_config(RetryConfig::disabled())
                .build(),
        );
        Self {
            client,
            sender: sender.into(),
            recipients,
            configuration_set,
        }
    }
}

fn utf8(data: &str) -> Result<Content, ReporterError> {
    Content::builder()
        .data(data)
        .charset("UTF-8")
        .build()
        .map_err(|e| ReporterError::request("SES SendEmail", e))
}

impl Mailer for SesMailer {
    async fn send(&self, report: &RenderedReport) -> Result<String, ReporterError> {
        let message = Message::builder()
            // The subject is a header: it must stay on one line whatever it holds.
            .subject(utf8(&header_safe(&report.subject))?)
            .body(
                Body::builder()
                    .html(utf8(&report.html)?)
                    .text(utf8(&report.text)?)
                    .build(),
            )
            .build();
        let output = self
            .client
            .send_email()
            .from_email_address(&self.sender)
            .destination(
                Destination::builder()
                    .set_to_addresses(Some(self.recipients.clone()))
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(send_failure)?;
        Ok(output.message_id.unwrap_or_default())
    }
}

/// A refusal ([`ReporterError::Aws`]) when SES cannot have accepted the email, else
/// [`ReporterError::EmailUnconfirmed`].
fn send_failure(err: SdkError<SendEmailError, HttpResponse>) -> ReporterError {
    let refused = match &err {
        SdkError::ConstructionFailure(_) => true,
        SdkError::ServiceError(context) => context.raw().status().is_client_error(),
        SdkError::DispatchFailure(failure) => never_connected(failure.as_connector_error()),
        _ => false,
    };
    let failure = ServiceFailure::from_sdk("SES SendEmail", err);
    if refused {
        ReporterError::Aws(failure)
    } else {
        ReporterError::EmailUnconfirmed(failure)
    }
}

/// Whether a dispatch failure happened before a connection to SES was made (refused, no
/// route, a name that did not resolve: hyper's `Connect` kind), so no request went out.
fn never_connected(error: Option<&aws_smithy_runtime_api::client::result::ConnectorError>) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = match error {
        Some(e) => Some(e),
        None => return false,
    };
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::AddrNotAvailable
            )
        {
            return true;
        }
        if e.to_string().starts_with("client error (Connect)") {
            return true;
        }
        source = e.source();
    }
    false
}
