//! Payment numbers: a card (its Luhn digit and a card network's prefix, in the groups cards
//! print) and an IBAN (its mod-97 check digits).

use super::view::{View, glued_after, glued_before};

/// A payment card number: 13 to 19 digits that pass the Luhn check, starting as the card
/// networks' numbers start (2 to 6: Mastercard's 2-series, Amex, Diners, JCB, Visa, Mastercard,
/// Discover, UnionPay, Maestro), written whole or in the groups cards print (fours, or Amex's
/// 4-6-5 and Diners' 4-6-4).
pub(super) fn card(view: &View<'_>, start: usize, end: usize) -> Option<usize> {
    if glued_before(view, start) || glued_after(view, end) {
        return None;
    }
    let candidate = &view.as_str()[start..end];
    let groups: Vec<&str> = candidate.split([' ', '-']).collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let printed = lengths.len() == 1
        || lengths[..lengths.len() - 1].iter().all(|&l| l == 4)
        || lengths == [4, 6, 5]
        || lengths == [4, 6, 4];
    let network = candidate.starts_with(['2', '3', '4', '5', '6']);
    (printed && network && luhn_is_valid(candidate)).then_some(end)
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
