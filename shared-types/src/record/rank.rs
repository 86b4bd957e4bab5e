//! Which of two events of one kind for one request is kept: the rank (timestamp, then content
//! digest) and the comparison that the fold, the condition expression and the fake all apply.

use std::cmp::Ordering;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::event::{QueryEvent, ResponseEvent};

/// Which of two events of one kind for one request is kept: the earliest, then the one with
/// the smallest content digest. Ordering by rank is total, so every order of delivery keeps
/// the same event.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventRank {
    /// The event's `timestamp`, epoch milliseconds.
    pub timestamp: i64,
    /// [`content_digest`] of the event.
    pub digest: String,
}

/// A stable digest of an event's content: the first 64 bits of the SHA-256 of its JSON form, in
/// 16 lower-case hex digits (so digests compare the same as strings and as numbers).
pub(crate) fn content_digest<T: Serialize>(event: &T) -> String {
    let json = serde_json::to_vec(event).unwrap_or_default();
    let hash = Sha256::digest(&json);
    let mut first = [0u8; 8];
    first.copy_from_slice(&hash[..8]);
    format!("{:016x}", u64::from_be_bytes(first))
}

impl QueryEvent {
    pub fn rank(&self) -> EventRank {
        EventRank {
            timestamp: self.timestamp,
            digest: content_digest(self),
        }
    }
}

impl ResponseEvent {
    pub fn rank(&self) -> EventRank {
        EventRank {
            timestamp: self.timestamp,
            digest: content_digest(self),
        }
    }
}

impl EventRank {
    pub fn as_ref(&self) -> RankRef<'_> {
        RankRef {
            timestamp: self.timestamp,
            digest: Some(&self.digest),
        }
    }
}

/// A rank as read from an item: items written before digests were stored have a timestamp and
/// no digest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RankRef<'a> {
    pub timestamp: i64,
    pub digest: Option<&'a str>,
}

/// How a candidate event compares with the stored event of the same kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing is stored, or the stored event ranks after the candidate: the candidate replaces it.
    Wins,
    /// The stored event is the candidate itself.
    Same,
    /// The stored event ranks before the candidate: the candidate is not stored.
    Loses,
}

/// Compares a candidate with what is stored for its half. A stored half without a digest (an
/// item from before digests were stored) with the same timestamp is replaced, which upgrades it.
pub fn compare(candidate: RankRef<'_>, stored: Option<RankRef<'_>>) -> Verdict {
    let Some(stored) = stored else {
        return Verdict::Wins;
    };
    match stored.timestamp.cmp(&candidate.timestamp) {
        Ordering::Greater => Verdict::Wins,
        Ordering::Less => Verdict::Loses,
        Ordering::Equal => match stored
            .digest
            .map(|d| d.cmp(candidate.digest.unwrap_or_default()))
        {
            None | Some(Ordering::Greater) => Verdict::Wins,
            Some(Ordering::Equal) => Verdict::Same,
            Some(Ordering::Less) => Verdict::Loses,
        },
    }
}
