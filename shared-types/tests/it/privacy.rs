//! The privacy scrubber against a corpus written independently of it (`privacy/corpus.tsv`):
//! ordinary CV questions that carry numbers, which must be stored exactly as typed, and personal
//! data in many national, Unicode and full-width forms, which must be removed, and nothing else
//! with it. The test prints both counts and every miss.

use shared_types::privacy::scrub_question;

/// Stands for any placeholder when a scrubbed question is compared with what it should be.
const SLOT: &str = "\u{0}";
const PLACEHOLDERS: [&str; 5] = ["[email]", "[phone]", "[card]", "[iban]", "[url]"];

enum Case<'a> {
    Keep(&'a str),
    Scrub {
        kind: &'a str,
        text: &'a str,
        pieces: Vec<&'a str>,
    },
}

fn corpus() -> Vec<Case<'static>> {
    include_str!("privacy/corpus.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|line| {
            let fields: Vec<&str> = line.split('\t').collect();
            match fields.as_slice() {
                ["keep", text] => Case::Keep(text),
                ["scrub", kind, text, pieces @ ..] if !pieces.is_empty() => Case::Scrub {
                    kind,
                    text,
                    pieces: pieces.to_vec(),
                },
                _ => panic!("not a corpus line: {line}"),
            }
        })
        .collect()
}

/// What is wrong with the scrubbing of a personal-data case, if anything: a piece left in, or
/// anything but the pieces changed, or the first piece replaced by the wrong placeholder.
fn scrub_miss(kind: &str, text: &str, pieces: &[&str]) -> Option<String> {
    let (scrubbed, count) = scrub_question(text);
    let mut expected = text.to_owned();
    for piece in pieces {
        expected = expected.replacen(piece, SLOT, 1);
    }
    let mut got = scrubbed.clone();
    for placeholder in PLACEHOLDERS {
        got = got.replace(placeholder, SLOT);
    }
    let first = format!("[{kind}]");
    if let Some(left) = pieces.iter().find(|p| scrubbed.contains(**p)) {
        Some(format!("{left:?} left in {scrubbed:?}"))
    } else if got != expected || count as usize != pieces.len() {
        Some(format!("{scrubbed:?} ({count} replaced)"))
    } else if !scrubbed.contains(&first) {
        Some(format!("{scrubbed:?} has no {first}"))
    } else {
        None
    }
}

#[test]
fn ordinary_questions_are_kept_and_personal_data_is_removed_and_nothing_else() {
    let cases = corpus();
    let (mut kept, mut keeps, mut removed, mut scrubs) = (0, 0, 0, 0);
    let mut misses = Vec::new();
    for case in &cases {
        match case {
            Case::Keep(text) => {
                keeps += 1;
                let (scrubbed, count) = scrub_question(text);
                if scrubbed == *text && count == 0 {
                    kept += 1;
                } else {
                    misses.push(format!("changed: {text:?} -> {scrubbed:?}"));
                }
            }
            Case::Scrub { kind, text, pieces } => {
                scrubs += 1;
                match scrub_miss(kind, text, pieces) {
                    None => removed += 1,
                    Some(miss) => misses.push(format!("missed: {text:?}: {miss}")),
                }
            }
        }
    }
    println!(
        "privacy corpus: {kept} of {keeps} ordinary questions stored unchanged; {removed} of \
         {scrubs} with personal data scrubbed exactly; {} misses",
        misses.len()
    );
    for miss in &misses {
        println!("  {miss}");
    }
    assert!(keeps >= 150 && scrubs >= 60, "the corpus is too small");
    assert!(misses.is_empty(), "{} misses", misses.len());
}
