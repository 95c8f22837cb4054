//! Durations on the command line (humantime), bounded so that no deadline can overflow.

use std::time::Duration;

/// The longest wait, grace or timeout zklock accepts: far beyond any use, and far from the
/// clocks' limits (a deadline must fit an `Instant` and a boot-clock reading).
const LONGEST: Duration = Duration::from_secs(10 * 365 * 86_400);

pub fn parse(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s).map_err(|e| format!("{e} (try 500ms, 30s, 2m)"))?;
    if d > LONGEST {
        return Err("longer than 10 years, the most zklock accepts".into());
    }
    Ok(d)
}

/// A session timeout travels as milliseconds in a signed 32-bit field: about 24 days at most
/// (servers allow far less: 20 tickTimes unless maxSessionTimeout says otherwise).
pub fn parse_session_timeout(s: &str) -> Result<Duration, String> {
    let d = parse(s)?;
    if d.as_millis() > i32::MAX as u128 {
        return Err("longer than the protocol's 24 days".into());
    }
    if d < Duration::from_millis(1) {
        return Err("must be at least 1ms".into());
    }
    Ok(d)
}
