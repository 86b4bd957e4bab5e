//! The ingest ceiling, simulated: how many requests a second the pipeline keeps up with, given
//! the measured processor batch time, under the limits AWS publishes for the services in the
//! way (each cited where it is defined):
//!
//! - **message groups**: Lambda processes a FIFO message group one batch (at most 10 messages)
//!   at a time, so one group drains at `10 / batch time` messages a second; with a group per
//!   session there are as many as there are visitors, and the trigger's maximum concurrency is
//!   what bounds the batches in flight;
//! - **the queue**: a FIFO queue in high-throughput mode takes a published number of
//!   `SendMessage` calls a second, which depends on the region; the producer sends each event
//!   with its own call (a Worker cannot batch two visitors' events);
//! - **the table**: on demand, a new table takes 4,000 write units a second at once and doubles
//!   its previous peak within 30 minutes, up to the table's maximum (40,000 by default); one
//!   partition key takes 1,000 a second, which only the week index's key (layout `index`)
//!   shares between requests.
//!
//! The simulation steps one second at a time for ten minutes: requests arrive at a constant
//! rate, the binding limit drains what it can, and the backlog is what is left.

/// One partition key (base table or index), write units a second ("each individual partition
/// is limited to 1,000 write units per second", DynamoDB developer guide, warm throughput).
pub(super) const PARTITION_WRU_PER_SECOND: f64 = 1_000.0;
/// What a new on-demand table sustains at once ("up to 4,000 writes per second", DynamoDB
/// developer guide, pre-warming); it doubles its previous peak within 30 minutes.
pub(super) const NEW_TABLE_WRU_PER_SECOND: f64 = 4_000.0;
/// The on-demand table-level maximum, the default service quota per table (DynamoDB
/// developer guide, service quotas), the same in every region; it can be raised.
pub(super) const TABLE_MAX_WRU_PER_SECOND: f64 = 40_000.0;
/// SQS FIFO without high-throughput mode: messages a second per API action with batches of
/// 10 (300 calls a second).
pub(super) const FIFO_MESSAGES_PER_SECOND: f64 = 3_000.0;
/// Messages in one batch of Lambda's FIFO trigger.
pub(super) const BATCH: f64 = 10.0;

/// A region's published SQS FIFO high-throughput quota (SQS developer guide, quotas for
/// messages: non-batched transactions a second per API action; increases can be requested).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Region {
    pub name: &'static str,
    pub fifo_high_throughput_sends: f64,
}

/// The two regions the project is deployed to first.
pub(super) const REGIONS: [Region; 2] = [
    Region {
        name: "us-east-1",
        fifo_high_throughput_sends: 70_000.0,
    },
    Region {
        name: "eu-west-2",
        fifo_high_throughput_sends: 4_500.0,
    },
];

/// How the producer groups its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Groups {
    /// One group for every event (`analytics`), as the original producer sends.
    One,
    /// A group per session (docs/events.md): as many groups as visitors.
    PerSession,
}

/// What the pipeline is made of.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pipeline {
    /// Messages (events) per request.
    pub events_per_request: f64,
    /// The processor's time for a full batch of 10, in milliseconds.
    pub batch_ms: f64,
    /// Table write units per request (one per event, at worst).
    pub wru_per_request: f64,
    /// Index write units per request on the week key (0 with the scan layout).
    pub index_wru_per_request: f64,
    pub groups: Groups,
    /// The queue in high-throughput mode (`DeduplicationScope: messageGroup`,
    /// `FifoThroughputLimit: perMessageGroupId`).
    pub high_throughput: bool,
    /// The trigger's `ScalingConfig.MaximumConcurrency`.
    pub max_concurrency: u32,
    pub region: Region,
    /// Write units a second the table takes: [`NEW_TABLE_WRU_PER_SECOND`] at first,
    /// [`TABLE_MAX_WRU_PER_SECOND`] once it has grown.
    pub table_wru_per_second: f64,
}

