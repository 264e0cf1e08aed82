//! Timestamps as text, both ways: `yyyy-MM-dd HH:mm:ss[.SSS]` (Flink's SQL format; a `T`
//! instead of the space and a trailing `Z` are accepted too), in UTC, without a time zone
//! library (days from civil dates, after Howard Hinnant's algorithms).

const MS_PER_DAY: i64 = 86_400_000;

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// `2024-01-01 00:00:10.000`.
pub fn format_timestamp(ms: i64) -> String {
    let (days, rem) = (ms.div_euclid(MS_PER_DAY), ms.rem_euclid(MS_PER_DAY));
    let (y, m, d) = civil_from_days(days);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (min, rem) = (rem / 60_000, rem % 60_000);
    let (s, milli) = (rem / 1000, rem % 1000);
    format!("{y:04}-{m:02}-{d:02} {h:02}:{min:02}:{s:02}.{milli:03}")
}

/// A day-time interval as Flink prints it: `+0 00:00:10.000` (days, then time).
pub fn format_interval(ms: i64) -> String {
    let sign = if ms < 0 { '-' } else { '+' };
    let ms = ms.unsigned_abs();
    let (days, rem) = (ms / 86_400_000, ms % 86_400_000);
    let (h, rem) = (rem / 3_600_000, rem % 3_600_000);
    let (min, rem) = (rem / 60_000, rem % 60_000);
    format!(
        "{sign}{days} {h:02}:{min:02}:{:02}.{:03}",
        rem / 1000,
        rem % 1000
    )
}

/// Parses `yyyy-MM-dd[( |T)HH:mm[:ss[.fraction]]][Z]` into milliseconds since the epoch;
/// `None` if it is not such a timestamp (fractions past milliseconds are truncated).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let text = text.trim();
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = match text.find([' ', 'T']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let mut parts = date.splitn(3, '-');
    let y = number(parts.next()?, 4, 4)?;
    let m = number(parts.next()?, 1, 2)?;
    let d = number(parts.next()?, 1, 2)?;
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    let mut ms = days_from_civil(y, m, d) * MS_PER_DAY;
    if let Some(time) = time {
        let (clock, fraction) = match time.split_once('.') {
            Some((c, f)) => (c, Some(f)),
            None => (time, None),
        };
        let mut fields = clock.split(':');
        let h = number(fields.next()?, 1, 2)?;
        let min = number(fields.next()?, 1, 2)?;
        let s = match fields.next() {
            Some(s) => number(s, 1, 2)?,
            None => 0,
        };
        if fields.next().is_some() || h > 23 || min > 59 || s > 59 {
            return None;
        }
        ms += h * 3_600_000 + min * 60_000 + s * 1000;
        if let Some(fraction) = fraction {
            if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            // Milliseconds: the first three digits, padded with zeros.
            let mut millis = 0;
            for i in 0..3 {
                let digit = fraction
                    .as_bytes()
                    .get(i)
                    .map_or(0, |b| i64::from(b - b'0'));
                millis = millis * 10 + digit;
            }
            ms += millis;
        }
    }
    Some(ms)
}

/// A decimal number of `min..=max` digits.
fn number(s: &str, min: usize, max: usize) -> Option<i64> {
    if s.len() < min || s.len() > max || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip() {
        for ms in [0, 1, 999, 86_399_999, 1_700_000_000_123, -1, -86_400_001] {
            assert_eq!(parse_timestamp(&format_timestamp(ms)), Some(ms), "{ms}");
        }
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00.000");
        assert_eq!(
            parse_timestamp("2024-02-29T12:30:05.5Z"),
            parse_timestamp("2024-02-29 12:30:05.500")
        );
        assert_eq!(parse_timestamp("1970-01-01 00:00:10"), Some(10_000));
        assert_eq!(parse_timestamp("1970-01-01"), Some(0));
        for bad in [
            "",
            "2023-02-29",
            "2024-13-01",
            "x",
            "2024-01-01 25:00",
            "2024-01-01 1:2:3.x",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn intervals_print_as_flink_does() {
        assert_eq!(format_interval(10_000), "+0 00:00:10.000");
        assert_eq!(format_interval(-90_061_001), "-1 01:01:01.001");
    }
}
