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

/// Whether a word carries a question's subject.
pub(super) fn is_content(word: &str) -> bool {
    !STOP_WORDS.contains(word) && !word.chars().all(|c| c.is_ascii_digit())
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
        ("ml", "machine-learning"),
        ("ai", "artificial-intelligence"),
        ("tf", "terraform"),
        ("reactjs", "react"),
        ("nodejs", "node.js"),
        ("node", "node.js"),
        ("swiftui", "swift"),
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
        ("iphone", "ios"),
        ("web3", "blockchain"),
        ("ethereum", "blockchain"),
        ("solidity", "blockchain"),
        ("z/os", "mainframe"),
        ("zos", "mainframe"),
    ]
    .into_iter()
    .collect()
});

/// Words that say nothing of a question's subject: function words and pronouns of English,
/// French, German, Spanish, Dutch, Italian and Portuguese; the words every question to a CV
/// chatbot is made of (experience, know, skills, work ...); greetings and the words of a
/// recruiter's message around the question (hi, role, hiring, thanks ...).
static STOP_WORDS: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    const ENGLISH: &str = "a an the and or but of to in on at for with from by about as into is are \
        was were be been being am do does did done doing have has had having got get gets getting \
        you your yours yourself i me my mine we us our it its this that these those what which who \
        whom whose how when where why can could would should will shall may might must any some \
        there here than then so if not no ever much many very really please he she him her his \
        hers they them their theirs himself herself one ones also just too all each every other \
        else such only own same more most less least bit lot lots kind sort way thing things \
        anything something someone anyone yes ok okay sure well like would s t d ll re ve m";
    const FILLERS: &str = "experience experienced experiences know knows knowing knowledge known \
        use used uses using work worked works working skill skills skilled project projects good \
        great tell told say said want wants wanted familiar comfortable long written write writes \
        writing question questions ask asking answer able expert expertise background level \
        proficient proficiency hands hand worked done years year time require requires required \
        requirement requirements need needs needed quick quickly currently current still already \
        ever hi hello hey dear thanks thank cheers regards role roles position job jobs company \
        client hiring hire recruiter recruiting candidate opportunity reach message team looking \
        look wondering wonder curious interested interest details detail info information \
        let quick briefly main development develop developer developers developing built build \
        building builds made make making ship shipped program programming programmed code coding \
        app apps";
    const FRENCH: &str = "le la les l un une des du de d et ou mais a au aux en dans sur pour par \
        avec sans est sont etait ete etre avoir a as ai avez avons ont il elle ils elles on vous \
        tu je j nous me m te t se s lui leur leurs son sa ses ce cet cette ces qui que qu quoi \
        quel quelle quels quelles comment quand ou pourquoi combien est-ce-que ne pas plus peut \
        peux pouvez fait faire bien tres aussi deja y experience connait connaissance competence \
        competences travaille travailler bonjour merci";
    const GERMAN: &str = "der die das den dem des ein eine einen einem einer eines und oder aber \
        zu in im am an auf fur mit von vom bei aus nach uber ist sind war waren sein seine seinen \
        seiner hat haben hast habe er sie es ihr ihre ihren wir du ich mich mir dich dir sich \
        was wer wie wo wann warum welche welcher welches kann konnen kannst nicht kein keine auch \
        schon gibt noch mehr sehr erfahrung kenntnisse kenntnis kennt arbeitet gearbeitet hallo \
        danke";
    const SPANISH: &str = "el la los las lo un una unos unas de del y o pero a al en con sin por \
        para es son era fue ser estar esta tiene tienes tiene tengo ha han has hay su sus tu te \
        se le les me mi yo el ella usted ustedes que quien cual cuales como cuando donde porque \
        cuanto cuanta cuantos puede puedes no si ya muy mas experiencia conoce conocimiento \
        conocimientos trabaja trabajado hola gracias";
    const DUTCH: &str = "de het een en of maar van te in op aan voor met bij uit naar over is zijn \
        was waren heeft hebben heb hij zij ze je jij u we wij ik mij me zich wat wie hoe waar \
        wanneer waarom welke kan kun kunt niet geen ook al nog meer erg ervaring kennis kent \
        gewerkt werkt hallo bedankt";
    const ITALIAN: &str = "il lo la i gli le un uno una di del della dei delle e o ma a al alla in \
        con per su da e sono era essere ha hanno hai ho lui lei loro suo sua suoi sue tu ti si \
        mi io che chi cosa come quando dove perche quanto quali quale puo non gia anche piu molto \
        esperienza conosce conoscenza lavorato lavora ciao grazie";
    const PORTUGUESE: &str = "o a os as um uma uns umas de do da dos das e ou mas ao em no na nos \
        nas com sem por para e sao era foi ser estar tem tens ha seu sua seus suas voce ele ela \
        eles elas te se me eu que quem qual quais como quando onde porque quanto pode nao ja \
        muito mais experiencia conhece conhecimento trabalhou trabalha ola obrigado";
    [
        ENGLISH, FILLERS, FRENCH, GERMAN, SPANISH, DUTCH, ITALIAN, PORTUGUESE,
    ]
    .iter()
    .flat_map(|list| list.split_whitespace())
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
