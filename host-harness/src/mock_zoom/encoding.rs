//! The small codecs the mock needs: query strings and form bodies, base64 for HTTP Basic auth and
//! PKCE, random tokens and Zoom's `YYYY-MM-DDTHH:MM:SSZ` timestamps.
//!
//! They are written out here rather than pulled in as dependencies because each is a few lines
//! and the mock only ever meets well-formed or deliberately broken input from our own tests.

use rand::Rng;
use rand::distr::Alphanumeric;

/// Parses `a=1&b=x%20y` (a query string or an `application/x-www-form-urlencoded` body) into
/// decoded pairs, in order. A pair without `=` gets an empty value.
pub(crate) fn parse_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (decode_component(name), decode_component(value))
        })
        .collect()
}

/// Decodes `%XX` escapes and `+` as a space. A malformed escape is kept literally rather than
/// rejected: the mock records what it was sent and answers the way Zoom would to a bad value.
pub(crate) fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b'%' => match bytes.get(i + 1..i + 3).and_then(hex_pair) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                }
                None => {
                    out.push(b'%');
                    i += 1;
                }
            },
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub(crate) fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for byte in s.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Base64url without padding, as PKCE's S256 challenge and Zoom's ids use it.
pub(crate) fn base64url_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(BASE64URL[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// Decodes standard or URL-safe base64, padded or not; `None` if it is not base64.
pub(crate) fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for byte in s.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// A fresh unguessable alphanumeric string from the thread's OS-seeded generator.
///
/// Tokens deliberately do not come from the organisation's seed: two mocks started with the
/// same seed (one test after another, or a restarted `harness mock-zoom`) must never accept
/// each other's tokens.
pub(crate) fn random_token(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// Seconds since the Unix epoch of midnight UTC on the given civil date.
pub(crate) const fn epoch_seconds(year: i64, month: u32, day: u32) -> i64 {
    days_from_civil(year, month, day) * 86_400
}

// Howard Hinnant's `days_from_civil` / `civil_from_days`, exact for the proleptic Gregorian
// calendar; they save a date-time dependency for the one format Zoom uses.
const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = month as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Formats seconds since the epoch as Zoom does: `2026-11-25T05:40:55Z`.
pub(crate) fn format_timestamp(secs: i64) -> String {
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// SplitMix64: a fast, well-mixed hash of one word, used to derive per-row details lazily.
pub(crate) fn mix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_pairs_decode_escapes_and_plus() {
        let pairs = parse_pairs("grant_type=refresh_token&a=x%20y+z&empty&bad=%zz");
        assert_eq!(pairs[0], ("grant_type".into(), "refresh_token".into()));
        assert_eq!(pairs[1], ("a".into(), "x y z".into()));
        assert_eq!(pairs[2], ("empty".into(), String::new()));
        assert_eq!(pairs[3], ("bad".into(), "%zz".into()));
        assert_eq!(decode_component(&encode_component("a b/é?&=")), "a b/é?&=");
    }

    #[test]
    fn base64_round_trips_and_matches_rfc_7636_example() {
        let decoded = base64_decode("ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=").unwrap();
        assert_eq!(decoded, b"demo-client:demo-secret");
        for len in 0..10 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 5) as u8).collect();
            assert_eq!(base64_decode(&base64url_encode(&bytes)).unwrap(), bytes);
        }
        // RFC 7636 appendix B.
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(b"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
        assert_eq!(
            base64url_encode(&digest),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn timestamps_format_like_zoom() {
        assert_eq!(format_timestamp(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_timestamp(1_559_375_883), "2019-06-01T07:58:03Z");
        assert_eq!(epoch_seconds(2030, 1, 2), 1_893_542_400);
        assert_eq!(
            format_timestamp(epoch_seconds(2024, 2, 29) + 59),
            "2024-02-29T00:00:59Z"
        );
    }
}
