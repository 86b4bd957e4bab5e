//! The message parser on arbitrary bytes: it never panics, and what it accepts survives a round
//! trip (written back as JSON and parsed again, it is the same event).
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use shared_types::AnalyticsEvent;
use shared_types::event::limits::MAX_BODY_BYTES;

fuzz_target!(|data: &[u8]| {
    // SQS bodies are strings.
    let Ok(body) = std::str::from_utf8(data) else {
        return;
    };
    let Some(now) = DateTime::from_timestamp_millis(1_762_700_000_000) else {
        return;
    };
    if let Ok(event) = AnalyticsEvent::parse(body, now) {
        let text = serde_json::to_string(&event).expect("an accepted event serialises");
        if text.len() <= MAX_BODY_BYTES {
            let again = AnalyticsEvent::parse(&text, now).expect("an accepted event re-parses");
            assert_eq!(again, event, "round trip changed the event");
        }
    }
});
