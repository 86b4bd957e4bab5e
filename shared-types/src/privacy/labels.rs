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
const PHONE_LABELS: [&str; 79] = [
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
];
/// Phone labels of scripts written without spaces, found inside the word before the number.
const PHONE_LABELS_UNSPACED: [&str; 6] = ["電話", "携帯", "전화", "연락처", "手机", "电话"];

/// Words that say only "number": what kind of number the word before them says.
const NUMBER_WORDS: [&str; 9] = [
    "number", "nummer", "numero", "número", "numer", "numerem", "nr", "no", "num",
];

/// What the words before a number say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Code,
    Phone,
}

/// What the words right before view position `start` say the number there is, if anything.
pub(super) fn label_before(view: &View<'_>, start: usize) -> Option<Label> {
    let before = view.text_before(start).to_lowercase();
    let words: Vec<&str> = before
        .split_whitespace()
        .rev()
        .take(4)
        .map(|w| w.trim_matches(|c: char| ".,:;#()[]\"'„“".contains(c)))
        .collect();
    let is_code = |w: &str| {
        CODE_LABELS.contains(&w)
            || w.split(['-', '/'])
                .next()
                .is_some_and(|head| CODE_LABELS.contains(&head))
    };
    // The nearest label says it ("in case it helps, call 347 ..." is a phone number), but a
    // word that only says "number" takes the word before it ("order number", "VAT number").
    words.iter().enumerate().find_map(|(distance, w)| {
        if NUMBER_WORDS.contains(w) {
            let qualified = words
                .get(distance + 1)
                .is_some_and(|before| is_code(before));
            return Some(if qualified { Label::Code } else { Label::Phone })
                .filter(|l| *l == Label::Code || distance < 3);
        }
        let phone = distance < 3
            && (PHONE_LABELS.contains(w) || PHONE_LABELS_UNSPACED.iter().any(|l| w.contains(l)));
        if is_code(w) {
            Some(Label::Code)
        } else {
            phone.then_some(Label::Phone)
        }
    })
}
