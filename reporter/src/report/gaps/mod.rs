//! Content gaps: the week's questions that got no useful answer, grouped by meaning, locally and
//! deterministically, so that "what is your salary expectation", "how much do you want to be
//! paid" and "Quelles sont ses prétentions salariales ?" are one gap asked three ways, and
//! "do you know cobol", "cobol experience?" another.
//!
//! **Method** ([`grouping`]). A question is read as its words ([`words`]: folded, aliases made one, function
//! words and pronouns of seven languages and the fillers of every CV question set apart). First
//! by **topic** ([`topics`], `reporter/data/topics.toml`): the questions every CV chatbot is
//! asked (salary, notice period, relocation, visa, languages spoken, ...), recognised by their
//! triggers in English, French, German, Spanish, Dutch, Italian and Portuguese, are one gap per
//! topic whatever their words (a topic that splits, such as certifications, is one gap per
//! language). The rest are grouped by their **words** ([`lexical`]): TF-IDF vectors of their
//! content stems and trigrams, average-linkage clustering at cosine [`THRESHOLD`]; a content
//! word the week uses with more than two subjects (the owner's name) is set aside. Off-topic
//! questions ("can you fix my printer") are counted apart and never a gap.
//!
//! **Which gap is what** ([`classify`]). A group whose questions got a useful answer at other times this week
//! is the bot's failure, not the CV's ([`GapClass::BotMissed`]); one whose questions got no
//! response at all says nothing about the CV yet ([`GapClass::NoResponse`]); the others are
//! what the CV does not cover ([`GapClass::NotInCv`]).
//!
//! **Against the weeks before** ([`history`]): whether a gap is new, rising, also last week's or
//! persisting, which of last week's gaps were resolved, and the gaps a week's marker keeps for
//! later weeks to recognise.
//!
//! **A list of questions** ([`listing`]): where each question of a file goes, as the report
//! would group it (`make gaps`).
//!
//! **Quality** is measured on two labelled sets of questions (`reporter/tests/it/gaps/`): the
//! set the method was tuned on, and a set written by someone else without it, which the
//! method never saw while it was made; `cargo test -p reporter --test it gaps -- --nocapture`
//! prints the adjusted Rand index and pairwise F1 of both.

mod classify;
mod grouping;
mod history;
mod lexical;
mod listing;
mod skills;
mod topics;
mod words;

pub use classify::{FoundGaps, Gap, GapClass, find};
pub(crate) use grouping::MAX_CLUSTERED;
pub use grouping::{About, Group, Grouping, THRESHOLD, group_at};
pub use history::{GapStatus, Resolved, resolved, status};
pub use listing::{Assignment, assignments};
