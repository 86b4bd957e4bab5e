//! A question as the scrubbing rules read it: one ASCII character for each character of the
//! text, so that the rules (ASCII patterns) see what a reader, and the report after its NFKC
//! normalisation, sees.
//!
//! - Compatibility forms become what they stand for: full-width `０２０` is `020`, `＠` is `@`,
//!   `ｊａｎｅ` is `jane`, a no-break or ideographic space is a space.
//! - Every dash (hyphen, non-breaking hyphen, en and em dash, minus) is `-`.
//! - Any other letter or digit of any script is `a`, so that `josé@exämple.de` and
//!   `用户@例子.广告` have the shape of an e-mail address.
//! - Anything else is `~`, which no rule reads as part of anything.
//!
//! A match in the view is a span of characters, the same span in the text: what is replaced is
//! exactly what was typed, and the rest of the question is left as it was.

use unicode_normalization::char::decompose_compatible;

/// What no rule matches: a masked or unreadable character.
pub(super) const NEUTRAL: u8 = b'~';

/// A text and its view.
#[derive(Debug)]
pub(super) struct View<'a> {
    text: &'a str,
    /// The view, one ASCII byte per character of `text`.
    bytes: Vec<u8>,
    /// The byte offset in `text` of each character, and `text.len()` after the last.
    offsets: Vec<usize>,
    /// Whether each character of `text` is a letter of the Latin script (ASCII, the Latin
    /// supplements and extensions, full-width Latin): a number glued to one is a code (`CVE-`,
    /// `INC0012`), while a number next to a Japanese or Chinese character is not.
    latin: Vec<bool>,
    /// Whether each character is a letter of another script (Cyrillic, Greek, CJK, ...).
    other: Vec<bool>,
}

impl<'a> View<'a> {
    pub(super) fn new(text: &'a str) -> Self {
        let mut bytes = Vec::with_capacity(text.len());
        let mut offsets = Vec::with_capacity(text.len() + 1);
        let mut latin = Vec::with_capacity(text.len());
        let mut other = Vec::with_capacity(text.len());
        for (offset, c) in text.char_indices() {
            offsets.push(offset);
            bytes.push(view_of(c));
            let is_latin = is_latin_letter(c);
            latin.push(is_latin);
            other.push(!is_latin && c.is_alphabetic());
        }
        offsets.push(text.len());
        Self {
            text,
            bytes,
            offsets,
            latin,
            other,
        }
    }

    /// The view as text (ASCII only).
    pub(super) fn as_str(&self) -> &str {
        // Every byte is ASCII by construction; an unexpected one reads as nothing.
        std::str::from_utf8(&self.bytes).unwrap_or_default()
    }

    /// The view character at `index`, if any.
    pub(super) fn at(&self, index: usize) -> Option<u8> {
        self.bytes.get(index).copied()
    }

    /// Whether the character at `index` is a Latin letter.
    pub(super) fn is_latin(&self, index: usize) -> bool {
        self.latin.get(index).copied().unwrap_or(false)
    }

    /// Whether the character at `index` is a letter of a script other than Latin.
    pub(super) fn is_other_script(&self, index: usize) -> bool {
        self.other.get(index).copied().unwrap_or(false)
    }

    /// The text's characters before view position `index` (for context such as a currency
    /// sign).
    pub(super) fn text_before(&self, index: usize) -> &'a str {
        &self.text[..self.offsets[index.min(self.offsets.len() - 1)]]
    }

    /// The text's characters from view position `index` on.
    pub(super) fn text_after(&self, index: usize) -> &'a str {
        &self.text[self.offsets[index.min(self.offsets.len() - 1)]..]
    }

    /// The byte range in the text of the view's `start..end`.
    pub(super) fn text_range(&self, start: usize, end: usize) -> std::ops::Range<usize> {
        self.offsets[start]..self.offsets[end]
    }

    /// Makes `start..end` unreadable to the rules that follow (it has been replaced).
    pub(super) fn mask(&mut self, start: usize, end: usize) {
        for byte in &mut self.bytes[start..end] {
            *byte = NEUTRAL;
        }
    }
}

/// The view of one character.
pub(super) fn view_of(c: char) -> u8 {
    if c.is_ascii() {
        return c as u8;
    }
    if matches!(
        c,
        '\u{2010}'..='\u{2015}' | '\u{2043}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{FF0D}'
    ) {
        return b'-';
    }
    let mut single = None;
    let mut count = 0;
    decompose_compatible(c, |d| {
        count += 1;
        single = Some(d);
    });
    match single {
        Some(d) if count == 1 && d.is_ascii() => d as u8,
        _ if c.is_whitespace() => b' ',
        _ if c.is_alphanumeric() => b'a',
        _ => NEUTRAL,
    }
}

fn is_latin_letter(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (c.is_alphabetic()
            && matches!(c, '\u{00C0}'..='\u{024F}' | '\u{1E00}'..='\u{1EFF}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}'))
}

/// The number continues a code or another number before it: a Latin letter (`INC0012`,
/// `v20.11`), a letter and a dash or slash (`CVE-2021-`, `S/4`), `#`, or a digit with `.` or `,`
/// (`1,234`).
pub(super) fn glued_before(view: &View<'_>, start: usize) -> bool {
    let Some(previous) = start.checked_sub(1) else {
        return false;
    };
    let byte = view.at(previous).unwrap_or(b' ');
    if view.is_latin(previous) || byte == b'#' || byte.is_ascii_digit() {
        return true;
    }
    let before = previous.checked_sub(1);
    match byte {
        b'-' | b'/' => before.is_some_and(|b| view.is_latin(b)),
        b'.' | b',' => before.is_some_and(|b| view.at(b).is_some_and(|c| c.is_ascii_digit())),
        _ => false,
    }
}

/// The number runs on into a word, a time or a ratio (`:`), a share (`%`), a temperature or an
/// angle (`°`), or more digits after `.` or `,`.
pub(super) fn glued_after(view: &View<'_>, end: usize) -> bool {
    let Some(byte) = view.at(end) else {
        return false;
    };
    if view.is_latin(end) || matches!(byte, b':' | b'%') || byte.is_ascii_digit() {
        return true;
    }
    if view.text_after(end).starts_with(['°', '％', '℃']) {
        return true;
    }
    matches!(byte, b'.' | b',') && view.at(end + 1).is_some_and(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_forms_read_as_what_they_stand_for() {
        let view = View::new("０２０ ７９４６　ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ 415‑555");
        assert_eq!(view.as_str(), "020 7946 jane@example.com 415-555");
    }

    #[test]
    fn other_letters_read_as_letters_and_keep_their_place() {
        let text = "josé@exämple.de 用户@例子.广告 ok。";
        let view = View::new(text);
        assert_eq!(view.as_str(), "josa@example.de aa@aa.aa ok~");
        assert_eq!(view.as_str().chars().count(), text.chars().count());
        let start = view.as_str().find("aa@").unwrap();
        assert_eq!(&text[view.text_range(start, start + 8)], "用户@例子.广告");
        assert!(view.is_latin(3) && !view.is_latin(16));
    }
}
