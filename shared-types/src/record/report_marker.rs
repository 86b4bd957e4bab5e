//! The weekly report's marker, `REPORT#<week>`: the reporter's exactly-once ledger and the
//! week's figures as reported, read by later reports and by the maintainer command. It has no
//! `week` attribute, so the week index never lists it.

use serde::{Deserialize, Serialize};

pub const STATUS: &str = "status";
/// When the claim was taken, epoch milliseconds (the reporter's clock in Lambda).
pub const CLAIMED_AT: &str = "claimedAt";
/// Until when the claim protects a send in progress, epoch milliseconds: the claiming
/// invocation's deadline, which Lambda sets.
pub const LEASE_UNTIL: &str = "leaseUntil";
/// A random token of the claim, the same in every attempt the SDK makes of one claim: a claim
/// refused because of itself (its first attempt was applied and DynamoDB's answer lost) is
/// told from another invocation's.
pub const CLAIM_TOKEN: &str = "claimToken";
pub const SENT_AT: &str = "sentAt";
pub const MESSAGE_ID: &str = "messageId";
/// The [`WeekSummary`] of the report as sent, corrected by later reports.
pub const SUMMARY: &str = "summary";
/// `status` while an invocation holds the claim.
pub const SENDING: &str = "sending";
/// `status` once SES accepted the email.
pub const SENT: &str = "sent";
/// The attribute of a [`WeekSummary`] that names the report that corrected it.
pub const CORRECTED_BY: &str = "correctedBy";
/// The attribute of a [`WeekSummary`] that holds its report's pending corrections.
pub const CORRECTIONS: &str = "corrections";

/// A week's figures as its report counted them, stored in the week's marker when the report
/// is sent, so that later reports read them instead of the week's records, and corrected
/// when requests arrive for the week after its report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeekSummary {
    /// Requests filed under the week (the week index's entries for it) when counted.
    #[serde(default)]
    pub indexed: u64,
    /// What those requests were: the XOR of a 64-bit hash of each one's key
    /// ([`request_set_hash`]). A later report finds the week changed when a request left it
    /// and another arrived, which leaves the count as it was. Absent in markers written
    /// before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<u64>,
    /// What those requests were and which of them had their query: the XOR of
    /// [`request_state_hash`] of each. It changes too when a late query joins a response
    /// already filed under the week, or a request leaves the week and comes back with its
    /// query. Absent in markers written before it was kept, whose `fingerprint` is compared
    /// instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_fingerprint: Option<u64>,
    /// The report week whose late-arrival correction these figures are, if any: a
    /// correction applies only over an older one, so a retried correction never undoes a
    /// later report's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrected_by: Option<crate::week::WeekId>,
    /// The corrections of earlier weeks that this report made (its late arrivals), stored
    /// with the sent mark in one write, until each is applied to its week's marker: a
    /// correction that fails is applied by a later run, and the late arrivals it carries
    /// are never reported again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub corrections: Vec<Correction>,
    pub asked: u64,
    pub answered: u64,
    /// Questions that got a useful answer (a full match, or a partial one at or above the
    /// reporter's threshold); absent in markers written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub useful: Option<u64>,
    /// Responses whose question never arrived.
    pub incomplete: u64,
    /// Requests that arrived after the week's report was sent, as later reports found.
    #[serde(default)]
    pub late: u64,
    /// The week's content gaps as its report listed them, for later weeks to recognise.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gaps: Vec<StoredGap>,
}

/// A content gap as a week's marker keeps it: what it was asked as, how often, and the
/// centroid of its questions (its heaviest features, of length 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredGap {
    pub representative: String,
    /// What the email called it (`Salary expectations`); absent in markers written before
    /// gaps had labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    pub asked: u64,
    pub centroid: Vec<(String, f32)>,
}

/// Longest representative or label a stored gap keeps, in characters (the email shows 160).
const MAX_STORED_TEXT_CHARS: usize = 200;
/// Longest feature a stored centroid keeps, in characters: a longer one (a word of hundreds of
/// characters) is left out, and the centroid scaled back to length 1.
const MAX_STORED_FEATURE_CHARS: usize = 64;

impl StoredGap {
    /// The gap with every text bounded, so that a marker of 25 gaps stays far below DynamoDB's
    /// 400 KB item limit whatever the questions: its representative and label cut to 200
    /// characters, its centroid without features over 64.
    pub fn bounded(self) -> Self {
        let cut = |text: String| text.chars().take(MAX_STORED_TEXT_CHARS).collect::<String>();
        let kept: Vec<(String, f32)> = self
            .centroid
            .into_iter()
            .filter(|(feature, _)| feature.chars().count() <= MAX_STORED_FEATURE_CHARS)
            .collect();
        let norm = kept.iter().map(|(_, w)| w * w).sum::<f32>().sqrt();
        Self {
            representative: cut(self.representative),
            label: self.label.map(cut),
            asked: self.asked,
            centroid: kept
                .into_iter()
                .map(|(feature, w)| (feature, if norm > 0.0 { w / norm } else { w }))
                .collect(),
        }
    }
}

/// An earlier week's figures as a report recounted them (late arrivals).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Correction {
    pub week: crate::week::WeekId,
    /// The figures only: no gaps (a corrected week keeps the gaps its report listed) and no
    /// corrections of its own, so a mark carrying five stays small.
    pub summary: WeekSummary,
}

impl WeekSummary {
    pub fn unanswered(&self) -> u64 {
        self.asked.saturating_sub(self.answered)
    }
}

/// The fingerprint of a set of requests: the XOR of the FNV-1a hash of each key, so that it
/// does not depend on the order they are read in. Stable across versions and platforms.
pub fn request_set_hash<'a>(keys: impl IntoIterator<Item = &'a str>) -> u64 {
    keys.into_iter().fold(0, |set, key| set ^ key_hash(key))
}

/// The hash of one request's key and whether it has its query: [`key_hash`] for a request
/// without its query, another for one with it.
pub fn request_state_hash(key: &str, has_query: bool) -> u64 {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(key.as_bytes());
    if has_query {
        hasher.write(b"#query");
    }
    hasher.finish()
}

/// The 64-bit FNV-1a hash of one request's key.
pub fn key_hash(key: &str) -> u64 {
    use std::hash::Hasher;
    let mut hasher = fnv::FnvHasher::default();
    hasher.write(key.as_bytes());
    hasher.finish()
}