impl Pipeline {
    /// Requests a second each limit sustains.
    pub(super) fn limits(&self) -> Vec<(&'static str, f64)> {
        let batches_per_second = 1_000.0 / self.batch_ms;
        let per_group = BATCH * batches_per_second / self.events_per_request;
        let mut limits = vec![match self.groups {
            Groups::One => ("one message group, one batch at a time", per_group),
            Groups::PerSession => (
                "the trigger's maximum concurrency",
                f64::from(self.max_concurrency) * per_group,
            ),
        }];
        let sends = if self.high_throughput {
            self.region.fifo_high_throughput_sends
        } else {
            // Without high throughput, batched sends would reach 3,000; the producer's are not.
            FIFO_MESSAGES_PER_SECOND / BATCH
        };
        limits.push(("the queue's sends", sends / self.events_per_request));
        limits.push((
            "the table's write units",
            self.table_wru_per_second / self.wru_per_request,
        ));
        if self.index_wru_per_request > 0.0 {
            limits.push((
                "the week index's key",
                PARTITION_WRU_PER_SECOND / self.index_wru_per_request,
            ));
        }
        limits
    }

    /// The limits from the binding one up.
    pub(super) fn ranked(&self) -> Vec<(&'static str, f64)> {
        let mut limits = self.limits();
        limits.sort_by(|a, b| a.1.total_cmp(&b.1));
        limits
    }

    /// The binding limit and its rate.
    pub(super) fn ceiling(&self) -> (&'static str, f64) {
        self.ranked()
            .first()
            .copied()
            .unwrap_or(("none", f64::INFINITY))
    }

    /// Backlog (requests waiting) after `seconds` at `rate` requests a second.
    pub(super) fn backlog_after(&self, rate: f64, seconds: u32) -> f64 {
        let (_, capacity) = self.ceiling();
        let mut backlog = 0.0f64;
        for _ in 0..seconds {
            backlog = (backlog + rate - capacity).max(0.0);
        }
        backlog
    }

    /// The minutes a new on-demand table takes to take `rate` requests a second: it starts
    /// at [`NEW_TABLE_WRU_PER_SECOND`] and doubles its peak every 30 minutes at most.
    pub(super) fn table_warm_up_minutes(&self, rate: f64) -> u32 {
        let needed = rate * self.wru_per_request;
        let mut capacity = NEW_TABLE_WRU_PER_SECOND;
        let mut minutes = 0;
        while capacity < needed && capacity < TABLE_MAX_WRU_PER_SECOND {
            capacity *= 2.0;
            minutes += 30;
        }
        minutes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The deployed configuration: groups per session, high throughput, 100 concurrent
    /// batches, the table grown; the warm batch time BENCHMARKS.md measured.
    fn deployed(region: Region) -> Pipeline {
        Pipeline {
            events_per_request: 1.8,
            batch_ms: 43.3,
            wru_per_request: 1.8,
            index_wru_per_request: 0.0,
            groups: Groups::PerSession,
            high_throughput: true,
            max_concurrency: 100,
            region,
            table_wru_per_second: TABLE_MAX_WRU_PER_SECOND,
        }
    }

    #[test]
    fn the_deployed_pipeline_takes_ten_thousand_requests_a_second_in_us_east_1() {
        let us = deployed(REGIONS[0]);
        let (binding, rate) = us.ceiling();
        println!(
            "us-east-1: {rate:.0} req/s, bound by {binding}; {:?}",
            us.ranked()
        );
        assert!(rate >= 10_000.0, "{rate}");
        assert_eq!(binding, "the trigger's maximum concurrency");
        assert_eq!(us.ranked()[1].0, "the table's write units");
        assert_eq!(us.backlog_after(10_000.0, 600), 0.0);
        // A new table takes an hour and a half of doubling to get there.
        assert_eq!(us.table_warm_up_minutes(10_000.0), 90);
        // In London the queue's published quota binds first, far lower.
        let london = deployed(REGIONS[1]);
        assert_eq!(london.ceiling().0, "the queue's sends");
        assert_eq!(london.ceiling().1, 2_500.0);
    }

    #[test]
    fn one_group_caps_ingest_whatever_the_queue_and_the_index_caps_the_index_layout() {
        let one = Pipeline {
            groups: Groups::One,
            ..deployed(REGIONS[0])
        };
        assert_eq!(one.ceiling().0, "one message group, one batch at a time");
        assert!(one.ceiling().1 < 200.0);
        assert!(one.backlog_after(2_000.0, 10) > 0.0);
        let index = Pipeline {
            index_wru_per_request: 1.0,
            ..deployed(REGIONS[0])
        };
        assert_eq!(index.ceiling(), ("the week index's key", 1_000.0));
    }
}
