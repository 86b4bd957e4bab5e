//! The figures `BENCHMARKS.md` is written from, and what follows from them: costs, the cheapest
//! memory size, the ceiling's pipeline, where a scan costs as much as the index.

use shared_types::record::WeekLookup;

use super::ceiling::{Groups, Pipeline, Region, TABLE_MAX_WRU_PER_SECOND};
use super::cost::{Inputs, per_million};
use super::lambda_like::{ProbeStep, Setting};
use super::requests::{Arrangement, ReportRead};
use super::stats::median;
use super::{NODE_HELLO_WORLD_COLD_MS, OLD_MEMORY_MB, WEEKS_HELD};

/// Everything the document is written from.
pub(crate) struct Figures {
    pub(crate) trials: usize,
    /// The functions' memory sizes and the reporter's timeout, as deployed (the Makefile's).
    pub(crate) deployed: Deployed,
    pub(crate) sizes: Vec<(&'static str, u64)>,
    pub(crate) cold: ColdStarts,
    /// The three arrangements on each layout.
    pub(crate) arrangements: Vec<Arrangement>,
    pub(crate) old: Arrangement,
    pub(crate) reads: Vec<ReportRead>,
    pub(crate) scaling: String,
}

impl Figures {
    pub(crate) fn arrangement(&self, lookup: WeekLookup, index: usize) -> &Arrangement {
        self.arrangements
            .iter()
            .filter(|a| a.lookup == Some(lookup))
            .nth(index)
            .unwrap_or(&self.old)
    }
}

/// The functions as the Makefile deploys them.
/// One function's runs in one setting.
#[derive(Debug, Clone, Default)]
pub(super) struct Runs {
    pub name: String,
    pub init_ms: Vec<f64>,
    pub first_ms: Vec<f64>,
    pub second_ms: Vec<f64>,
    pub init_cpu_ms: Vec<f64>,
    pub first_cpu_ms: Vec<f64>,
    pub second_cpu_ms: Vec<f64>,
    /// Peak resident memory per trial, in MiB.
    pub peak_rss_mib: Vec<f64>,
}

impl Runs {
    pub(super) fn init(&self) -> f64 {
        median(&self.init_ms)
    }

    pub(super) fn first(&self) -> f64 {
        median(&self.first_ms)
    }

    pub(super) fn second(&self) -> f64 {
        median(&self.second_ms)
    }

    pub(super) fn rss(&self) -> f64 {
        median(&self.peak_rss_mib)
    }

    /// Milliseconds Lambda bills for a cold start: init and the first invocation, each rounded
    /// up to the millisecond.
    pub(super) fn billed_cold_ms(&self) -> f64 {
        self.init().ceil() + self.first().ceil()
    }

