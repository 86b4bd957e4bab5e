//! What is kept of what people type and send, before anything is stored: the least the report
//! needs (data minimisation).
//!
//! - [`scrub_question`]: e-mail addresses, phone numbers, payment card numbers (valid by their
//!   Luhn check digit), IBANs (valid by their ISO 7064 mod-97 check digits) and URLs that carry a
//!   user name or password are replaced by a placeholder (`[email]`, `[phone]`, `[card]`,
//!   `[iban]`, `[url]`), and counted. The rules read the question as a reader sees it
//!   ([`view`]: full-width and other compatibility forms as what they stand for, letters of any
//!   script as letters), and replace exactly what was typed; everything else is kept as it was.
//!   The numbers CV questions carry (years and their ranges, dates, times, versions, money,
//!   postcodes, codes of standards and products) are not personal data ([`numbers`]).
//! - [`browser_and_device`]: a user agent header becomes its browser family and device class.
//! - [`referer_origin`]: a referer becomes its origin (`https://example.dev`): no path, no query.

mod headers;
mod labels;
mod numbers;
mod payment;
mod view;

pub(crate) use headers::{browser_and_device, referer_origin};

use std::sync::LazyLock;

use regex_lite::Regex;

use view::View;

/// The placeholders a scrubbed question may hold.
pub mod placeholder {
    pub const URL: &str = "[url]";
    pub const EMAIL: &str = "[email]";
    pub const IBAN: &str = "[iban]";
    pub const CARD: &str = "[card]";
    pub const PHONE: &str = "[phone]";
    /// Every placeholder.
    pub const ALL: [&str; 5] = [URL, EMAIL, IBAN, CARD, PHONE];
}

/// Fewest digits of anything a rule looks for, but an e-mail address: a question with fewer
/// and no `@` is kept as it is without reading it further (most questions). Seven: a local
/// number after a word that says "phone" (`call me on 5551234`).
const FEWEST_DIGITS: usize = 7;

/// A pattern over the [`View`], and the check that says where the personal data a match holds
/// ends (`None`: the match is not personal data).
struct Rule {
    pattern: LazyLock<Option<Regex>>,
    accept: fn(&View<'_>, usize, usize) -> Option<usize>,
    /// Whether a match that is refused whole is tried again in parts, at its groups of digits
    /// (a year before a phone number: "in 2019 020 7946 0958").
    in_parts: bool,
    /// Whether the rule can match at all in a question with these [`Traits`] (a pattern is
    /// not run where it cannot find anything).
    applies: fn(&Traits) -> bool,
    placeholder: &'static str,
}

/// What a question's view holds, counted once, that says which rules can match.
#[derive(Debug, Clone, Copy)]
struct Traits {
    digits: usize,
    at: bool,
    scheme: bool,
    written_out_at: bool,
}

impl Traits {
    fn of(view: &str) -> Self {
        let lower = view.to_ascii_lowercase();
        Self {
            digits: view.bytes().filter(u8::is_ascii_digit).count(),
            at: view.contains('@'),
            scheme: view.contains("://"),
            written_out_at: ["[at", "(at", "{at"].iter().any(|w| lower.contains(w)),
        }
    }
}

fn whole(_: &View<'_>, _: usize, end: usize) -> Option<usize> {
    Some(end)
}

/// A URL ends before the punctuation that follows it in a sentence, and before the words of a
/// script written without spaces that follow it ("...example.comです").
fn url(view: &View<'_>, start: usize, end: usize) -> Option<usize> {
    let end = script_end(view, start, end);
    let trimmed = view.as_str()[start..end].trim_end_matches(|c: char| ".,;:!?)]}>'\"".contains(c));
    Some(start + trimmed.len())
}

/// An e-mail address ends before the words of another script that follow its top-level
/// domain ("tanaka@nifty.comです"); see [`script_start`] for its start.
fn email(view: &View<'_>, start: usize, end: usize) -> Option<usize> {
    Some(script_end(view, start, end))
}

/// Where a match's last label (after its last `.`) changes script, if it does: a Latin
/// top-level domain followed by Japanese, say.
fn script_end(view: &View<'_>, start: usize, end: usize) -> usize {
    let label = view.as_str()[start..end]
        .rfind('.')
        .map_or(start, |dot| start + dot + 1);
    let latin_label = (label..end).any(|i| view.is_latin(i));
    (label..end)
        .find(|&i| latin_label && view.is_other_script(i))
        .unwrap_or(end)
}

/// Where a match really starts: after the letters of another script written against it
/// without a space ("連絡先はtanaka.hiroshi@...", "はhttps://..."), when the part they lead
/// (a URL's scheme, an address's local part) is written in Latin letters.
fn script_start(view: &View<'_>, start: usize, end: usize) -> usize {
    let head = view.as_str()[start..end]
        .find(['@', ':'])
        .map_or(end, |i| start + i);
    if !(start..head).any(|i| view.is_latin(i)) {
        return start;
    }
    (start..head)
        .find(|&i| !view.is_other_script(i))
        .unwrap_or(start)
}

/// An e-mail address's domain: labels and a top-level domain (letters, or an IDN's `xn--`
/// form); in the view, a label of any script reads as letters.
const DOMAIN: &str = r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:[A-Za-z]{2,}|xn--[A-Za-z0-9-]+)";

