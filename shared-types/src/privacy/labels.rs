//! The words before a number that say what it is: a phone's label (`tel.`, `Handy`, `携帯`), or
//! a code's (`SKU`, `invoice`, `SIREN`), which leaves the number alone.

use super::view::View;

/// Words that say the number after them is an identifier of a thing, not a phone number
/// (within the four words before it: "order no.", "NIP spółki", "VAT number is GB").
const CODE_LABELS: [&str; 52] = [
    "sku",
    "invoice",
    "inv",
    "order",
    "ref",
    "reference",
    "ticket",
    "case",
    "incident",
    "serial",
    "sn",
    "s/n",
    "model",
    "part",
    "pn",
    "isbn",
    "issn",
    "ean",
    "upc",
    "gtin",
    "siren",
    "siret",
    "nip",
    "regon",
    "krs",
    "vat",
    "tva",
    "ust-idnr",
    "btw",
    "iva",
    "cif",
    "nif",
    "cnpj",
    "abn",
    "acn",
    "ein",
    "kvk",
    "hrb",
    "hra",
    "crn",
    "uen",
    "patent",
    "po",
    "organisationsnummer",
    "bestellnummer",
    "rechnung",
    "rechnungsnummer",
    "facture",
    "commande",
    "pedido",
    "factura",
    "kvk-nummer",
];
/// Words that say the number after them is a phone number (within the three words before it:
/// "tlf.", "call me on", "携帯は"), so that one without the shapes above (eight digits, as in
/// Norway and Denmark) is known too.
const PHONE_LABELS: &[&str] = &[
    "tel",
    "tlf",
    "ph",
    "phone",
    "telephone",
    "telefon",
    "telefoon",
    "téléphone",
    "teléfono",
    "telefone",
    "telefono",
    "mobile",
    "mobil",
    "mobiel",
    "mob",
    "cell",
    "cellphone",
    "cellulare",
    "celular",
    "móvil",
    "movil",
    "portable",
    "handy",
    "fax",
    "whatsapp",
    "sms",
    "text",
    "call",
    "ring",
    "ringe",
    "dial",
    "appelez",
    "joindre",
    "llámame",
    "llamame",
    "marcarme",
    "chiamami",
    "chiamare",
    "bel",
    "ruf",
    "rufen",
    "ligar",
    "ligue",
    "numéro",
    "número",
    "numero",
    "nummer",
    "number",
    "numer",
    "numerem",
    "kontakt",
    "contact",
    "puhelin",
    "puh",
    "tfn",
    "telefonnr",
    "telnr",
    "tel.nr",
    "tlf.nr",
    "mobilnr",
    "mobiltelefon",
    "gsm",
    "komorka",
    "komórka",
    "telemovel",
    "telemóvel",
    "movel",
    "móvel",
    "cel",
    "signal",
    "viber",
    "telegram",
    "appel",
    "appeler",
    "anrufen",
    "bellen",
    "llamar",
    "llama",
    "ligue-me",
    "tél",
    "tf",
    "telefonu",
    "telefonem",
    "komórki",
    "komorki",
    "komórkowy",
    "stacjonarny",
    "festnetz",
    "fastnet",
    "fasttelefon",
];
/// Verbs that ask for a call, whose number may come a word later than a label's ("ruf mich an
/// unter 5550123", "zadzwoń do mnie pod 5551234"): within the four words before it.
const CALL_VERBS: [&str; 24] = [
    "call",
    "ring",
    "ruf",
    "rufen",
    "anrufen",
    "erreichbar",
    "bel",
    "bellen",
    "appelle",
    "appelez",
    "appeler",
    "llama",
    "llámame",
    "llamar",
    "chiama",
    "chiamami",
    "liga",
    "ligue",
    "zadzwoń",
    "zadzwon",
    "dzwoń",
    "soita",
    "soittakaa",
    "ringe",
];
/// Phone labels of scripts written without spaces, found inside the word before the number.
const PHONE_LABELS_UNSPACED: [&str; 6] = ["電話", "携帯", "전화", "연락처", "手机", "电话"];

/// Words that say only "number": what kind of number the word before them says, or a word
/// they end ("Handynummer", "puhelinnumero", "kvk-nummer").
const NUMBER_WORDS: [&str; 10] = [
    "number", "nummer", "numero", "número", "numéro", "numer", "numerem", "nr", "no", "num",
];

/// The possessives before a number word that make it a phone's ("my number", "son numéro",
/// "mijn nummer"): a person's number, not a file's or a ticket's.
const POSSESSIVES: [&str; 30] = [
    "my", "his", "her", "your", "mon", "son", "ton", "votre", "mein", "meine", "sein", "seine",
    "ihre", "mi", "su", "tu", "mijn", "zijn", "haar", "il", "mio", "suo", "meu", "seu", "mój",
    "moj", "jego", "min", "mitt", "hans",
];

/// What the words before a number say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Code,
    Phone,
}

fn is_code(word: &str) -> bool {
    CODE_LABELS.contains(&word)
        || word
            .split(['-', '/'])
            .next()
            .is_some_and(|head| CODE_LABELS.contains(&head))
}

fn is_phone(word: &str) -> bool {
    PHONE_LABELS.contains(&word) || PHONE_LABELS_UNSPACED.iter().any(|l| word.contains(l))
}

/// What a word that ends in a number word says: a phone's or a code's compound
/// ("telefonnummer", "mobilnummer", "bestellnummer").
fn compound(word: &str) -> Option<Label> {
    let head = NUMBER_WORDS
        .iter()
        .filter(|n| n.len() >= 5 || **n == "nr")
        .find_map(|n| word.strip_suffix(n))
        .map(|head| head.trim_end_matches(['-', '.']))
        .filter(|head| !head.is_empty())?;
    if is_code(head) {
        Some(Label::Code)
    } else {
        is_phone(head).then_some(Label::Phone)
    }
}

/// What the words right before view position `start` say the number there is, if anything.
///
/// The nearest label says it ("in case it helps, call 347 ..." is a phone number). A word
/// that only says "number" takes its sense from the word before it: a code's ("order number",
/// "VAT number"), a phone's ("phone number"), a person's ("my number"); after any other word
/// ("dossier numéro", "Vorgang Nr.", "é no") it says nothing.
pub(super) fn label_before(view: &View<'_>, start: usize) -> Option<Label> {
    let before = view.text_before(start).to_lowercase();
    let words: Vec<&str> = before
        .split_whitespace()
        .rev()
        .take(4)
        .map(|w| w.trim_matches(|c: char| ".,:;#()[]\"'„“".contains(c)))
        .collect();
    words.iter().enumerate().find_map(|(distance, w)| {
        if NUMBER_WORDS.contains(w) {
            let before = words.get(distance + 1).copied().unwrap_or_default();
            return if is_code(before) {
                Some(Label::Code)
            } else {
                let phone = is_phone(before) || POSSESSIVES.contains(&before);
                (phone && distance < 3).then_some(Label::Phone)
            };
        }
        if is_code(w) {
            return Some(Label::Code);
        }
        let label = compound(w).or_else(|| is_phone(w).then_some(Label::Phone));
        if distance < 3 && label.is_some() {
            return label;
        }
        (distance < 4 && CALL_VERBS.contains(w)).then_some(Label::Phone)
    })
}
