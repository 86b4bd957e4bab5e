//! Where poison messages go: the [`DeadLetterQueue`] capability (its in-memory fake is in
//! `fakes`).

use std::future::Future;

use crate::error::ServiceFailure;

/// Longest reason attached, in characters (a reason quoting a huge field stays readable).
const MAX_REASON_CHARS: usize = 1_000;

/// A message that can never be processed, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub message_id: String,
    pub body: String,
    /// The producer's `MessageGroupId`, kept so that a redrive lands in the same group.
    pub group_id: Option<String>,
    pub reason: String,
}

impl Rejection {
    /// The reason, cut to [`MAX_REASON_CHARS`], every character SQS refuses in a message
    /// attribute written as its escape (`\u{1}`): a reason quoting a control character is
    /// still sent at once.
    pub fn short_reason(&self) -> String {
        self.reason
            .chars()
            .flat_map(|c| {
                let accepted = sqs_accepts_in_an_attribute(c);
                let escaped = c.escape_unicode().filter(move |_| !accepted);
                std::iter::once(c).filter(move |_| accepted).chain(escaped)
            })
            .take(MAX_REASON_CHARS)
            .collect()
    }
}

/// What SQS accepts in a message attribute: #x9, #xA, #xD, #x20 to #xD7FF, #xE000 to #xFFFD,
/// #x10000 to #x10FFFF (a Rust `char` is never a surrogate).
fn sqs_accepts_in_an_attribute(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Keeps rejected messages, with their reasons, out of the source queue.
pub trait DeadLetterQueue: Send + Sync {
    fn send(
        &self,
        rejection: &Rejection,
    ) -> impl Future<Output = Result<(), ServiceFailure>> + Send;
}
