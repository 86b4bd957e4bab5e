//! Payment numbers: a card (its Luhn digit and a card network's prefix, in the groups cards
//! print) and an IBAN (its mod-97 check digits).

use super::view::{View, glued_after, glued_before};

/// A payment card number: 13 to 19 digits that pass the Luhn check, starting as the card
/// networks' numbers start (2 to 6: Mastercard's 2-series, Amex, Diners, JCB, Visa, Mastercard,
/// Discover, UnionPay, Maestro), written whole or in the groups cards print (fours, or Amex's
/// 4-6-5 and Diners' 4-6-4); with the expiry date and the security code that follow it, which
/// are the card's data too (`4111 1111 1111 1111 12/25`, `... exp 1225 cvv 123`).
///
/// The digits a pattern finds can run on into an expiry written without a slash
/// (`4111111111111111 1225`): whole groups are dropped from the end until a card number is left.
pub(super) fn card(view: &View<'_>, start: usize, end: usize) -> Option<usize> {
    if glued_before(view, start) {
        return None;
    }
    let candidate = &view.as_str()[start..end];
    let mut length = candidate.len();
    loop {
        let prefix = candidate[..length].trim_end_matches([' ', '-']);
        let stop = start + prefix.len();
        if is_card_number(prefix) && !glued_after(view, stop) {
            return Some(stop + expiry_and_code(view, stop));
        }
        length = prefix.rfind([' ', '-'])?;
    }
}

/// Whether digits in groups are a card number: printed as cards print them, a network's first
/// digit, the Luhn check.
fn is_card_number(candidate: &str) -> bool {
    let groups: Vec<&str> = candidate.split([' ', '-']).collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let printed = lengths.len() == 1
        || lengths[..lengths.len() - 1].iter().all(|&l| l == 4)
        || lengths == [4, 6, 5]
        || lengths == [4, 6, 4];
    let network = candidate.starts_with(['2', '3', '4', '5', '6']);
    printed && network && luhn_is_valid(candidate)
}

/// Words before a card's expiry date, and before its security code, as people type them in the
/// languages the scrubber reads (lowercase; compared with the words as typed, accents and all).
const EXPIRY_WORDS: [&str; 37] = [
    "exp",
    "expiry",
    "expires",
    "expire",
    "expiration",
    "valid",
    "thru",
    "through",
    "until",
    "gültig",
    "gultig",
    "bis",
    "ablauf",
    "vence",
    "vencimiento",
    "caduca",
    "caducidad",
    "validade",
    "válido",
    "valido",
    "válida",
    "valida",
    "validité",
    "scad",
    "scadenza",
    "scade",
    "geldig",
    "vervalt",
    "vervaldatum",
    "utløp",
    "utløper",
    "udløb",
    "udløber",
    "utgång",
    "voimassa",
    "ważna",
    "ważności",
];
const CODE_WORDS: [&str; 21] = [
    "cvv",
    "cvv2",
    "cvc",
    "cvc2",
    "cid",
    "csc",
    "cvn",
    "code",
    "security",
    "cryptogramme",
    "sicherheitscode",
    "prüfnummer",
    "código",
    "codigo",
    "codice",
    "kod",
    "kode",
    "koden",
    "turvakoodi",
    "säkerhetskod",
    "beveiligingscode",
];

