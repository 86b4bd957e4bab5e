//! [`SesMailer`]: the [`Mailer`] on SES v2 `SendEmail`, with an HTML and a plain-text body.

use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

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
            .map_err(|e| ReporterError::aws("SES SendEmail", e))?;
        Ok(output.message_id.unwrap_or_default())
    }
}