/// The rules, in the order they apply: what is most specific first, so that a card number is not
/// taken for a phone number, nor the address inside a URL for an e-mail.
static RULES: [Rule; 6] = [
    Rule {
        // scheme://user:password@host...
        pattern: LazyLock::new(|| Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]+@[^\s]+").ok()),
        accept: url,
        in_parts: false,
        applies: |t| t.scheme && t.at,
        placeholder: placeholder::URL,
    },
    Rule {
        pattern: LazyLock::new(|| {
            Regex::new(&format!(
                r"[A-Za-z0-9._%+-]+(?:'[A-Za-z0-9._%+-]+)*@{DOMAIN}"
            ))
            .ok()
        }),
        accept: email,
        in_parts: false,
        applies: |t| t.at,
        placeholder: placeholder::EMAIL,
    },
    Rule {
        // Written out: jane [at] example [dot] com, jane(at)example.com, ola {at} eksempel {dot} no.
        pattern: LazyLock::new(|| {
            let at = r"\s*[\[({]\s*at\s*[\])}]\s*";
            let dot = r"(?:\.|\s*[\[({]\s*dot\s*[\])}]\s*)";
            Regex::new(&format!(
                r"(?i)[A-Za-z0-9._%+-]+{at}[A-Za-z0-9-]+(?:{dot}[A-Za-z0-9-]+)*{dot}[A-Za-z]{{2,}}"
            ))
            .ok()
        }),
        accept: whole,
        in_parts: false,
        applies: |t| t.written_out_at,
        placeholder: placeholder::EMAIL,
    },
    Rule {
        // Two letters, two check digits, then 11 to 30 letters or digits, in groups or not.
        pattern: LazyLock::new(|| {
            Regex::new(r"[A-Za-z]{2}[0-9]{2}(?:[ -]?[A-Za-z0-9]){11,30}").ok()
        }),
        accept: payment::iban,
        in_parts: false,
        applies: |t| t.digits >= 2,
        placeholder: placeholder::IBAN,
    },
    Rule {
        // 13 to 19 digits, in groups separated by a space or a dash, or not.
        pattern: LazyLock::new(|| Regex::new(r"[0-9](?:[ -]?[0-9]){12,18}").ok()),
        accept: payment::card,
        in_parts: false,
        applies: |t| t.digits >= 13,
        placeholder: placeholder::CARD,
    },
    Rule {
        // Groups of digits (an area code in parentheses among them), an optional `+` first, with
        // up to three separators between groups.
        pattern: LazyLock::new(|| {
            let group = r"(?:\(\+?[0-9]{1,5}\)|[0-9]+)";
            Regex::new(&format!(r"\+?{group}(?:[ ./-]{{0,3}}{group})*")).ok()
        }),
        accept: numbers::phone,
        in_parts: true,
        applies: |t| t.digits >= 7,
        placeholder: placeholder::PHONE,
    },
];

