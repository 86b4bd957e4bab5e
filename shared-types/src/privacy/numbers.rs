//! Which runs of digits are personal data: a payment card (its Luhn digit and a card network's
//! prefix), an IBAN (its mod-97 digits), a phone number (its shape), and which are the numbers
//! CV questions are full of: years and their ranges, dates, times, versions, money, postcodes,
//! codes and standards.
//!
//! Each check takes the span a pattern found in the [`View`] and answers with the end of the
//! personal data it holds, or `None`.

use super::labels::{Label, label_before};
use super::view::{View, glued_after, glued_before};

/// Characters between the groups of digits of a phone number (a dash, a dot, a slash, spaces).
const PHONE_SEPARATORS: &[u8] = b" .-/";

/// Currency signs: a number after one is money, not a phone.
const CURRENCY_SIGNS: [char; 9] = ['$', '€', '£', '¥', '₹', '₩', '₽', '¢', '₣'];
/// Currency codes, names and amounts' suffixes, in the languages of the questions: a number
/// before one is money (`45.000 euros`, `80 000 zł`, `500 000 kr`).
const CURRENCY_WORDS: [&str; 40] = [
    "usd",
    "eur",
    "gbp",
    "chf",
    "jpy",
    "inr",
    "aud",
    "cad",
    "sek",
    "nok",
    "dkk",
    "pln",
    "brl",
    "k",
    "euro",
    "euros",
    "dollar",
    "dollars",
    "pound",
    "pounds",
    "franken",
    "francs",
    "franchi",
    "zloty",
    "zlotys",
    "zl",
    "zł",
    "kr",
    "kronor",
    "kroner",
    "reais",
    "real",
    "yen",
    "mio",
    "million",
    "millions",
    "millionen",
    "milioni",
    "millones",
    "milhoes",
];

/// One group of digits of a candidate phone number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Group<'a> {
    digits: &'a str,
    /// Written in parentheses, as an area code: `(020)`, `(0)`.
    parenthesised: bool,
    /// The separator before it (empty for the first group, or after a parenthesis).
    separator: &'a str,
}

impl Group<'_> {
    fn value(&self) -> u32 {
        self.digits.parse().unwrap_or(u32::MAX)
    }

    fn is_year(&self) -> bool {
        self.digits.len() == 4 && (1900..=2099).contains(&self.value())
    }

    fn is_month(&self) -> bool {
        self.digits.len() <= 2 && (1..=12).contains(&self.value())
    }

    fn is_day(&self) -> bool {
        self.digits.len() <= 2 && (1..=31).contains(&self.value())
    }

    /// Its separator is one character of a date: `-`, `/` or `.`.
    fn dated(&self) -> bool {
        matches!(self.separator, "-" | "/" | ".")
    }
}

/// The groups of a candidate, with whether it starts with `+`.
fn groups(candidate: &str) -> (bool, Vec<Group<'_>>) {
    let mut international = candidate.starts_with('+');
    let mut rest = candidate.trim_start_matches('+');
    let mut groups = Vec::new();
    let mut separator = "";
    while !rest.is_empty() {
        let parenthesised = rest.starts_with('(');
        let mut body = rest.trim_start_matches('(');
        if parenthesised && let Some(inner) = body.strip_prefix('+') {
            // A country code in parentheses: `(+44) 7700 900123`.
            body = inner;
            international = true;
        }
        let length = body.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            break;
        }
        groups.push(Group {
            digits: &body[..length],
            parenthesised,
            separator,
        });
        rest = &body[length..];
        if parenthesised {
            rest = rest.strip_prefix(')').unwrap_or(rest);
        }
        let gap = rest
            .bytes()
            .take_while(|b| PHONE_SEPARATORS.contains(b))
            .count();
        separator = &rest[..gap];
        rest = &rest[gap..];
    }
    (international, groups)
}

