//! Text from outside (visitors' questions, the subject): the key a question is counted and
//! grouped under, its spelling as shown, and the text made safe to show: a header stays one
//! line, bidirectional controls cannot reverse or spoof what the reader sees, and long text is
//! cut. Escaping for HTML is the template's job.

use unicode_normalization::UnicodeNormalization;

/// Sentence punctuation removed from the end of a question. Not `#` or `+`: "C#" and "C++"
/// are what people ask a CV about.
const TRAILING_PUNCTUATION: [char; 9] = ['?', '!', '.', ',', ';', ':', '…', '？', '！'];

/// Normalises a question for grouping: Unicode compatibility form and full case folding
/// (NFKC, then Unicode case folding, then NFKC again: full-width `Ｃ＃` is `c#`, a decomposed
/// accent matches the composed one, `STRASSE` matches `straße`), runs of white space as one
/// space, and no trailing sentence punctuation.
pub fn normalise_question(text: &str) -> String {
    let compatible: String = text.nfkc().collect();
    let folded: String = caseless::default_case_fold_str(&compatible)
        .nfkc()
        .collect();
    spelling(&folded)
}

/// A question as written, tidied only: runs of white space as one space, no trailing sentence
/// punctuation; case and characters kept (the report shows `.NET`, not `.net`).
pub(crate) fn spelling(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    words
        .join(" ")
        .trim_end_matches(|c: char| TRAILING_PUNCTUATION.contains(&c) || c.is_whitespace())
        .to_owned()
}

/// Longest question shown, in characters.
pub(crate) const MAX_QUESTION_CHARS: usize = 160;

/// Removes CR, LF and every other control character: a header stays one line.
pub fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bidirectional formatting characters: an override in a question must not reverse the text
/// after it (in the plain-text email, the rest of its line), nor spoof what the reader sees.
const BIDI_CONTROLS: [char; 12] = [
    '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
    '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
];

/// Text from the chatbot's users as the report shows it: bidirectional controls removed, other
/// control characters (CR, LF, NUL, ESC, ...) as spaces, runs of spaces as one, at most
/// `MAX_QUESTION_CHARS` characters. Escaping for HTML is the template's job.
pub(crate) fn shown_question(text: &str) -> String {
    let text: String = text
        .chars()
        .filter(|c| !BIDI_CONTROLS.contains(c))
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        return "(empty)".to_owned();
    }
    let mut chars = text.chars();
    let shown: String = chars.by_ref().take(MAX_QUESTION_CHARS).collect();
    if chars.next().is_some() {
        format!("{shown}…")
    } else {
        shown
    }
}
