//! Numbers as the email writes them: thousands grouped, shares, durations, changes.

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `n` and the noun that goes with it: `1 gap`, `2,000 gaps`.
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// A share as a percentage with one decimal, `0.0%` when there is no whole.
pub fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0.0%".into();
    }
    format!("{:.1}%", part as f64 * 100.0 / whole as f64)
}

/// A duration in milliseconds, in the unit a reader expects.
pub fn duration(ms: u64) -> String {
    match ms {
        0..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1_000.0),
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1_000),
    }
}

/// The change from `previous` to `current`, absolute and relative.
pub fn change(current: u64, previous: u64) -> (String, i8) {
    let diff = i128::from(current) - i128::from(previous);
    let sign = diff.signum() as i8;
    let text = match (previous, diff) {
        (_, 0) => "no change".to_owned(),
        (0, _) => format!("{diff:+} (none the week before)"),
        _ => format!("{diff:+} ({:+.1}%)", diff as f64 * 100.0 / previous as f64),
    };
    (text, sign)
}
