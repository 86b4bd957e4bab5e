//! Limits on what a plausible event looks like. The producer's own limits are far lower (a
//! question is 10 to 200 characters, a body about 1 KB); these catch the absurd.

/// Largest message body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Longest `requestId` (the producer sends 36-character UUIDs).
pub const MAX_REQUEST_ID_CHARS: usize = 64;
/// Longest question (the producer sanitises to at most 200 characters).
pub const MAX_QUERY_CHARS: usize = 1_000;
/// Longest `sessionId`.
pub const MAX_SESSION_ID_CHARS: usize = 256;
/// Longest raw header kept from `metadata` (`userAgent`, `referer`).
pub const MAX_HEADER_CHARS: usize = 2_048;
/// Longest `reasoning` text.
pub const MAX_REASONING_CHARS: usize = 2_000;
/// Most entries in `sourcesUsed` (the producer sends at most 5).
pub const MAX_SOURCES: usize = 20;
/// Longest entry in `sourcesUsed`.
pub const MAX_SOURCE_CHARS: usize = 200;
/// Largest `vectorMatches` (the producer sends at most 5).
pub const MAX_VECTOR_MATCHES: u32 = 100;
/// Earliest plausible event time: 2020-01-01T00:00:00Z, long before the chatbot existed.
/// A timestamp in seconds (about 1.7e9) lands in January 1970 and is rejected.
pub const EARLIEST_TIMESTAMP_MS: i64 = 1_577_836_800_000;
/// How far in the future (clock skew) an event time may be.
pub const MAX_FUTURE_SKEW_HOURS: i64 = 24;
/// Longest plausible duration in `performance`, in milliseconds (one hour).
pub const MAX_DURATION_MS: f64 = 3_600_000.0;
/// What a well-formed `requestId` is, as the schema writes it: letters, digits, `-` and
/// `_`, 1 to [`MAX_REQUEST_ID_CHARS`] of them.
pub const REQUEST_ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,64}$";
/// The latest timestamp the schema allows: JavaScript's largest exact integer. The parser's
/// bound is tighter (24 hours after its clock), which a schema cannot say.
pub const MAX_SCHEMA_TIMESTAMP_MS: i64 = 9_007_199_254_740_991;
/// Below this magnitude (other than 0) DynamoDB stores no number.
pub const SMALLEST_STORABLE: f64 = 1e-130;
/// A question must hold a character that is not white space, as Rust's `char::is_whitespace`
/// (Unicode's `White_Space`) says. The class is spelled out: a regex's `\s` differs between
/// engines (JavaScript's has U+FEFF and lacks U+0085) and `\P{White_Space}` is unknown to
/// some (Python's `re`); the contract test checks it character by character.
pub const NOT_ONLY_WHITE_SPACE: &str =
    r"[^\t\n\v\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]";
