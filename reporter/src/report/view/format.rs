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
pub(crate) fn percent(part: u64, whole: u64) -> String {
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

/// The smallest count a percentage change is given from: from fewer, a percentage says more
/// than the count can carry (`up 806 or 20150.0%` from 4), so the change says the base instead
/// (`up 806, from 4`).
const MIN_BASE_FOR_PERCENT: u64 = 10;

/// The change from `previous` to `current` in words, and whether it is beyond noise:
/// `up 49 or 30.6%, beyond noise`, `down 2 or 6.1%, within noise`, `up 806, from 4, beyond
/// noise`, `no change`.
pub fn count_change(current: u64, previous: u64, beyond_noise: bool) -> String {
    let diff = i128::from(current) - i128::from(previous);
    let direction = if diff > 0 { "up" } else { "down" };
    let noise = noise(beyond_noise);
    match (previous, diff) {
        (_, 0) => "no change".to_owned(),
        (0, _) => format!("none the week before, {noise}"),
        (p, _) if p < MIN_BASE_FOR_PERCENT => format!(
            "{direction} {}, from {}, {noise}",
            thousands(diff.unsigned_abs() as u64),
            thousands(p)
        ),
        _ => format!(
            "{direction} {} or {:.1}%, {noise}",
            thousands(diff.unsigned_abs() as u64),
            diff.unsigned_abs() as f64 * 100.0 / previous as f64
        ),
    }
}

/// A rate's change in points, in words: `down 3.4 points, within noise`.
pub fn rate_change(points: f64, beyond_noise: bool) -> String {
    if points.abs() < 0.05 {
        return "no change".to_owned();
    }
    format!(
        "{} {:.1} points, {}",
        if points > 0.0 { "up" } else { "down" },
        points.abs(),
        noise(beyond_noise)
    )
}

fn noise(beyond: bool) -> &'static str {
    if beyond {
        "beyond noise"
    } else {
        "within noise"
    }
}