/// A phone number: its end (with an extension such as `ext. 204` or `x12`), or `None` when the
/// span is not one.
///
/// Numbers that say what they are come first: `+` or `00` and a country code (8 to 15 digits
/// after it); a national number with its trunk `0` (9 to 12 digits); the North American shapes
/// (`(415) 555-2671`, `415.555.2671`, `1-800-555-0199`, ten digits whole); an area code in
/// parentheses; and three or more groups of 2 to 4 digits, 9 to 11 in all (`612 34 56 78`).
/// None of them is a phone when it is glued to a letter (a code: `CVE-2021-44228`,
/// `INC0012345678`) or to `:`, `%`, `°` (a time, a ratio, a share, a temperature), when it is
/// money (after a currency sign, before a currency code), or when its groups are years, dates,
/// a range of two numbers, a version, an address of the internet or a ZIP+4 code.
pub(super) fn phone(view: &View<'_>, start: usize, end: usize) -> Option<usize> {
    let candidate = &view.as_str()[start..end];
    let (plus, groups) = groups(candidate);
    let end = end + extension(&view.as_str()[end..]);
    if groups.is_empty()
        || glued_before(view, start)
        || glued_after(view, end)
        || is_money(view, start, end)
        || is_years_or_dates(&groups)
        || is_version_or_address(&groups)
    {
        return None;
    }
    let label = label_before(view, start);
    let digits: usize = groups.iter().map(|g| g.digits.len()).sum();
    let all: String = groups.iter().map(|g| g.digits).collect();
    let international = plus || (all.starts_with("00") && !all.starts_with("000"));
    let trunk = all.starts_with('0') && !all.starts_with("00");
    // After a word that says "phone", two groups are a number split in two (`555-1234`, `2233
    // 4455`), and a number in thousands is a phone all the same; otherwise they are a range, an
    // amount, a count (`60 000 - 80 000`, `250.000.000`, `200 000 000 users`).
    if label != Some(Label::Phone)
        && !international
        && !trunk
        && (is_range_or_zip(plus, &groups) || is_in_thousands(view, end, &groups))
    {
        return None;
    }
    // A country code or a trunk prefix says "phone" whatever the words before it; the other
    // shapes give way to a word that says the number is a code ("SKU", "invoice", "VAT").
    let shaped = match label {
        _ if international => {
            let prefix = if plus { 0 } else { 2 };
            (8..=15).contains(&(digits - prefix))
        }
        Some(Label::Phone) => (7..=15).contains(&digits),
        // A trunk `0`, then an area code, which never starts with 0.
        _ if trunk => (9..=12).contains(&digits),
        Some(Label::Code) => false,
        None => {
            north_american(&groups)
                || (groups[0].parenthesised && (9..=12).contains(&digits))
                || grouped_national(&groups, digits)
        }
    };
    shaped.then_some(end)
}

/// Whether a number the phone rule refused reads as an amount in thousands or a range of them
/// (`700 000 - 800 000 kr`), whose parts are then not searched for a phone number.
pub(super) fn is_amount(view: &View<'_>, start: usize, end: usize) -> bool {
    let (_, groups) = groups(&view.as_str()[start..end]);
    !groups.is_empty() && is_in_thousands(view, end, &groups)
}

/// Bytes of an extension right after a phone number (`ext. 204`, ` x12`, `#3`), else 0.
fn extension(after: &str) -> usize {
    let spaces = after.len() - after.trim_start().len();
    let rest = &after[spaces..];
    let lower = rest.to_ascii_lowercase();
    let Some(word) = [
        "extension",
        "ext.",
        "extn",
        "ext",
        "durchwahl",
        "dw.",
        "poste",
        "interno",
        "int.",
        "anexo",
        "ramal",
        "toestel",
        "wewn.",
        "wew.",
        "lok.",
        "ankn.",
        "x",
        "#",
    ]
    .into_iter()
    .find(|w| lower.starts_with(w)) else {
        return 0;
    };
    let tail = &rest[word.len()..];
    let gap = tail.len() - tail.trim_start().len();
    let digits = tail[gap..].bytes().take_while(u8::is_ascii_digit).count();
    if (1..=6).contains(&digits) {
        spaces + word.len() + gap + digits
    } else {
        0
    }
}

