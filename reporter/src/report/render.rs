//! The email bodies, rendered by askama from the [`ReportView`].
//!
//! The HTML template escapes every value (askama's default for `.html`); no value is marked
//! `|safe`. The text template is plain text: nothing in it is interpreted.

use askama::Template;

use crate::error::ReporterError;
use crate::report::view::ReportView;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportHtml<'a> {
    view: &'a ReportView,
}

#[derive(Template)]
#[template(path = "report.txt")]
struct ReportText<'a> {
    view: &'a ReportView,
}

/// A rendered email.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedReport {
    pub subject: String,
    pub html: String,
    pub text: String,
}

/// Renders both bodies of the report.
pub fn render(view: &ReportView) -> Result<RenderedReport, ReporterError> {
    Ok(RenderedReport {
        subject: view.subject.clone(),
        html: ReportHtml { view }.render()?,
        text: ReportText { view }.render()?,
    })
}