    /// Milliseconds Lambda bills a warm invocation.
    pub(super) fn billed_warm_ms(&self) -> f64 {
        self.second().ceil()
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Deployed {
    pub(crate) processor_memory_mb: u32,
    pub(crate) reporter_memory_mb: u32,
    pub(crate) reporter_timeout_s: u32,
    pub(crate) processor_max_concurrency: u32,
}

/// The cold-start runs.
pub(crate) struct ColdStarts {
    /// The processor (a batch of 10) in each setting.
    pub(crate) processor: Vec<(String, Runs)>,
    pub(crate) minimal: Vec<(String, Runs)>,
    pub(crate) reporter: Vec<(String, Runs)>,
    /// Where the time goes at 128 MB over TLS; empty when shares cannot be made here.
    pub(crate) probe: Vec<ProbeStep>,
    pub(crate) system_roots: usize,
    /// Why the runs in a CPU share were left out, if they were.
    pub(crate) no_shares: Option<String>,
}

impl ColdStarts {
    pub(crate) fn processor(&self, label: &str) -> Option<&Runs> {
        self.processor
            .iter()
            .find(|(l, _)| l == label)
            .map(|(_, r)| r)
    }
}

impl ColdStarts {
    /// The processor's warm invocation at `memory_mb`: in its share over TLS where measured.
    pub(crate) fn processor_warm_ms(&self, memory_mb: u32) -> f64 {
        self.processor(&label(memory_mb, true, true))
            .or_else(|| self.processor(&label(memory_mb, false, false)))
            .map_or(f64::NAN, Runs::second)
    }
}

pub(crate) fn label(memory_mb: u32, shared: bool, tls: bool) -> String {
    Setting {
        memory_mb,
        shared,
        tls,
    }
    .label()
}

/// The 1,000,000 row of the reporter's scaling table: seconds and peak RSS (MiB).
pub(crate) fn million_row(scaling: &str) -> Option<(f64, f64)> {
    let row = scaling.lines().find(|l| l.starts_with("| 1000000 |"))?;
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    Some((cells.get(4)?.parse().ok()?, cells.get(7)?.parse().ok()?))
}

pub(crate) fn inputs(f: &Figures, a: &Arrangement, invocation_ms: f64, memory_mb: f64) -> Inputs {
    Inputs {
        events_per_request: events_per_request(f),
        batch_size: 10.0,
        invocation_ms,
        memory_mb,
        wru_per_request: a.wru_per_request(),
        rru_per_request: read_rru_per_request(f, a.lookup),
    }
}

pub(crate) fn old_inputs(f: &Figures) -> Inputs {
    Inputs {
        events_per_request: events_per_request(f),
        batch_size: 10.0,
        invocation_ms: NODE_HELLO_WORLD_COLD_MS,
        memory_mb: OLD_MEMORY_MB,
        wru_per_request: f.old.wru_per_request(),
        rru_per_request: f.old.tally.rru / f.old.requests as f64,
    }
}

/// A report's reads per request of the week, with the default's 13 weeks held.
pub(crate) fn read_rru_per_request(f: &Figures, lookup: Option<WeekLookup>) -> f64 {
    lookup
        .and_then(|l| {
            f.reads
                .iter()
                .find(|r| r.lookup == l && r.weeks_held == WEEKS_HELD[1])
        })
        .map_or(0.0, ReportRead::rru_per_request)
}

pub(crate) fn events_per_request(f: &Figures) -> f64 {
    (f.old.requests + f.old.answered) as f64 / f.old.requests as f64
}

/// Of the memory sizes measured in their share over TLS, the one whose processor costs least
/// per million requests (warm invocations, the arrangement with halves apart).
pub(crate) fn cheapest_memory(f: &Figures) -> (u32, f64) {
    let apart = f.arrangement(WeekLookup::Scan, 1);
    [
        f.deployed.processor_memory_mb,
        f.deployed.reporter_memory_mb,
    ]
    .into_iter()
    .filter_map(|mb| {
        let runs = f.cold.processor(&label(mb, true, true))?;
        let cost = per_million(inputs(f, apart, runs.second(), f64::from(mb)));
        Some((mb, cost.lambda_compute + cost.lambda_requests))
    })
    .min_by(|a, b| a.1.total_cmp(&b.1))
    .unwrap_or((f.deployed.processor_memory_mb, f64::NAN))
}

/// The pipeline as deployed with the `lookup` layout in `region`, its table grown to the
/// on-demand maximum: halves apart (the worst case for write units).
pub(crate) fn pipeline(f: &Figures, lookup: WeekLookup, region: Region) -> Pipeline {
    let apart = f.arrangement(lookup, 1);
    Pipeline {
        events_per_request: events_per_request(f),
        batch_ms: f.cold.processor_warm_ms(f.deployed.processor_memory_mb),
        wru_per_request: apart.wru_per_request(),
        index_wru_per_request: apart.tally.index_wru / apart.requests as f64,
        groups: Groups::PerSession,
        high_throughput: true,
        max_concurrency: f.deployed.processor_max_concurrency,
        region,
        table_wru_per_second: TABLE_MAX_WRU_PER_SECOND,
    }
}

/// RRU per request of the week that one more week held adds to a scan, from the two points.
pub(crate) fn scan_growth(f: &Figures) -> Option<f64> {
    let at = |weeks: usize| {
        f.reads
            .iter()
            .find(|r| r.lookup == WeekLookup::Scan && r.weeks_held == weeks)
            .map(ReportRead::rru_per_request)
    };
    Some((at(WEEKS_HELD[1])? - at(WEEKS_HELD[0])?) / (WEEKS_HELD[1] - WEEKS_HELD[0]) as f64)
}

/// Weeks held at which the scan's read per request costs as much as the index's read and write.
pub(crate) fn scan_crossover_weeks(f: &Figures) -> Option<f64> {
    let growth = scan_growth(f)?;
    let scan_at = f
        .reads
        .iter()
        .find(|r| r.lookup == WeekLookup::Scan && r.weeks_held == WEEKS_HELD[1])?
        .rru_per_request();
    let index = f
        .reads
        .iter()
        .find(|r| r.lookup == WeekLookup::Index && r.weeks_held == WEEKS_HELD[1])?
        .rru_per_request();
    let index_wru = f.arrangement(WeekLookup::Index, 1).wru_per_request()
        - f.arrangement(WeekLookup::Scan, 1).wru_per_request();
    let index_in_rru = index
        + index_wru * super::cost::DYNAMODB_PER_MILLION_WRU / super::cost::DYNAMODB_PER_MILLION_RRU;
    (growth > 0.0).then(|| WEEKS_HELD[1] as f64 + (index_in_rru - scan_at) / growth)
}

/// What finding a request again costs per million requests, with 13 weeks held.
pub(crate) fn read_cost(f: &Figures, lookup: WeekLookup) -> String {
    let rru = read_rru_per_request(f, Some(lookup)) * super::cost::DYNAMODB_PER_MILLION_RRU;
    let wru = match lookup {
        WeekLookup::Scan => 0.0,
        WeekLookup::Index => {
            f.arrangement(WeekLookup::Index, 1).wru_per_request()
                - f.arrangement(WeekLookup::Scan, 1).wru_per_request()
        }
    } * super::cost::DYNAMODB_PER_MILLION_WRU;
    dollars(rru + wru)
}

pub(crate) fn dollars(x: f64) -> String {
    format!("${x:.4}")
}
