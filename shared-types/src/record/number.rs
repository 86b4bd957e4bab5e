//! What DynamoDB stores as a number, which the event contract checks before anything is
//! merged into a write.

/// Smallest and largest decimal exponents of a number DynamoDB stores: its magnitude is from
/// 1E-130 to 9.99...E+125, with at most 38 significant digits
/// (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html#HowItWorks.DataTypes.Number>).
const DYNAMODB_EXPONENTS: std::ops::RangeInclusive<i32> = -130..=125;
const DYNAMODB_SIGNIFICANT_DIGITS: usize = 38;

/// Whether DynamoDB stores `value` as the record writes it (its shortest decimal form, which is
/// what `serde_dynamo` sends): 0, or a finite number within DynamoDB's magnitude and precision.
pub(crate) fn storable_number(value: f64) -> bool {
    if value == 0.0 {
        return true;
    }
    if !value.is_finite() {
        return false;
    }
    let text = value.abs().to_string();
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let digits: String = format!("{whole}{fraction}");
    let leading = digits.bytes().take_while(|&b| b == b'0').count();
    let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
    // The exponent of the first significant digit: d.ddd x 10^exponent.
    let exponent = i32::try_from(whole.len()).unwrap_or(i32::MAX)
        - 1
        - i32::try_from(leading).unwrap_or(i32::MAX);
    DYNAMODB_EXPONENTS.contains(&exponent) && significant <= DYNAMODB_SIGNIFICANT_DIGITS
}