/// `text` with personal data replaced by placeholders, and how many were replaced.
pub fn scrub_question(text: &str) -> (String, u32) {
    if !worth_reading(text) {
        return (text.to_owned(), 0);
    }
    let mut view = View::new(text);
    let traits = Traits::of(view.as_str());
    let mut found: Vec<(std::ops::Range<usize>, &'static str)> = Vec::new();
    for rule in RULES.iter().filter(|rule| (rule.applies)(&traits)) {
        let Some(pattern) = rule.pattern.as_ref() else {
            continue;
        };
        let mut spans = Vec::new();
        for candidate in pattern.find_iter(view.as_str()) {
            let end = candidate.end();
            let start = script_start(&view, candidate.start(), end);
            if let Some(stop) = (rule.accept)(&view, start, end) {
                spans.push((start, stop));
            } else if rule.in_parts
                && labels::label_before(&view, start) != Some(labels::Label::Code)
                && !numbers::is_amount(&view, start, end)
            {
                spans.extend(parts(&view, start, end, rule.accept));
            }
        }
        for (start, end) in spans {
            found.push((view.text_range(start, end), rule.placeholder));
            view.mask(start, end);
        }
    }
    if found.is_empty() {
        return (text.to_owned(), 0);
    }
    found.sort_by_key(|(range, _)| range.start);
    let mut scrubbed = String::with_capacity(text.len());
    let mut last = 0;
    for (range, placeholder) in &found {
        scrubbed.push_str(&text[last..range.start]);
        scrubbed.push_str(placeholder);
        last = range.end;
    }
    scrubbed.push_str(&text[last..]);
    (scrubbed, u32::try_from(found.len()).unwrap_or(u32::MAX))
}

/// Whether a question can hold anything a rule looks for: enough digits (ASCII or full-width),
/// an `@` (or a full-width `＠`), or an `[at]`, `(at)`, `{at}`. One pass over the bytes, no allocation:
/// most questions stop here.
fn worth_reading(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.iter().filter(|b| b.is_ascii_digit()).count() >= FEWEST_DIGITS || bytes.contains(&b'@')
    {
        return true;
    }
    let written_out_at = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| matches!(b, b'[' | b'(' | b'{'))
        .any(|(i, _)| {
            bytes
                .get(i + 1..i + 3)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"at"))
        });
    if written_out_at || text.is_ascii() {
        return written_out_at;
    }
    // Every compatibility form the view reads as a digit or an `@` (full-width, small forms,
    // mathematical digits), one character at a time: only questions with other scripts get here.
    let (mut digits, mut at) = (0, false);
    for c in text.chars() {
        match view::view_of(c) {
            b'0'..=b'9' => digits += 1,
            b'@' => at = true,
            _ => {}
        }
    }
    at || digits >= FEWEST_DIGITS
}

