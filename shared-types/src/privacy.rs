//! What is kept of what people type and send, before anything is stored: the least the report
//! needs (data minimisation).
//!
//! - [`scrub_question`]: e-mail addresses, phone numbers, payment card numbers (valid by their
//!   Luhn check digit), IBANs (valid by their ISO 7064 mod-97 check digits) and URLs that carry a
//!   user name or password are replaced by a placeholder (`[email]`, `[phone]`, `[card]`,
//!   `[iban]`, `[url]`), and counted.
//! - [`browser_and_device`]: a user agent header becomes its browser family and device class.
//! - [`referer_origin`]: a referer becomes its origin (`https://example.dev`): no path, no query.

use std::sync::LazyLock;

use regex_lite::Regex;

/// The placeholders a scrubbed question may hold.
pub mod placeholder {
    pub const URL: &str = "[url]";
    pub const EMAIL: &str = "[email]";
    pub const IBAN: &str = "[iban]";
    pub const CARD: &str = "[card]";
    pub const PHONE: &str = "[phone]";
}

/// A pattern, and the check that says how much of a match is what the rule looks for.
struct Rule {
    pattern: LazyLock<Option<Regex>>,
    /// The length of the match's longest prefix that passes the check, if any.
    valid: fn(&str) -> Option<usize>,
    placeholder: &'static str,
}

fn always(found: &str) -> Option<usize> {
    Some(found.len())
}

/// The rules, in the order they apply: what is most specific first, so that a card number is not
/// taken for a phone number, nor the address inside a URL for an e-mail.
static RULES: [Rule; 5] = [
    Rule {
        // scheme://user:password@host...
        pattern: LazyLock::new(|| Regex::new(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s/@]+@[^\s]+").ok()),
        valid: always,
        placeholder: placeholder::URL,
    },
    Rule {
        pattern: LazyLock::new(|| {
            Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}").ok()
        }),
        valid: always,
        placeholder: placeholder::EMAIL,
    },
    Rule {
        // Two letters, two check digits, then 11 to 30 letters or digits, in groups or not.
        pattern: LazyLock::new(|| {
            Regex::new(r"(?i)\b[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}\b").ok()
        }),
        valid: iban_prefix,
        placeholder: placeholder::IBAN,
    },
    Rule {
        // 13 to 19 digits, in groups separated by a space or a dash, or not.
        pattern: LazyLock::new(|| Regex::new(r"\b[0-9](?:[ -]?[0-9]){12,18}\b").ok()),
        valid: card_number,
        placeholder: placeholder::CARD,
    },
    Rule {
        // An optional + or 00, then 9 to 15 digits with the usual separators.
        pattern: LazyLock::new(|| Regex::new(r"(?:\+|\b)[0-9](?:[ ().-]{0,2}[0-9]){8,14}\b").ok()),
        valid: always,
        placeholder: placeholder::PHONE,
    },
];

/// `text` with personal data replaced by placeholders, and how many were replaced.
pub fn scrub_question(text: &str) -> (String, u32) {
    // Every rule needs an `@` or at least 9 digits: most questions have neither.
    let digits = text.bytes().filter(u8::is_ascii_digit).count();
    if digits < 9 && !text.contains('@') {
        return (text.to_owned(), 0);
    }
    let mut scrubbed = text.to_owned();
    let mut replaced = 0;
    for rule in &RULES {
        let Some(pattern) = rule.pattern.as_ref() else {
            continue;
        };
        if !pattern.is_match(&scrubbed) {
            continue;
        }
        let mut out = String::with_capacity(scrubbed.len());
        let mut last = 0;
        for found in pattern.find_iter(&scrubbed) {
            if let Some(length) = (rule.valid)(found.as_str()) {
                out.push_str(&scrubbed[last..found.start()]);
                out.push_str(rule.placeholder);
                last = found.start() + length;
                replaced += 1;
            }
        }
        out.push_str(&scrubbed[last..]);
        scrubbed = out;
    }
    (scrubbed, replaced)
}

/// The whole match, when its digits pass the Luhn check.
fn card_number(candidate: &str) -> Option<usize> {
    luhn_is_valid(candidate).then_some(candidate.len())
}

/// The Luhn check of a card number's digits (separators ignored).
fn luhn_is_valid(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2, d * 2) {
            (1, doubled) if doubled > 9 => doubled - 9,
            (1, doubled) => doubled,
            _ => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The longest prefix of the match that is an IBAN: a match can run on into the words after it
/// ("GB82 WEST ... 32 for pay"), so whole space-separated groups are dropped from its end until
/// the check passes.
fn iban_prefix(candidate: &str) -> Option<usize> {
    let mut end = candidate.len();
    loop {
        let prefix = candidate[..end].trim_end();
        if iban_is_valid(prefix) {
            return Some(prefix.len());
        }
        end = prefix.rfind(' ')?;
    }
}

/// The ISO 7064 mod-97 check of an IBAN (spaces ignored): the first four characters moved to
/// the end, letters as 10 to 35, the number modulo 97 is 1.
fn iban_is_valid(candidate: &str) -> bool {
    let compact: Vec<char> = candidate
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let mut remainder: u32 = 0;
    for c in compact[4..].iter().chain(&compact[..4]) {
        let value = match c.to_digit(36) {
            Some(v) => v,
            None => return false,
        };
        remainder = if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        };
    }
    remainder == 1
}

/// A user agent header as its browser family and device class; both `"unknown"` without one.
pub fn browser_and_device(user_agent: Option<&str>) -> (&'static str, &'static str) {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return ("unknown", "unknown");
    };
    let lower = ua.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    let browser = if has("edg/") || has("edge/") {
        "Edge"
    } else if has("opr/") || has("opera") {
        "Opera"
    } else if has("samsungbrowser") {
        "Samsung Internet"
    } else if has("firefox/") || has("fxios") {
        "Firefox"
    } else if has("chrome/") || has("crios") || has("chromium") {
        "Chrome"
    } else if has("safari/") {
        "Safari"
    } else {
        "Other"
    };
    let device = if [
        "bot", "crawl", "spider", "slurp", "curl/", "wget", "python-", "headless",
    ]
    .iter()
    .any(|n| has(n))
    {
        "bot"
    } else if has("ipad") || has("tablet") || (has("android") && !has("mobile")) {
        "tablet"
    } else if has("mobi") || has("iphone") || has("android") {
        "mobile"
    } else {
        "desktop"
    };
    (browser, device)
}

/// A referer header as its origin (scheme and host, with a port if any), without the user name,
/// password, path or query it may carry; `None` when it is not a URL.
pub fn referer_origin(referer: &str) -> Option<String> {
    let (scheme, rest) = referer.trim().split_once("://")?;
    let valid_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    (valid_scheme && !host.is_empty()).then(|| format!("{}://{host}", scheme.to_ascii_lowercase()))
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
