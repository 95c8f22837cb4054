//! Durations on the command line (humantime), bounded so that no deadline can overflow.

use std::time::Duration;

/// The longest wait, grace or timeout zklock accepts: far beyond any use, and far from the
/// clocks' limits (a deadline must fit an `Instant` and a boot-clock reading). Ten of
/// humantime's years (365.25 days), so that `10y` itself is accepted.
const LONGEST: Duration = Duration::from_secs(10 * 31_557_600);

/// A humantime duration (`500ms`, `30s`, `1m 30s`), or plain seconds as flock(1) takes them
/// (`5`, `0.5`).
pub fn parse(s: &str) -> Result<Duration, String> {
    let plain = s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
    let d = match plain {
        Some(secs) if secs < 0.0 => return Err("negative".into()),
        Some(secs) if secs > LONGEST.as_secs_f64() => {
            return Err("longer than 10 years, the most zklock accepts".into());
        }
        Some(secs) => Duration::from_secs_f64(secs),
        None => humantime::parse_duration(s).map_err(|e| format!("{e} (try 5, 500ms, 30s, 2m)"))?,
    };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_numbers_are_seconds_as_flock_takes_them() {
        assert_eq!(parse("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse("0.5"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("1m 30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["-1", "1e300", "NaN", "inf", "5 parsecs", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