/// The spans inside a refused match that its check accepts: runs of its groups of digits, the
/// longest first from each group on, cut only where a space separates two groups (`978-0-13-...`
/// is one number; `2019 020 7946 0958` is a year and a phone number).
fn parts(
    view: &View<'_>,
    start: usize,
    end: usize,
    accept: fn(&View<'_>, usize, usize) -> Option<usize>,
) -> Vec<(usize, usize)> {
    let text = &view.as_str()[..end];
    // Where each group starts (its `+` or `(` with it) and ends (its `)` with it), and whether a
    // space comes before it.
    let mut groups: Vec<(usize, usize, bool)> = Vec::new();
    let mut i = start;
    let mut spaced = false;
    while i < end {
        let rest = &text[i..];
        let lead = usize::from(rest.starts_with(['+', '(']));
        let digits = rest[lead..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            spaced |= rest.starts_with(' ');
            i += 1;
            continue;
        }
        let mut stop = i + lead + digits;
        if text[stop..].starts_with(')') {
            stop += 1;
        }
        groups.push((i, stop, spaced));
        spaced = false;
        i = stop;
    }
    let cut_before = |g: usize| g == 0 || g == groups.len() || groups[g].2;
    let mut accepted = Vec::new();
    let mut from = 0;
    while from < groups.len() {
        let found = (from..groups.len())
            .rev()
            .filter(|&last| (from > 0 || last + 1 < groups.len()) && cut_before(last + 1))
            .find_map(|last| accept(view, groups[from].0, groups[last].1).map(|e| (last, e)))
            .filter(|_| cut_before(from));
        match found {
            Some((last, stop)) => {
                accepted.push((groups[from].0, stop));
                from = last + 1;
            }
            None => from += 1,
        }
    }
    accepted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_in_a_question_is_replaced_and_counted() {
        let cases = [
            (
                "mail me at jane.doe+cv@example.co.uk please",
                "mail me at [email] please",
                1,
            ),
            (
                "call +44 20 7946 0958 or 020-7946-0958",
                "call [phone] or [phone]",
                2,
            ),
            (
                "my card 4111 1111 1111 1111 is ok?",
                "my card [card] is ok?",
                1,
            ),
            (
                "iban GB82 WEST 1234 5698 7654 32 for pay",
                "iban [iban] for pay",
                1,
            ),
            ("iban DE89370400440532013000?", "iban [iban]?", 1),
            ("see https://bob:hunter2@intranet.example/x", "see [url]", 1),
        ];
        for (text, expected, count) in cases {
            assert_eq!(scrub_question(text), (expected.to_owned(), count), "{text}");
        }
    }

    #[test]
    fn cv_questions_with_years_dates_times_and_postcodes_are_stored_unchanged() {
        for text in [
            "what did he do 2019-2021 (2 years)?",
            "did he work at acme 2015-2018 (3 years) as lead?",
            "was he employed on 2023-01-15 10:30?",
            "jobs in 2010 2015 2020?",
            "does he live near 90210-1234?",
        ] {
            assert_eq!(scrub_question(text), (text.to_owned(), 0), "{text}");
        }
    }

    #[test]
    fn unicode_full_width_and_dashed_personal_data_is_scrubbed() {
        let cases = [
            ("mail josé@example.com please", "mail [email] please"),
            ("write to jane@exämple.de", "write to [email]"),
            ("write to jane＠example.com", "write to [email]"),
            ("call ０２０ ７９４６ ０９５８", "call [phone]"),
            ("call 020 - 7946 - 0958 today", "call [phone] today"),
            ("iban GB82-WEST-1234-5698-7654-32 ok", "iban [iban] ok"),
        ];
        for (text, expected) in cases {
            assert_eq!(scrub_question(text), (expected.to_owned(), 1), "{text}");
        }
    }

    #[test]
    fn look_alikes_without_valid_check_digits_or_enough_digits_are_kept() {
        for text in [
            "do you know C# 10 and .NET 8?",
            "worked 2019-2023 on 3 projects",
            "see https://example.dev/cv?x=1",
            "version 1.2.3 of Rust 2024",
        ] {
            assert_eq!(scrub_question(text), (text.to_owned(), 0), "{text}");
        }
        // Sixteen digits that fail the Luhn check are not a card (a long run of digits is still
        // redacted as a phone number, which is the cautious side).
        assert!(
            !scrub_question("ref 4111 1111 1111 1112")
                .0
                .contains("[card]")
        );
        assert!(
            !scrub_question("GB82 WEST 1234 5698 7654 33 fails mod 97")
                .0
                .contains("[iban]")
        );
    }

    #[test]
    fn user_agents_become_a_family_and_a_class() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                ("Chrome", "desktop"),
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
                ("Safari", "mobile"),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
                ("Edge", "desktop"),
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
                ("Firefox", "desktop"),
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
                ("Chrome", "tablet"),
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                ("Other", "bot"),
            ),
        ];
        for (ua, expected) in cases {
            assert_eq!(browser_and_device(Some(ua)), expected, "{ua}");
        }
        assert_eq!(browser_and_device(None), ("unknown", "unknown"));
    }

    #[test]
    fn a_referer_keeps_its_origin_only() {
        assert_eq!(
            referer_origin("https://user:pw@Example.dev:8443/cv?email=a@b.c#top").as_deref(),
            Some("https://Example.dev:8443")
        );
        assert_eq!(
            referer_origin("HTTPS://example.dev/cv").as_deref(),
            Some("https://example.dev")
        );
        assert_eq!(referer_origin("not a url"), None);
        assert_eq!(referer_origin("https:///path"), None);
    }
}
