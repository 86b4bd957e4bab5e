//! Cost per million requests from measured figures and published prices.
//!
//! Prices: `docs/costs.md` (published AWS prices, us-east-1, 2026): Lambda arm64
//! $0.0000133334 per GB-second and $0.20 per million requests; DynamoDB on demand $0.625 per
//! million write units and $0.125 per million read units; SQS FIFO $0.50 per million requests.

pub(super) const LAMBDA_GB_SECOND: f64 = 0.000_013_333_4;
pub(super) const LAMBDA_PER_MILLION_INVOCATIONS: f64 = 0.20;
pub(super) const DYNAMODB_PER_MILLION_WRU: f64 = 0.625;
pub(super) const DYNAMODB_PER_MILLION_RRU: f64 = 0.125;
pub(super) const SQS_PER_MILLION_REQUESTS: f64 = 0.50;

/// What one design spends on a million requests, and what it is made of.
#[derive(Debug, Clone, Copy)]
pub(super) struct Inputs {
    /// Messages the producer sends per request.
    pub events_per_request: f64,
    /// Messages per processor invocation.
    pub batch_size: f64,
    /// Billed duration of one invocation, in milliseconds (rounded up to the millisecond).
    pub invocation_ms: f64,
    pub memory_mb: f64,
    pub wru_per_request: f64,
    pub rru_per_request: f64,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Cost {
    pub lambda_compute: f64,
    pub lambda_requests: f64,
    pub dynamodb: f64,
    pub sqs: f64,
}

impl Cost {
    pub(super) fn total(&self) -> f64 {
        self.lambda_compute + self.lambda_requests + self.dynamodb + self.sqs
    }
}

/// The cost of one million requests.
pub(super) fn per_million(inputs: Inputs) -> Cost {
    let requests = 1e6;
    let messages = requests * inputs.events_per_request;
    let invocations = messages / inputs.batch_size;
    let gb_seconds =
        invocations * inputs.invocation_ms.ceil() / 1_000.0 * inputs.memory_mb / 1_024.0;
    // The producer's sends, and per invocation one receive and one batched delete.
    let sqs_requests = messages + 2.0 * invocations;
    Cost {
        lambda_compute: gb_seconds * LAMBDA_GB_SECOND,
        lambda_requests: invocations / 1e6 * LAMBDA_PER_MILLION_INVOCATIONS,
        dynamodb: inputs.wru_per_request * DYNAMODB_PER_MILLION_WRU
            + inputs.rru_per_request * DYNAMODB_PER_MILLION_RRU,
        sqs: sqs_requests / 1e6 * SQS_PER_MILLION_REQUESTS,
    }
}
