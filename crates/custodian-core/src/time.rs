//! Times and dates. The core reads no clock: a time is always an argument.
//!
//! A [`UtcTime`] is written in one form only, RFC 3339 with seconds and `Z`
//! (`2026-11-24T09:10:52Z`), so that signed bytes have one encoding. A [`Date`] is
//! `YYYY-MM-DD` (proleptic Gregorian). Conversions use Howard Hinnant's
//! `days_from_civil` / `civil_from_days` algorithms
//! (<https://howardhinnant.github.io/date_algorithms.html>).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Why a time or date was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, found {found:?}")]
pub struct TimeError {
    /// The form that was expected.
    pub expected: &'static str,
    /// The text given (at most 40 characters of it).
    pub found: String,
}

const TIME_FORM: &str = "a UTC time as YYYY-MM-DDTHH:MM:SSZ (e.g. 2026-11-24T09:10:52Z)";
const DATE_FORM: &str = "a date as YYYY-MM-DD (e.g. 2026-11-24)";

/// A calendar date.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    days_since_epoch: i64,
}

/// An instant, to the second, in UTC.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UtcTime {
    seconds_since_epoch: i64,
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp as i64 + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn parse_ymd(b: &[u8]) -> Option<(i64, u32, u32)> {
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (y, m, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let y = i64::from(y);
    ((1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)).then_some((y, m, d))
}

impl Date {
    /// Parses `YYYY-MM-DD`, rejecting impossible dates (2023-02-29).
    pub fn parse(text: &str) -> Result<Date, TimeError> {
        let err = || TimeError {
            expected: DATE_FORM,
            found: text.chars().take(40).collect(),
        };
        let (y, m, d) = parse_ymd(text.as_bytes()).ok_or_else(err)?;
        Ok(Date {
            days_since_epoch: days_from_civil(y, m, d),
        })
    }
    /// Year, month (1–12) and day (1–31).
    pub fn ymd(self) -> (i64, u32, u32) {
        civil_from_days(self.days_since_epoch)
    }
    /// Days since 1970-01-01.
    pub fn days_since_epoch(self) -> i64 {
        self.days_since_epoch
    }
    /// The date `days` later (or earlier, if negative).
    pub fn plus_days(self, days: i64) -> Date {
        Date {
            days_since_epoch: self.days_since_epoch + days,
        }
    }
    /// Midnight UTC at the start of this date.
    pub fn start_utc(self) -> UtcTime {
        UtcTime {
            seconds_since_epoch: self.days_since_epoch * 86_400,
        }
    }
}

impl UtcTime {
    /// Parses `YYYY-MM-DDTHH:MM:SSZ` exactly (no offsets, no fractions: one
    /// instant, one text).
    pub fn parse(text: &str) -> Result<UtcTime, TimeError> {
        let err = || TimeError {
            expected: TIME_FORM,
            found: text.chars().take(40).collect(),
        };
        let b = text.as_bytes();
        if b.len() != 20 || b[10] != b'T' || b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return Err(err());
        }
        let (y, m, d) = parse_ymd(&b[0..10]).ok_or_else(err)?;
        let hh = digits(&b[11..13]).filter(|h| *h < 24).ok_or_else(err)?;
        let mm = digits(&b[14..16]).filter(|m| *m < 60).ok_or_else(err)?;
        let ss = digits(&b[17..19]).filter(|s| *s < 60).ok_or_else(err)?;
        Ok(UtcTime {
            seconds_since_epoch: days_from_civil(y, m, d) * 86_400
                + i64::from(hh * 3600 + mm * 60 + ss),
        })
    }
    /// From seconds since 1970-01-01T00:00:00Z. Years outside 0000–9999 cannot be
    /// written in the four-digit form and are refused.
    pub fn from_unix_seconds(seconds: i64) -> Option<UtcTime> {
        let t = UtcTime {
            seconds_since_epoch: seconds,
        };
        (0..=9999).contains(&t.date().ymd().0).then_some(t)
    }
    /// Seconds since 1970-01-01T00:00:00Z.
    pub fn unix_seconds(self) -> i64 {
        self.seconds_since_epoch
    }
    /// The UTC calendar date of this instant.
    pub fn date(self) -> Date {
        Date {
            days_since_epoch: self.seconds_since_epoch.div_euclid(86_400),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl fmt::Display for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.seconds_since_epoch.rem_euclid(86_400);
        write!(
            f,
            "{}T{:02}:{:02}:{:02}Z",
            self.date(),
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

impl fmt::Debug for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Date({self})")
    }
}
impl fmt::Debug for UtcTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UtcTime({self})")
    }
}

macro_rules! text_serde {
    ($t:ty) => {
        impl Serialize for $t {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> Deserialize<'de> for $t {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                <$t>::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}
text_serde!(Date);
text_serde!(UtcTime);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2000-03-01 is day 11017 (checked against `date -u -d 2000-03-01 +%s` / 86400).
        assert_eq!(
            Date::parse("2000-03-01").unwrap().days_since_epoch(),
            11_017
        );
        assert_eq!(Date::parse("1970-01-01").unwrap().days_since_epoch(), 0);
        let t = UtcTime::parse("2026-11-24T09:10:52Z").unwrap();
        assert_eq!(t.unix_seconds(), 1_795_511_452);
        assert_eq!(t.to_string(), "2026-11-24T09:10:52Z");
        assert_eq!(
            UtcTime::parse("1968-07-01T00:00:00Z")
                .unwrap()
                .unix_seconds(),
            -47_433_600
        );
    }

    #[test]
    fn impossible_or_other_forms_are_refused() {
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "24-01-01",
            "2024-1-01",
            "2024-01-01 ",
        ] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
        assert!(Date::parse("2024-02-29").is_ok());
        for bad in [
            "2026-11-24T09:10:52",
            "2026-11-24T09:10:52+00:00",
            "2026-11-24T24:00:00Z",
            "2026-11-24T09:10:52.5Z",
            "2026-11-24t09:10:52z",
        ] {
            assert!(UtcTime::parse(bad).is_err(), "{bad}");
        }
    }

    proptest::proptest! {
        #[test]
        fn text_round_trip(seconds in -62_167_219_200i64..253_402_300_799) {
            let t = UtcTime::from_unix_seconds(seconds).unwrap();
            proptest::prop_assert_eq!(UtcTime::parse(&t.to_string()).unwrap(), t);
            let d = t.date();
            proptest::prop_assert_eq!(Date::parse(&d.to_string()).unwrap(), d);
        }
    }
}
