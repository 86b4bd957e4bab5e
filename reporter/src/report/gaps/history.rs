//! A week's gaps against the weeks before: whether each is new, rising, also last week's or
//! persisting; which of last week's gaps were resolved; and the gaps a week's marker keeps for
//! later weeks to recognise.

use shared_types::record::report_marker::StoredGap;

use super::classify::{FoundGaps, Gap};
use super::grouping::Reading;
use super::lexical::{Features, Vocabulary, cosine};
use crate::report::aggregate::WeekAggregator;
use crate::report::significance;

/// Similarity at which a gap is taken for one of an earlier week.
pub(super) const SAME_GAP: f32 = 0.5;
/// Content gaps stored in a week's marker, for later weeks to recognise.
pub(crate) const MAX_STORED_GAPS: usize = 25;

/// How a gap stands against the weeks before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapStatus {
    /// Not among last week's gaps (the first week it appears, or back after a week without).
    New,
    /// Among last week's gaps, and asked more this week beyond noise.
    Rising,
    /// Among last week's gaps, not among those of the week before.
    LastWeekToo,
    /// Among the gaps of each of the last two weeks.
    Persisting,
}

impl GapStatus {
    pub fn label(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Rising => "rising",
            Self::LastWeekToo => "also last week",
            Self::Persisting => "persisting",
        }
    }
}

impl Gap {
    pub fn stored(&self) -> StoredGap {
        StoredGap {
            representative: self.representative.clone(),
            label: Some(self.label.clone()),
            asked: self.asked,
            centroid: self.centroid.clone(),
        }
    }
}

impl FoundGaps {
    /// The gaps a week's marker keeps: the [`MAX_STORED_GAPS`] most asked.
    pub fn stored(&self) -> Vec<StoredGap> {
        self.gaps
            .iter()
            .take(MAX_STORED_GAPS)
            .map(Gap::stored)
            .collect()
    }
}

/// How `gap` stands against last week's gaps and the week before's (`None`: nothing is known
/// of that week; a week without a report, as an empty week not sent, comes as no gaps).
pub fn status(
    gap: &Gap,
    last_week: Option<&[StoredGap]>,
    week_before: Option<&[StoredGap]>,
    vocabulary: &Vocabulary,
) -> GapStatus {
    let like =
        |stored: &StoredGap| cosine(&gap.vector, &vocabulary.stored(&stored.centroid)) >= SAME_GAP;
    let Some(last) = last_week.and_then(|gaps| gaps.iter().find(|s| like(s))) else {
        return GapStatus::New;
    };
    if gap.asked > last.asked && significance::count_changed(gap.asked, last.asked) {
        GapStatus::Rising
    } else if week_before.is_some_and(|gaps| gaps.iter().any(like)) {
        GapStatus::Persisting
    } else {
        GapStatus::LastWeekToo
    }
}

/// A gap of last week that this week's questions no longer make.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub representative: String,
    /// This week's askings like it that got a full match.
    pub full_matches: u64,
}

/// Last week's gaps that are not gaps any more: questions like them were asked this week and
/// got full matches, and no gap of this week is like them.
pub fn resolved(last_week: &[StoredGap], now: &FoundGaps, week: &WeekAggregator) -> Vec<Resolved> {
    if last_week.is_empty() {
        return Vec::new();
    }
    // The questions answered with full matches, in their own terms: a resolved gap's terms
    // are theirs, not this week's gaps'.
    let readings: Vec<(Reading, u64)> = week
        .questions
        .iter()
        .filter(|(_, s)| s.full > 0)
        .map(|(k, s)| (Reading::of(k), s.full))
        .collect();
    let answered_terms = Reading::vocabulary(readings.iter().map(|(r, _)| r));
    let answered: Vec<(Features, u64)> = readings
        .iter()
        .map(|(r, n)| (r.vector(&answered_terms), *n))
        .collect();
    last_week
        .iter()
        .filter_map(|stored| {
            let features = now.vocabulary.stored(&stored.centroid);
            if now
                .gaps
                .iter()
                .any(|g| cosine(&g.vector, &features) >= SAME_GAP)
            {
                return None;
            }
            let features = answered_terms.stored(&stored.centroid);
            let full_matches: u64 = answered
                .iter()
                .filter(|(v, _)| cosine(v, &features) >= SAME_GAP)
                .map(|(_, n)| n)
                .sum();
            (full_matches > 0).then(|| Resolved {
                representative: stored
                    .label
                    .clone()
                    .unwrap_or_else(|| stored.representative.clone()),
                full_matches,
            })
        })
        .collect()
}
