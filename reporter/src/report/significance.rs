//! When a change between two weeks is unlikely to be noise, so that the email colours only those.
//!
//! - A **rate** (answered out of asked) changed when the two weeks' 95% Wilson score intervals
//!   do not overlap: with 20 questions a week the interval is about ±20 points wide, with 2,000
//!   about ±2, so the same move means something only at the larger volume.
//! - A **count** (questions asked, unanswered) changed when a two-sided test says the two
//!   weeks' Poisson rates differ at the 5% level: given the total `a + b`, `a` is binomial with
//!   p = 1/2 under equal rates (the exact test for small totals, its normal approximation with a
//!   continuity correction above [`EXACT_UP_TO`]).

/// z for a two-sided 95% interval.
const Z95: f64 = 1.959_963_984_540_054;
/// The significance level of the count test.
const ALPHA: f64 = 0.05;
/// Largest total for which the count test is computed exactly.
const EXACT_UP_TO: u64 = 1_000;

/// The 95% Wilson score interval of `successes` out of `trials`, or `None` without trials.
pub(crate) fn wilson(successes: u64, trials: u64) -> Option<(f64, f64)> {
    if trials == 0 {
        return None;
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = Z95 * Z95;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / (1.0 + z2 / n);
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// Whether a rate moved from `before` to `now` (each `(successes, trials)`) beyond noise: their
/// Wilson intervals do not overlap.
pub(crate) fn rate_changed(now: (u64, u64), before: (u64, u64)) -> bool {
    match (wilson(now.0, now.1), wilson(before.0, before.1)) {
        (Some((low_now, high_now)), Some((low_before, high_before))) => {
            low_now > high_before || high_now < low_before
        }
        _ => false,
    }
}

/// Whether a weekly count moved from `before` to `now` beyond Poisson noise.
pub(crate) fn count_changed(now: u64, before: u64) -> bool {
    two_sided_p(now, before) < ALPHA
}

/// The two-sided p-value of `a` against `b` under equal Poisson rates.
fn two_sided_p(a: u64, b: u64) -> f64 {
    let n = a + b;
    if n == 0 {
        return 1.0;
    }
    let k = a.min(b);
    if n <= EXACT_UP_TO {
        // P(X <= k) for X ~ Binomial(n, 1/2), doubled, from log-probabilities.
        let ln_half_n = n as f64 * 0.5f64.ln();
        let mut ln_choose = 0.0f64; // ln C(n, 0)
        let mut tail = 0.0f64;
        for i in 0..=k {
            if i > 0 {
                ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
            }
            tail += (ln_choose + ln_half_n).exp();
        }
        (2.0 * tail).min(1.0)
    } else {
        let mean = n as f64 / 2.0;
        let sd = (n as f64 / 4.0).sqrt();
        let z = ((a as f64 - mean).abs() - 0.5).max(0.0) / sd;
        (2.0 * normal_upper_tail(z)).min(1.0)
    }
}

/// P(Z > z) for a standard normal Z (Abramowitz and Stegun 26.2.17, error below 7.5e-8).
fn normal_upper_tail(z: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.231_641_9 * z);
    let poly = t
        * (0.319_381_530
            + t * (-0.356_563_782
                + t * (1.781_477_937 + t * (-1.821_255_978 + t * 1.330_274_429))));
    (-z * z / 2.0).exp() / (2.0 * std::f64::consts::PI).sqrt() * poly
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wilson_interval_matches_a_worked_example() {
        // 8 out of 10: the Wilson interval is about 0.490 to 0.943.
        let (low, high) = wilson(8, 10).unwrap();
        assert!(
            (low - 0.4902).abs() < 1e-3 && (high - 0.9433).abs() < 1e-3,
            "{low} {high}"
        );
        assert_eq!(wilson(0, 0), None);
    }

    #[test]
    fn the_count_test_matches_the_exact_binomial() {
        // 10 against 0: P = 2 * (1/2)^10.
        assert!((two_sided_p(10, 0) - 2.0 / 1024.0).abs() < 1e-12);
        assert_eq!(two_sided_p(5, 5), 1.0);
        // The normal approximation agrees with the exact test near the switch.
        let exact = two_sided_p(530, 470);
        let approximate = {
            let z = (30.0f64 - 0.5) / (1000.0f64 / 4.0).sqrt();
            2.0 * normal_upper_tail(z)
        };
        assert!((exact - approximate).abs() < 0.005, "{exact} {approximate}");
    }
}
