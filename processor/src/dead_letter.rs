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
    /// The reason, cut to [`MAX_REASON_CHARS`].
    pub fn short_reason(&self) -> String {
        self.reason.chars().take(MAX_REASON_CHARS).collect()
    }
}

/// Keeps rejected messages, with their reasons, out of the source queue.
pub trait DeadLetterQueue: Send + Sync {
    fn send(
        &self,
        rejection: &Rejection,
    ) -> impl Future<Output = Result<(), ServiceFailure>> + Send;
}