/// View characters of an expiry date (`12/25`, `12/2025`, `1225`) and a security code (`cvv
/// 123`, or three or four digits after the expiry), with the words before them, right after a
/// card number that ends at view position `from`; else 0.
fn expiry_and_code(view: &View<'_>, from: usize) -> usize {
    let after = &view.as_str()[from..];
    let mut used = 0;
    let (mut expiry, mut code, mut code_word) = (false, false, false);
    loop {
        let rest = &after[used..];
        let spaces = rest.len() - rest.trim_start_matches([' ', ',', ':']).len();
        let word_rest = &rest[spaces..];
        // The word as typed: the view reads a letter outside ASCII as `a`.
        let length = word_rest
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'.')
            .count();
        let word: String = view
            .text_after(from + used + spaces)
            .chars()
            .take(length)
            .collect::<String>()
            .to_lowercase();
        let is_word = |list: &[&str]| length > 0 && list.contains(&word.trim_end_matches('.'));
        if !expiry && is_word(&EXPIRY_WORDS) || !code && is_word(&CODE_WORDS) {
            code_word |= is_word(&CODE_WORDS);
            used += spaces + length;
            continue;
        }
        let digits = word_rest.bytes().take_while(u8::is_ascii_digit).count();
        // Four digits right after a code word are the code, though they read as a date.
        let is_code = code_word && !code && (3..=4).contains(&digits);
        match expiry_date(word_rest) {
            Some(length) if !(expiry || (is_code && digits == length)) => {
                expiry = true;
                used += spaces + length;
            }
            _ if is_code || !code && expiry && (3..=4).contains(&digits) => {
                code = true;
                used += spaces + digits;
            }
            _ => break,
        }
        if word_rest[digits..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
            break;
        }
    }
    // Only what is a date or a code counts, not the words alone.
    if expiry || code {
        trim_words(after, used)
    } else {
        0
    }
}

/// `used` without trailing words that no date or code follows.
fn trim_words(after: &str, used: usize) -> usize {
    after[..used]
        .trim_end_matches(|c: char| !c.is_ascii_digit())
        .len()
}

/// The length of an expiry date at the start of `text`: a month and a year (`12/25`,
/// `12/2025`, `12-25`, or `1225` whole).
fn expiry_date(text: &str) -> Option<usize> {
    let month_ok = |m: &str| m.parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
    let bytes = text.as_bytes();
    let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 4 && month_ok(&text[..2]) && !bytes.get(4).is_some_and(u8::is_ascii_digit) {
        return Some(4);
    }
    if (1..=2).contains(&digits)
        && month_ok(&text[..digits])
        && matches!(bytes.get(digits), Some(b'/' | b'-'))
    {
        let year = bytes[digits + 1..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
        if year == 2 || year == 4 {
            return Some(digits + 1 + year);
        }
    }
    None
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

/// The longest prefix of the span that is an IBAN. A match can run on into the words after it
/// ("GB82 WEST ... 32 for pay"), so whole groups are dropped from its end, at a space or a dash,
/// until the check passes.
pub(super) fn iban(view: &View<'_>, start: usize, end: usize) -> Option<usize> {
    if glued_before(view, start) {
        return None;
    }
    let candidate = &view.as_str()[start..end];
    let mut length = candidate.len();
    loop {
        let prefix = candidate[..length].trim_end_matches([' ', '-']);
        if iban_is_valid(prefix) && !glued_after(view, start + prefix.len()) {
            return Some(start + prefix.len());
        }
        length = prefix.rfind([' ', '-'])?;
    }
}

/// The ISO 7064 mod-97 check of an IBAN (spaces and dashes ignored): the first four characters
/// moved to the end, letters as 10 to 35, the number modulo 97 is 1.
fn iban_is_valid(candidate: &str) -> bool {
    let compact: Vec<char> = candidate
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let mut remainder: u32 = 0;
    for c in compact[4..].iter().chain(&compact[..4]) {
        let Some(value) = c.to_digit(36) else {
            return false;
        };
        remainder = if value < 10 {
            (remainder * 10 + value) % 97
        } else {
            (remainder * 100 + value) % 97
        };
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards_and_ibans_pass_their_check_digits() {
        assert!(luhn_is_valid("4111 1111 1111 1111"));
        assert!(!luhn_is_valid("4111 1111 1111 1112"));
        assert!(iban_is_valid("GB82 WEST 1234 5698 7654 32"));
        assert!(iban_is_valid("NL91-ABNA-0417-1643-00"));
        assert!(!iban_is_valid("GB82 WEST 1234 5698 7654 33"));
    }
}
