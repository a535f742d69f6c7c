//! The wall clock as the reports stamp it: a run's `started_at` and the conformance suite's
//! check timestamps. Kept apart from the reports, which only render the stamps they are given.

use std::time::SystemTime;

/// Now as `2026-07-01T12:00:00.123Z` (RFC 3339, UTC, milliseconds): the conformance suite's
/// `new Date().toISOString()` form.
pub fn now_rfc3339() -> String {
    rfc3339(SystemTime::now())
}

/// `t` as `2026-07-01T12:00:00.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn timestamps_are_rfc3339_with_milliseconds() {
        let at = |secs, millis| rfc3339(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis));
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(1_782_907_200, 123), "2026-07-01T12:00:00.123Z");
        assert_eq!(now_rfc3339().len(), "2026-07-01T12:00:00.123Z".len());
    }
}
