//! The adapters on AWS behind the capabilities: the records table ([`dynamo`]: the record
//! source and the report ledger) and SES v2 ([`ses`]).

pub(crate) mod dynamo;
pub(crate) mod ses;
