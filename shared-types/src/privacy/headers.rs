//! What is kept of a request's headers: a user agent as its browser family and device class, a
//! referer as its origin.

/// A user agent header as its browser family and device class; both `"unknown"` without one.
pub(crate) fn browser_and_device(user_agent: Option<&str>) -> (&'static str, &'static str) {
    let Some(ua) = user_agent.filter(|u| !u.trim().is_empty()) else {
        return ("unknown", "unknown");
    };
    let lower = ua.to_ascii_lowercase();
    let has = |needle: &str| lower.contains(needle);
    let browser = if has("edg/") || has("edge/") {
        "Edge"
    } else if has("opr/") || has("opera") {
        "Opera"
    } else if has("samsungbrowser") {
        "Samsung Internet"
    } else if has("firefox/") || has("fxios") {
        "Firefox"
    } else if has("chrome/") || has("crios") || has("chromium") {
        "Chrome"
    } else if has("safari/") {
        "Safari"
    } else {
        "Other"
    };
    let device = if [
        "bot", "crawl", "spider", "slurp", "curl/", "wget", "python-", "headless",
    ]
    .iter()
    .any(|n| has(n))
    {
        "bot"
    } else if has("ipad") || has("tablet") || (has("android") && !has("mobile")) {
        "tablet"
    } else if has("mobi") || has("iphone") || has("android") {
        "mobile"
    } else {
        "desktop"
    };
    (browser, device)
}

/// A referer header as its origin (scheme and host, with a port if any), without the user name,
/// password, path or query it may carry; `None` when it is not a URL.
pub(crate) fn referer_origin(referer: &str) -> Option<String> {
    let (scheme, rest) = referer.trim().split_once("://")?;
    let valid_scheme = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit('@').next()?;
    (valid_scheme && !host.is_empty()).then(|| format!("{}://{host}", scheme.to_ascii_lowercase()))
}
