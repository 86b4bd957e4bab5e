//! The ingest ceiling, simulated: how many requests a second the pipeline keeps up with, given
//! the measured processor batch time and index write units, under the two structural limits:
//!
//! - **one FIFO message group**: Lambda processes a group one batch (at most 10 messages) at a
//!   time, so the group drains at `10 / batch time` messages a second, whatever the concurrency;
//! - **the week index's partition key** (the `index` layout): every request of a week writes the
//!   same index key once, and one partition key takes about 1,000 write units a second; the
//!   `scan` layout has no such key.
//!
//! The simulation steps one second at a time for ten minutes: requests arrive at a constant
//! rate, each limit drains what it can, and the backlog is what is left.

/// Published limit of one partition key (base table or index), write units a second.
pub const PARTITION_WRU_PER_SECOND: f64 = 1_000.0;
/// SQS FIFO without high-throughput mode: messages a second with batches of 10.
pub const FIFO_MESSAGES_PER_SECOND: f64 = 3_000.0;

/// What the pipeline is made of.
#[derive(Debug, Clone, Copy)]
pub struct Pipeline {
    /// Messages (events) per request.
    pub events_per_request: f64,
    /// The processor's time for a full batch of 10, in milliseconds.
    pub batch_ms: f64,
    /// Index write units per request.
    pub index_wru_per_request: f64,
    /// Message groups the producer uses.
    pub groups: u32,
    /// Week-key shards the index is spread over.
    pub week_shards: u32,
}

impl Pipeline {
    /// Requests a second each limit sustains.
    pub fn limits(&self) -> [(&'static str, f64); 3] {
        let group =
            f64::from(self.groups) * 10.0 / (self.batch_ms / 1_000.0) / self.events_per_request;
        // Without an index (the scan layout) no key is shared by a week's requests.
        let index = if self.index_wru_per_request > 0.0 {
            f64::from(self.week_shards) * PARTITION_WRU_PER_SECOND / self.index_wru_per_request
        } else {
            f64::INFINITY
        };
        let fifo = FIFO_MESSAGES_PER_SECOND / self.events_per_request;
        [
            ("message groups (one batch at a time each)", group),
            ("week index partition keys", index),
            ("SQS FIFO queue throughput", fifo),
        ]
    }

    /// The binding limit and its rate.
    pub fn ceiling(&self) -> (&'static str, f64) {
        self.limits()
            .into_iter()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or(("none", f64::INFINITY))
    }

    /// Backlog (requests waiting) after `seconds` at `rate` requests a second.
    pub fn backlog_after(&self, rate: f64, seconds: u32) -> f64 {
        let (_, capacity) = self.ceiling();
        let mut backlog = 0.0f64;
        for _ in 0..seconds {
            backlog = (backlog + rate - capacity).max(0.0);
        }
        backlog
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pipeline(index_wru_per_request: f64, groups: u32) -> Pipeline {
        Pipeline {
            events_per_request: 1.8,
            batch_ms: 50.0,
            index_wru_per_request,
            groups,
            week_shards: 1,
        }
    }

    #[test]
    fn the_week_index_caps_ingest_and_the_scan_layout_has_no_such_cap() {
        let index = pipeline(1.0, 1_000);
        assert_eq!(index.limits()[1].1, 1_000.0);
        assert_eq!(index.ceiling().0, "week index partition keys");
        let scan = pipeline(0.0, 1_000);
        assert!(scan.limits()[1].1.is_infinite());
        assert_eq!(scan.ceiling().0, "SQS FIFO queue throughput");
        assert_eq!(scan.backlog_after(1_000.0, 600), 0.0);
        assert!(index.backlog_after(2_000.0, 10) > 0.0);
    }
}
