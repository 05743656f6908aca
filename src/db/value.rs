//! Lenient typed reads of VICIdial's values: NULLs, zero dates, numbers stored
//! as text and text in any encoding come back as `None` or as text, never as a
//! panic, so one bad row is skipped and logged instead of stopping a pass.

use chrono::{NaiveDate, NaiveDateTime};
use mysql_async::{Row, Value};

/// Reads the columns of one row by position.
pub struct RowReader(Vec<Value>);

impl RowReader {
    /// Wraps a row.
    pub fn new(row: Row) -> RowReader {
        RowReader(row.unwrap())
    }

    fn take(&mut self, i: usize) -> Value {
        self.0
            .get_mut(i)
            .map(|v| std::mem::replace(v, Value::NULL))
            .unwrap_or(Value::NULL)
    }

    /// Text, or `None` for NULL.
    pub fn opt_text(&mut self, i: usize) -> Option<String> {
        match self.take(i) {
            Value::NULL => None,
            Value::Bytes(b) => {
                Some(String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
            }
            Value::Int(n) => Some(n.to_string()),
            Value::UInt(n) => Some(n.to_string()),
            Value::Float(f) => Some(f.to_string()),
            Value::Double(f) => Some(f.to_string()),
            v @ (Value::Date(..) | Value::Time(..)) => Some(v.as_sql(true).trim_matches('\'').to_string()),
        }
    }

    /// Text, with NULL read as empty (VICIdial treats them alike).
    pub fn text(&mut self, i: usize) -> String {
        self.opt_text(i).unwrap_or_default()
    }

    /// An integer, or `None` for NULL or non-numbers.
    pub fn int(&mut self, i: usize) -> Option<i64> {
        match self.take(i) {
            Value::Int(n) => Some(n),
            Value::UInt(n) => i64::try_from(n).ok(),
            Value::Bytes(b) => std::str::from_utf8(&b).ok()?.trim().parse().ok(),
            _ => None,
        }
    }

    /// An unsigned integer, or `None` for NULL, negatives or non-numbers.
    pub fn uint(&mut self, i: usize) -> Option<u64> {
        self.int(i).and_then(|n| u64::try_from(n).ok())
    }

    /// A DATETIME, or `None` for NULL and zero dates.
    pub fn datetime(&mut self, i: usize) -> Option<NaiveDateTime> {
        match self.take(i) {
            Value::Date(y, mo, d, h, mi, s, us) => NaiveDate::from_ymd_opt(y.into(), mo.into(), d.into())?
                .and_hms_micro_opt(h.into(), mi.into(), s.into(), us),
            Value::Bytes(b) => {
                let t = std::str::from_utf8(&b).ok()?;
                NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f")
                    .ok()
                    .or_else(|| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0))
            }
            _ => None,
        }
    }

    /// A DATE, or `None` for NULL and zero dates.
    pub fn date(&mut self, i: usize) -> Option<NaiveDate> {
        self.datetime(i).map(|dt| dt.date())
    }
}
