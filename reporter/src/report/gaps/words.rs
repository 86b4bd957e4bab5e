//! The words of a question, as the grouping reads them: folded (lower case, accents off, full
//! case folding and compatibility forms as the report normalises questions), split into words
//! that keep technology names whole (`c#`, `c++`, `.net`, `node.js`), with the usual aliases
//! of one thing made one (`k8s` is `kubernetes`, `deutsch` is `german`), and the words that say
//! nothing of a question's subject (function words of seven languages, pronouns, the fillers
//! of every question to a CV) left out of its content.

use std::collections::HashMap;
use std::sync::LazyLock;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// `text` folded: compatibility forms, full case folding, no accents, apostrophes as spaces
/// (`qu'il` is two words, `don't` is `don t`).
pub(super) fn fold(text: &str) -> String {
    let folded = crate::report::text::normalise_question(text);
    folded
        .nfd()
        .filter(|c| !is_combining_mark(*c))
        .map(|c| {
            if matches!(c, '\'' | '’' | '`' | '´') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The words of a folded text: letters and digits, with the signs that are part of technology
/// names inside them (`#`, `+`, `.`, `/`, `-` between letters); aliases applied.
pub(super) fn words(folded: &str) -> Vec<String> {
    folded
        .split(|c: char| !(c.is_alphanumeric() || "#+./-".contains(c)))
        .map(trim_signs)
        .filter(|w| !w.is_empty())
        .map(|w| {
            ALIASES
                .get(w)
                .map_or_else(|| w.to_owned(), |a| (*a).to_owned())
        })
        .collect()
}

/// A word without the signs around it, but a leading dot that names a technology
/// (`.net`) is kept.
fn trim_signs(word: &str) -> &str {
    let word = word.trim_end_matches(|c: char| ".,/-".contains(c));
    let start = word.trim_start_matches(|c: char| ".,/-".contains(c));
    let dotted = word.len() == start.len() + 1 && word.starts_with('.');
    if dotted && start.chars().all(|c| c.is_ascii_alphabetic()) {
        word
    } else {
        start
    }
}

/// Whether a word carries a question's subject: not a stop word of any of the seven languages
/// (`reporter/data/stop-words.toml`), nor a number.
pub(super) fn is_content(word: &str) -> bool {
    !is_stop(word) && !word.chars().all(|c| c.is_ascii_digit())
}

/// Whether a word is a stop word of one of the seven languages, or a filler of every question
/// to a CV.
pub(super) fn is_stop(word: &str) -> bool {
    STOP_WORDS.contains(word)
}

/// One name for the several ways a thing is written: technologies' short names, and the
/// languages a visitor may name in their own language.
static ALIASES: LazyLock<HashMap<&'static str, &'static str>> = LazyLock::new(|| {
    [
        ("k8s", "kubernetes"),
        ("kube", "kubernetes"),
        ("kubernets", "kubernetes"),
        ("golang", "go"),
        ("js", "javascript"),
        ("ts", "typescript"),
        ("postgres", "postgresql"),
        ("psql", "postgresql"),
        ("py", "python"),
        ("csharp", "c#"),
        ("cpp", "c++"),
        ("dotnet", ".net"),
        ("gcp", "google-cloud"),
        ("reactjs", "react"),
        ("nodejs", "node.js"),
        ("node", "node.js"),
        ("deutsch", "german"),
        ("allemand", "german"),
        ("aleman", "german"),
        ("tedesco", "german"),
        ("duits", "german"),
        ("alemao", "german"),
        ("francais", "french"),
        ("franzosisch", "french"),
        ("frances", "french"),
        ("francese", "french"),
        ("frans", "french"),
        ("anglais", "english"),
        ("englisch", "english"),
        ("ingles", "english"),
        ("inglese", "english"),
        ("engels", "english"),
        ("espagnol", "spanish"),
        ("spanisch", "spanish"),
        ("espanol", "spanish"),
        ("spagnolo", "spanish"),
        ("spaans", "spanish"),
        ("japonais", "japanese"),
        ("japanisch", "japanese"),
        ("japones", "japanese"),
        ("giapponese", "japanese"),
        ("japans", "japanese"),
        ("italien", "italian"),
        ("italienisch", "italian"),
        ("italiano", "italian"),
        ("italiaans", "italian"),
        ("neerlandais", "dutch"),
        ("niederlandisch", "dutch"),
        ("nederlands", "dutch"),
        ("holandes", "dutch"),
        ("chinois", "chinese"),
        ("chinesisch", "chinese"),
        ("chino", "chinese"),
        ("mandarin", "chinese"),
        ("cinese", "chinese"),
        ("russe", "russian"),
        ("russisch", "russian"),
        ("ruso", "russian"),
        ("russo", "russian"),
        ("arabe", "arabic"),
        ("arabisch", "arabic"),
        ("arabo", "arabic"),
        ("polonais", "polish"),
        ("polnisch", "polish"),
        ("polaco", "polish"),
        ("polacco", "polish"),
        ("pools", "polish"),
        ("coreen", "korean"),
        ("koreanisch", "korean"),
        ("coreano", "korean"),
        ("suedois", "swedish"),
        ("schwedisch", "swedish"),
        ("sueco", "swedish"),
        ("svedese", "swedish"),
        ("zweeds", "swedish"),
        ("portugais", "portuguese"),
        ("portugiesisch", "portuguese"),
        ("portugues", "portuguese"),
        ("portoghese", "portuguese"),
        ("portugees", "portuguese"),
        ("castellano", "spanish"),
        ("z/os", "mainframe"),
        ("zos", "mainframe"),
    ]
    .into_iter()
    .collect()
});

/// The stop words of the seven languages and the fillers of every CV question, as folded.
static STOP_WORDS: LazyLock<std::collections::HashSet<String>> = LazyLock::new(|| {
    let lists: HashMap<String, String> =
        toml::from_str(include_str!("../../../data/stop-words.toml")).unwrap_or_else(|error| {
            tracing::error!(error = %error, "the stop-word lists do not parse; none are used");
            HashMap::new()
        });
    lists
        .values()
        .flat_map(|list| list.split_whitespace())
        .flat_map(|word| words(&fold(word)))
        .collect()
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_folded_and_technology_names_kept_whole() {
        assert_eq!(
            words(&fold("Does HE know C#, .NET and Node.js? K8s!")),
            [
                "does",
                "he",
                "know",
                "c#",
                ".net",
                "and",
                "node.js",
                "kubernetes"
            ]
        );
        assert_eq!(
            words(&fold("Spricht er Deutsch?")),
            ["spricht", "er", "german"]
        );
        assert_eq!(
            words(&fold("Quelles sont ses prétentions salariales ?")),
            ["quelles", "sont", "ses", "pretentions", "salariales"]
        );
    }

    #[test]
    fn the_stop_word_lists_parse_and_hold_each_language() {
        for word in [
            "the",
            "son",
            "sus",
            "over",
            "in",
            "a",
            "hundert",
            "honderd",
            "cent",
            "ses",
            "ihre",
            "zijn",
            "della",
            "voce",
            "experience",
            "travaille",
        ] {
            assert!(is_stop(word), "{word}");
        }
        for word in ["salary", "kubernetes", "hund", "notice", "pilot", "rust"] {
            assert!(is_content(word), "{word}");
        }
    }

    #[test]
    fn pronouns_auxiliaries_and_fillers_carry_no_subject() {
        let content: Vec<String> = words(&fold(
            "Is he looking for a new role? Does she have experience with Rust?",
        ))
        .into_iter()
        .filter(|w| is_content(w))
        .collect();
        assert_eq!(content, ["new", "rust"]);
    }
}