/// `(NXX) NXX-XXXX`, `NXX-NXX-XXXX`, `1-NXX-NXX-XXXX`, or ten (eleven with the 1) digits whole
/// with the North American numbering plan's shape (area code and exchange from 2 to 9).
fn north_american(groups: &[Group<'_>]) -> bool {
    let lengths: Vec<usize> = groups.iter().map(|g| g.digits.len()).collect();
    let whole = |d: &str| {
        let b = d.as_bytes();
        (b[0] >= b'2') && (b[3] >= b'2')
    };
    match lengths.as_slice() {
        [3, 3, 4] => true,
        [1, 3, 3, 4] => groups[0].digits == "1",
        [10] => whole(groups[0].digits),
        [11] => groups[0].digits.starts_with('1') && whole(&groups[0].digits[1..]),
        _ => false,
    }
}

/// Three or more groups of 2 to 4 digits, 9 to 11 in all, starting from 2 to 9, apart by
/// spaces, dashes or dots: national numbers written without their trunk prefix (`612 34 56 78`,
/// `347 123 4567`).
fn grouped_national(groups: &[Group<'_>], digits: usize) -> bool {
    groups.len() >= 3
        && (9..=11).contains(&digits)
        && groups.iter().all(|g| (2..=4).contains(&g.digits.len()))
        && groups[0].digits.as_bytes()[0] >= b'2'
        && groups
            .iter()
            .skip(1)
            .all(|g| matches!(g.separator.trim(), "" | "-" | "."))
}

/// Years (`2010 2015 2020`, `2012-14`, `2019/20`), dates (`2023-01-15`, `15.01.2023`,
/// `03/2015-06/2018`), or a date and what follows it (a time).
fn is_years_or_dates(groups: &[Group<'_>]) -> bool {
    let mut i = 0;
    let mut after_year = false;
    while i < groups.len() {
        let g = &groups[i];
        let next = groups.get(i + 1);
        let third = groups.get(i + 2);
        let same = |a: &Group<'_>, b: &Group<'_>| a.dated() && a.separator == b.separator;
        let full_date = match (next, third) {
            (Some(n), Some(t)) if same(n, t) => {
                (g.is_year() && n.is_month() && t.is_day())
                    || ((g.is_day() && n.is_month() || g.is_month() && n.is_day()) && t.is_year())
            }
            _ => false,
        };
        if full_date {
            if i == 0 {
                return true;
            }
            i += 3;
            after_year = true;
            continue;
        }
        let month_year =
            next.is_some_and(|n| g.is_month() && g.digits.len() == 2 && n.dated() && n.is_year());
        let year_month = next.is_some_and(|n| {
            g.is_year() && matches!(n.separator, "-" | "/") && n.is_month() && n.digits.len() == 2
        });
        if month_year || year_month {
            i += 2;
            after_year = true;
        } else if g.is_year() {
            i += 1;
            after_year = true;
        } else if after_year && g.digits.len() == 2 && matches!(g.separator, "-" | "/") {
            // The short end of a range of years: 2012-14.
            i += 1;
            after_year = false;
        } else {
            return false;
        }
    }
    true
}

/// A version or an internet address: dots only, not a national number's `0`, and a group of
/// one digit or a first group of one or two (`10.0.19045.3693`, `121.0.6167.160`), or four
/// groups of at most 255 (`192.168.101.201`).
fn is_version_or_address(groups: &[Group<'_>]) -> bool {
    let dotted = groups.iter().skip(1).all(|g| g.separator == ".");
    if !dotted || groups.len() < 2 || groups[0].digits.starts_with('0') {
        return false;
    }
    groups.iter().any(|g| g.digits.len() == 1)
        || groups[0].digits.len() <= 2
        || (groups.len() == 4 && groups.iter().all(|g| g.value() <= 255))
}

/// Numbers written in thousands, one or a range of two (`60 000 - 80 000`, `60.000-80.000`,
/// `250.000.000`, `200 000 000`): each a group of one to three digits, then groups of three
/// after the same space or dot; the second number after a dash or a slash. A single number in
/// thousands is a count or an amount when a group of it is `000`, or when a word of money or of
/// a count follows it (`500 000 users`); else it may be a phone written in threes
/// (`612 345 678`).
fn is_in_thousands(view: &View<'_>, end: usize, groups: &[Group<'_>]) -> bool {
    let mut numbers: Vec<&[Group<'_>]> = Vec::new();
    let mut from = 0;
    for (i, g) in groups.iter().enumerate().skip(1) {
        if g.separator.contains(['-', '/']) {
            numbers.push(&groups[from..i]);
            from = i;
        }
    }
    numbers.push(&groups[from..]);
    let thousands = |n: &[Group<'_>]| {
        n.len() >= 2
            && (1..=3).contains(&n[0].digits.len())
            && !n[0].digits.starts_with('0')
            && n[1..].iter().all(|g| {
                g.digits.len() == 3
                    && matches!(g.separator, " " | "." | "'")
                    && g.separator == n[1].separator
            })
    };
    if !numbers.iter().all(|n| thousands(n)) || numbers.len() > 2 {
        return false;
    }
    let counted = || {
        let after = view.text_after(end).trim_start().to_lowercase();
        let word: String = after.chars().take_while(|c| c.is_alphabetic()).collect();
        COUNT_WORDS.contains(&word.as_str()) || CURRENCY_WORDS.contains(&word.as_str())
    };
    numbers.len() == 2 || groups[1..].iter().any(|g| g.digits == "000") || counted()
}

/// Words after a number that say it counts something.
const COUNT_WORDS: [&str; 30] = [
    "users",
    "user",
    "customers",
    "clients",
    "people",
    "employees",
    "engineers",
    "requests",
    "transactions",
    "records",
    "rows",
    "visitors",
    "downloads",
    "devices",
    "lines",
    "per",
    "a",
    "an",
    "nutzer",
    "kunden",
    "mitarbeiter",
    "utilisateurs",
    "usuarios",
    "gebruikers",
    "utenti",
    "utilizadores",
    "brutto",
    "bruto",
    "lordo",
    "gross",
];

/// Two numbers (a range, a score, a build: `120000-150000`, `2350/2400`, `22631.3155`), unless
/// the first starts with the trunk `0` or a `+`; and a ZIP+4 code (`90210-1234`) always.
fn is_range_or_zip(plus: bool, groups: &[Group<'_>]) -> bool {
    match groups {
        [a, b] if a.digits.len() == 5 && b.digits.len() == 4 && b.separator == "-" => true,
        [a, b] => !plus && !a.parenthesised && !a.digits.starts_with('0') && !b.parenthesised,
        _ => false,
    }
}

/// A number after a currency sign or code (`$`, `€ `, `USD `), or before one (` EUR`, `k`).
fn is_money(view: &View<'_>, start: usize, end: usize) -> bool {
    let before = view.text_before(start).trim_end();
    let after = view.text_after(end).trim_start().to_lowercase();
    let sign_before = before.ends_with(CURRENCY_SIGNS);
    let code_before = before
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .is_some_and(|w| w.len() == 3 && CURRENCY_WORDS.contains(&w.to_lowercase().as_str()));
    let sign_after = after.starts_with(CURRENCY_SIGNS);
    let code_after = CURRENCY_WORDS.iter().any(|w| {
        after.starts_with(w)
            && !after[w.len()..]
                .chars()
                .next()
                .is_some_and(char::is_alphabetic)
    });
    sign_before || code_before || sign_after || code_after
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone_in(text: &str) -> Option<&str> {
        let view = View::new(text);
        let start = view
            .as_str()
            .find(|c: char| c == '+' || c == '(' || c.is_ascii_digit())?;
        let end = start
            + view.as_str()[start..]
                .bytes()
                .take_while(|b| b.is_ascii_digit() || b"+() .-/".contains(b))
                .count();
        let end = view.as_str()[..end]
            .trim_end_matches([' ', '.', '-', '/'])
            .len();
        phone(&view, start, end).map(|e| &text[view.text_range(start, e)])
    }

    #[test]
    fn phone_numbers_are_known_by_their_shape() {
        for (text, number) in [
            ("call +44 20 7946 0958 now", "+44 20 7946 0958"),
            ("ring 0044 7700 900 123", "0044 7700 900 123"),
            ("on 020 - 7946 - 0958 ok", "020 - 7946 - 0958"),
            ("at (415) 555-2671 ok", "(415) 555-2671"),
            ("cell 2125550147 anytime", "2125550147"),
            ("móvil 612 34 56 78.", "612 34 56 78"),
            ("tel +1 212 555 0147 x12 ok", "+1 212 555 0147 x12"),
            ("Handy 0171/1234567 bitte", "0171/1234567"),
        ] {
            assert_eq!(phone_in(text), Some(number), "{text}");
        }
    }

    #[test]
    fn the_numbers_cv_questions_carry_are_not_phones() {
        for text in [
            "worked 2019-2021 (2 years)",
            "jobs in 2010 2015 2020",
            "at Shell 01.2010 - 12.2013",
            "employed on 2023-01-15 10:30",
            "near 90210-1234",
            "budget 120000-150000 USD",
            "Windows 10.0.19045.3693",
            "at Unix time 1700000000",
            "order 2023-0456-7890",
            "part PN 1234-5678-90",
            "patched CVE-2021-44228",
            "ISBN 978-0-13-468599-1",
            "a 192.168.1.0/24 subnet",
        ] {
            assert_eq!(phone_in(text), None, "{text}");
        }
    }
}
