//! What the processor attaches to a message it puts in the dead-letter queue, so that the
//! maintainer command can read why and redrive it after a fix.

/// Name of the message attribute that carries the rejection reason.
pub const REASON_ATTRIBUTE: &str = "rejectionReason";
/// Name of the message attribute that carries the id of the rejected message.
pub const SOURCE_MESSAGE_ID_ATTRIBUTE: &str = "sourceMessageId";
