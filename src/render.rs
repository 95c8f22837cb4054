//! Human and JSON output for ls, watch and elect --leader/--observe: the text side (escaping,
//! columns, times) here, and the JSON objects' vocabulary (`Json`, fields in a fixed order),
//! written by serde_json.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A JSON value, enough for zklock's flat records.
#[derive(Debug, Clone)]
pub enum Json {
    Null,
    Int(i64),
    Str(String),
    List(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

impl Json {
    pub fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// Renders on one line, by serde_json (the writer of every record and `--json` object):
    /// fields in the order given.
    pub fn render(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl serde::Serialize for Json {
    fn serialize<S: serde::Serializer>(&self, out: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self {
            Json::Null => out.serialize_unit(),
            Json::Int(n) => out.serialize_i64(*n),
            Json::Str(s) => out.serialize_str(s),
            Json::List(items) => {
                let mut seq = out.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Json::Object(fields) => {
                let mut map = out.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

/// Node data for JSON: `(data, encoding)`, UTF-8 when it is, base64 otherwise.
pub fn data_json(data: &[u8]) -> (Json, Json) {
    match std::str::from_utf8(data) {
        Ok(text) => (Json::str(text), Json::str("utf-8")),
        Err(_) => (Json::Str(base64(data)), Json::str("base64")),
    }
}

/// Node data for a text line, safe for a terminal (SPEC §5.1): UTF-8 with every control
/// character escaped (`\0`, `\t`, `\n`, `\r`, `\x1b`, `\u{85}`) and `\` doubled, so
/// whoever can write a znode cannot drive the reader's terminal; anything else as base64 with
/// a prefix. `--json` carries the exact data instead.
pub fn data_text(data: &[u8]) -> String {
    let Ok(text) = std::str::from_utf8(data) else {
        return format!("base64:{}", base64(data));
    };
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\0' => out.push_str("\\0"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x80 && c.is_control() => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// Standard base64 with padding.
pub fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Milliseconds since the epoch (a znode's ctime or mtime) as RFC 3339 UTC.
pub fn timestamp(millis: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(millis.max(0) as u64);
    humantime::format_rfc3339_seconds(at).to_string()
}

/// A duration in one style for diagnostics: `0.8ms`, `2.4ms`, `1.8s`, `1m 4s`.
pub fn duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{:.1}ms", d.as_secs_f64() * 1e3)
    } else if d < Duration::from_secs(60) {
        format!("{:.1}s", d.as_secs_f64())
    } else {
        humantime::format_duration(Duration::from_secs(d.as_secs())).to_string()
    }
}

/// How long ago `millis` (since the epoch) was, rounded to the second.
pub fn age(millis: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_millis(millis.max(0) as u64);
    let ago = SystemTime::now().duration_since(at).unwrap_or_default();
    humantime::format_duration(Duration::from_secs(ago.as_secs())).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_text_never_carries_a_control_character() {
        assert_eq!(data_text(b"plain text"), "plain text");
        assert_eq!(
            data_text(b"\x1b[31mred\0\ta\nb\\c\x7f"),
            "\\x1b[31mred\\0\\ta\\nb\\\\c\\x7f"
        );
        assert_eq!(data_text("\u{85}é".as_bytes()), "\\u{85}é");
        assert_eq!(data_text(b"\xff\xfe"), "base64://4=");
        let every: Vec<u8> = (0u8..0x80).collect();
        assert!(!data_text(&every).chars().any(char::is_control));
    }

    #[test]
    fn durations_have_one_style() {
        let d = |ms: u64| duration(Duration::from_micros(ms));
        assert_eq!(d(831), "0.8ms");
        assert_eq!(d(2_406), "2.4ms");
        assert_eq!(d(1_798_604), "1.8s");
        assert_eq!(d(64_400_000), "1m 4s");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn json_escapes_control_characters() {
        let j = Json::Object(vec![("a", Json::str("q\"\\\n\u{1}")), ("b", Json::Null)]);
        assert_eq!(j.render(), r#"{"a":"q\"\\\n\u0001","b":null}"#);
    }
}
