//! Logging data types: levels, filters, records and the key-value visitor
//!
//! The runtime does not format or store log output itself. Instead an
//! application installs a single logger callback (see
//! `Stakker::set_logger`) together with a [`LogFilter`] that selects which
//! [`LogLevel`]s are wanted. Each accepted log call reaches the logger as a
//! [`LogRecord`], and the logger decides how to write it out.
//!
//! # Records
//!
//! A [`LogRecord`] carries:
//!
//! - `id`: the [`LogID`] of the span the record belongs to (normally the
//!   actor that logged it), or 0 if it is not inside any span
//! - `level`: the [`LogLevel`] of the record
//! - `target`: a free-form category string, often a module path, or `""`
//! - `fmt`: the message text, as unformatted [`core::fmt::Arguments`]
//! - `kvscan`: a callback that reports the record's key-value pairs to a
//!   [`LogVisitor`]
//!
//! # Spans
//!
//! Spans group records. A span starts with a record of level
//! [`LogLevel::Open`], whose `id` is a freshly allocated non-zero
//! [`LogID`] and whose text is a tag naming the span (for an actor, its
//! type name). The `Open` record may carry a `parent` key giving the ID of
//! the enclosing span. Records logged inside the span carry the same `id`.
//! The span ends with a record of level [`LogLevel::Close`] with that `id`.
//! A filter that allows one of `Open`/`Close` always allows both, so a
//! logger never sees half of a span.
//!
//! # Key-value pairs
//!
//! Structured data is passed without allocation: the logger calls the
//! record's `kvscan` with its own [`LogVisitor`], and `kvscan` calls one
//! visitor method per value, in order. Every method takes the key first
//! (`None` for items inside an array). Maps and arrays nest: they are
//! opened with [`LogVisitor::kv_map`] / [`LogVisitor::kv_arr`] and closed
//! with [`LogVisitor::kv_mapend`] / [`LogVisitor::kv_arrend`], where the
//! closing call repeats the opening key. [`LogLevel::Audit`] records are
//! meant to be read by machines, so for them the key-value pairs are the
//! important part.
//!
//! # Example
//!
//! A visitor that collects pairs as strings, fed from a record's `kvscan`:
//!
//! ```
//! use core::fmt::Arguments;
//! use stakker_core::log::{LogLevel, LogRecord, LogVisitor};
//!
//! struct Collect(Vec<String>);
//!
//! impl Collect {
//!     fn push(&mut self, key: Option<&str>, val: impl std::fmt::Display) {
//!         self.0.push(format!("{}={}", key.unwrap_or("-"), val));
//!     }
//! }
//!
//! impl LogVisitor for Collect {
//!     fn kv_u64(&mut self, key: Option<&str>, val: u64) { self.push(key, val) }
//!     fn kv_i64(&mut self, key: Option<&str>, val: i64) { self.push(key, val) }
//!     fn kv_f64(&mut self, key: Option<&str>, val: f64) { self.push(key, val) }
//!     fn kv_bool(&mut self, key: Option<&str>, val: bool) { self.push(key, val) }
//!     fn kv_null(&mut self, key: Option<&str>) { self.push(key, "null") }
//!     fn kv_str(&mut self, key: Option<&str>, val: &str) { self.push(key, val) }
//!     fn kv_fmt(&mut self, key: Option<&str>, val: &Arguments<'_>) { self.push(key, val) }
//!     fn kv_map(&mut self, key: Option<&str>) { self.push(key, "{") }
//!     fn kv_mapend(&mut self, key: Option<&str>) { self.push(key, "}") }
//!     fn kv_arr(&mut self, key: Option<&str>) { self.push(key, "[") }
//!     fn kv_arrend(&mut self, key: Option<&str>) { self.push(key, "]") }
//! }
//!
//! // What a logger might do with each record it receives
//! fn logger(record: &LogRecord<'_>) -> (String, Vec<String>) {
//!     let mut visitor = Collect(Vec::new());
//!     (record.kvscan)(&mut visitor);
//!     (format!("{} #{} {}", record.level, record.id, record.fmt), visitor.0)
//! }
//!
//! let (text, pairs) = logger(&LogRecord {
//!     id: 7,
//!     level: LogLevel::Info,
//!     target: "example",
//!     fmt: format_args!("connected to {}", "server"),
//!     kvscan: &|v: &mut dyn LogVisitor| {
//!         v.kv_u64(Some("port"), 8080);
//!         v.kv_bool(Some("tls"), true);
//!         v.kv_arr(Some("tries"));
//!         v.kv_i64(None, -1);
//!         v.kv_fmt(None, &format_args!("{}ms", 250));
//!         v.kv_arrend(Some("tries"));
//!         v.kv_null(Some("fresh"));
//!     },
//! });
//! assert_eq!(text, "INFO #7 connected to server");
//! assert_eq!(
//!     pairs,
//!     ["port=8080", "tls=true", "tries=[", "-=-1", "-=250ms", "tries=]", "fresh=null"]
//! );
//! ```

use core::fmt;
use core::ops::{BitOr, BitOrAssign};
use core::str::FromStr;

/// The runtime side: the installed logger and span IDs.
pub(crate) mod logger;

/// Logging span ID: identifies the span (normally an actor) that a record
/// belongs to. 0 means "no span".
pub type LogID = u64;

/// The level of a log record
///
/// The severity levels run from [`LogLevel::Trace`] (least severe) to
/// [`LogLevel::Error`] (most severe). [`LogLevel::Audit`],
/// [`LogLevel::Open`] and [`LogLevel::Close`] are special-purpose levels,
/// and [`LogLevel::Off`] is used only in filters: records logged at `Off`
/// are ignored. Levels are ordered by their discriminant.
#[repr(u32)]
#[non_exhaustive]
#[derive(Debug, Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogLevel {
    /// Tracing of execution, very verbose
    Trace = 0,
    /// Debugging information
    Debug = 1,
    /// Information about normal operation
    Info = 2,
    /// Something unexpected that the code could handle
    Warn = 3,
    /// A failure
    Error = 4,
    /// A machine-readable record, whose content is in its key-value pairs
    Audit = 5,
    /// The start of a span; the record's ID is the new span's ID
    Open = 6,
    /// The end of a span
    Close = 7,
    /// No logging: as a filter level it enables nothing, and records
    /// logged at this level are ignored
    Off = 8,
}

/// All levels, in the order used for display
const ALL_LEVELS: [LogLevel; 9] = [
    LogLevel::Trace,
    LogLevel::Debug,
    LogLevel::Info,
    LogLevel::Warn,
    LogLevel::Error,
    LogLevel::Off,
    LogLevel::Audit,
    LogLevel::Open,
    LogLevel::Close,
];

impl LogLevel {
    /// The level's name in upper case: `"TRACE"`, `"DEBUG"`, `"INFO"`,
    /// `"WARN"`, `"ERROR"`, `"OFF"`, `"AUDIT"`, `"OPEN"` or `"CLOSE"`
    pub const fn name(self) -> &'static str {
        match self {
            LogLevel::Trace => "TRACE",
            LogLevel::Debug => "DEBUG",
            LogLevel::Info => "INFO",
            LogLevel::Warn => "WARN",
            LogLevel::Error => "ERROR",
            LogLevel::Off => "OFF",
            LogLevel::Audit => "AUDIT",
            LogLevel::Open => "OPEN",
            LogLevel::Close => "CLOSE",
        }
    }

    /// Every level, in the order `Trace`, `Debug`, `Info`, `Warn`,
    /// `Error`, `Off`, `Audit`, `Open`, `Close`
    pub fn all_levels() -> &'static [LogLevel] {
        &ALL_LEVELS
    }

    /// Bit of this level within a [`LogFilter`] mask
    const fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

impl fmt::Display for LogLevel {
    /// Writes [`LogLevel::name`]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<u8> for LogLevel {
    type Error = LogLevelError;

    /// Converts a discriminant (0 to 8) back into a level
    fn try_from(value: u8) -> Result<Self, LogLevelError> {
        Ok(match value {
            0 => LogLevel::Trace,
            1 => LogLevel::Debug,
            2 => LogLevel::Info,
            3 => LogLevel::Warn,
            4 => LogLevel::Error,
            5 => LogLevel::Audit,
            6 => LogLevel::Open,
            7 => LogLevel::Close,
            8 => LogLevel::Off,
            _ => return Err(LogLevelError),
        })
    }
}

impl FromStr for LogLevel {
    type Err = LogLevelError;

    /// Parses a level name, ignoring surrounding whitespace and ASCII case
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        ALL_LEVELS
            .iter()
            .copied()
            .find(|level| level.name().eq_ignore_ascii_case(s))
            .ok_or(LogLevelError)
    }
}

/// Error returned when a [`LogLevel`] or [`LogFilter`] cannot be parsed
/// or converted
#[derive(Debug, PartialEq, Eq)]
pub struct LogLevelError;

impl fmt::Display for LogLevelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid logging level")
    }
}

impl core::error::Error for LogLevelError {}

/// A set of enabled [`LogLevel`]s
///
/// Build one from a level with `From` (which also enables the related
/// levels, see below), combine sets with `|`, or parse a comma-separated
/// list of level names:
///
/// ```
/// use stakker_core::log::{LogFilter, LogLevel};
///
/// let filter = LogFilter::from(LogLevel::Info) | LogFilter::from(LogLevel::Open);
/// assert!(filter.allows(LogLevel::Warn));
/// assert!(filter.allows(LogLevel::Close));
/// assert!(!filter.allows(LogLevel::Debug));
/// assert_eq!(filter.to_string(), "LogFilter(INFO,WARN,ERROR,OPEN,CLOSE)");
/// assert_eq!("info, open".parse(), Ok(filter));
/// ```
#[derive(Debug, Default, Copy, Clone, PartialEq, Eq)]
pub struct LogFilter(u32);

impl LogFilter {
    /// An empty filter, allowing no levels
    pub const fn new() -> LogFilter {
        LogFilter(0)
    }

    /// The union of `LogFilter::from(level)` for each of `levels`
    pub fn all(levels: &[LogLevel]) -> LogFilter {
        levels
            .iter()
            .fold(LogFilter::new(), |acc, &level| acc | LogFilter::from(level))
    }

    /// Whether records at `level` are enabled by this filter
    pub const fn allows(&self, level: LogLevel) -> bool {
        self.0 & level.bit() != 0
    }

    /// Whether no level at all is enabled
    pub const fn is_empty(&self) -> bool {
        self.0 == 0
    }
}

impl From<LogLevel> for LogFilter {
    /// The set of levels enabled by naming `level` in a filter:
    ///
    /// - a severity level (`Trace` to `Error`) enables itself and every
    ///   more severe level up to `Error`
    /// - `Off` enables nothing
    /// - `Audit` enables only `Audit`
    /// - `Open` or `Close` enables both `Open` and `Close`
    fn from(level: LogLevel) -> Self {
        use LogLevel::*;
        LogFilter(match level {
            Trace | Debug | Info | Warn | Error => {
                // Bits from `level` up to and including `Error`
                let upto = Error.bit() | (Error.bit() - 1);
                upto & !(level.bit() - 1)
            }
            Off => 0,
            Audit => Audit.bit(),
            Open | Close => Open.bit() | Close.bit(),
        })
    }
}

impl BitOr for LogFilter {
    type Output = LogFilter;

    /// The union of two filters
    fn bitor(self, rhs: LogFilter) -> LogFilter {
        LogFilter(self.0 | rhs.0)
    }
}

impl BitOrAssign for LogFilter {
    /// Adds the levels of `rhs` to this filter
    fn bitor_assign(&mut self, rhs: LogFilter) {
        self.0 |= rhs.0;
    }
}

impl fmt::Display for LogFilter {
    /// Writes `LogFilter(` and the names of the enabled levels in
    /// [`LogLevel::all_levels`] order, separated by commas, then `)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LogFilter(")?;
        let mut first = true;
        for &level in ALL_LEVELS.iter().filter(|&&level| self.allows(level)) {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            f.write_str(level.name())?;
        }
        f.write_str(")")
    }
}

impl FromStr for LogFilter {
    type Err = LogLevelError;

    /// Parses a comma-separated list of level names (each parsed as a
    /// [`LogLevel`], so whitespace and ASCII case are ignored) into the
    /// union of their `From` sets. Every part must be a valid level
    /// name, so an empty string or a trailing comma is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.split(',').try_fold(LogFilter::new(), |acc, part| {
            Ok(acc | LogFilter::from(part.parse::<LogLevel>()?))
        })
    }
}

/// One log record, as passed to the logger
///
/// See the [module documentation](self) for the meaning of the fields.
pub struct LogRecord<'a> {
    /// Span (normally actor) ID that the record belongs to, or 0 for none.
    /// For [`LogLevel::Open`] records this is the new span's ID.
    pub id: LogID,
    /// Level of the record
    pub level: LogLevel,
    /// Category of the record, for example a module path, or `""`
    pub target: &'a str,
    /// Text of the record, not yet formatted. For [`LogLevel::Open`]
    /// records it is the span's tag.
    pub fmt: fmt::Arguments<'a>,
    /// Reports the record's key-value pairs, in order, to the visitor it
    /// is called with
    pub kvscan: &'a dyn Fn(&mut dyn LogVisitor),
}

/// Receiver of the key-value pairs of a [`LogRecord`]
///
/// The record's `kvscan` calls one method per value. `key` is the pair's
/// key, or `None` for values inside an array. Maps and arrays may nest:
/// each `kv_map`/`kv_arr` is matched by a later `kv_mapend`/`kv_arrend`
/// with the same key. There is no way to stop a scan early.
pub trait LogVisitor {
    /// An unsigned integer value
    fn kv_u64(&mut self, key: Option<&str>, val: u64);
    /// A signed integer value
    fn kv_i64(&mut self, key: Option<&str>, val: i64);
    /// A floating-point value
    fn kv_f64(&mut self, key: Option<&str>, val: f64);
    /// A boolean value
    fn kv_bool(&mut self, key: Option<&str>, val: bool);
    /// A key that is present but has no value
    fn kv_null(&mut self, key: Option<&str>);
    /// A string value
    fn kv_str(&mut self, key: Option<&str>, val: &str);
    /// A value to be formatted as a string
    fn kv_fmt(&mut self, key: Option<&str>, val: &fmt::Arguments<'_>);
    /// The start of a map; the values up to the matching `kv_mapend` are
    /// its entries
    fn kv_map(&mut self, key: Option<&str>);
    /// The end of a map, repeating the key given to `kv_map`
    fn kv_mapend(&mut self, key: Option<&str>);
    /// The start of an array; the values up to the matching `kv_arrend`
    /// are its items, each with key `None`
    fn kv_arr(&mut self, key: Option<&str>);
    /// The end of an array, repeating the key given to `kv_arr`
    fn kv_arrend(&mut self, key: Option<&str>);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    use LogLevel::*;

    /// Every level together with its name and discriminant
    const TABLE: [(LogLevel, &str, u8); 9] = [
        (Trace, "TRACE", 0),
        (Debug, "DEBUG", 1),
        (Info, "INFO", 2),
        (Warn, "WARN", 3),
        (Error, "ERROR", 4),
        (Audit, "AUDIT", 5),
        (Open, "OPEN", 6),
        (Close, "CLOSE", 7),
        (Off, "OFF", 8),
    ];

    /// The levels a filter allows, in `all_levels` order
    fn levels_of(filter: LogFilter) -> Vec<LogLevel> {
        LogLevel::all_levels()
            .iter()
            .copied()
            .filter(|&l| filter.allows(l))
            .collect()
    }

    #[test]
    fn names_and_display() {
        for (level, name, _) in TABLE {
            assert_eq!(level.name(), name);
            assert_eq!(level.to_string(), name);
            assert_eq!(format!("{level}"), name);
        }
    }

    #[test]
    fn discriminants() {
        for (level, _, disc) in TABLE {
            assert_eq!(level as u32, u32::from(disc));
            assert_eq!(LogLevel::try_from(disc), Ok(level));
        }
        assert_eq!(LogLevel::try_from(9), Err(LogLevelError));
        assert_eq!(LogLevel::try_from(255), Err(LogLevelError));
    }

    #[test]
    fn all_levels_order() {
        assert_eq!(
            LogLevel::all_levels(),
            &[Trace, Debug, Info, Warn, Error, Off, Audit, Open, Close]
        );
    }

    #[test]
    fn level_ordering() {
        let by_disc = [Trace, Debug, Info, Warn, Error, Audit, Open, Close, Off];
        for pair in by_disc.windows(2) {
            assert!(pair[0] < pair[1], "{:?} < {:?}", pair[0], pair[1]);
        }
        let mut sorted = LogLevel::all_levels().to_vec();
        sorted.sort();
        assert_eq!(sorted, by_disc);
        assert_eq!(sorted.iter().max(), Some(&Off));
        assert_eq!(sorted.iter().min(), Some(&Trace));
    }

    #[test]
    fn level_from_str() {
        for (level, name, _) in TABLE {
            assert_eq!(name.parse::<LogLevel>(), Ok(level));
            assert_eq!(name.to_ascii_lowercase().parse::<LogLevel>(), Ok(level));
            assert_eq!(level.to_string().parse::<LogLevel>(), Ok(level));
            assert_eq!(format!(" \t{name}\n").parse::<LogLevel>(), Ok(level));
        }
        assert_eq!(" INFO ".parse::<LogLevel>(), Ok(Info));
        assert_eq!("wArN".parse::<LogLevel>(), Ok(Warn));
        assert_eq!("".parse::<LogLevel>(), Err(LogLevelError));
        assert_eq!("   ".parse::<LogLevel>(), Err(LogLevelError));
        assert_eq!("verbose".parse::<LogLevel>(), Err(LogLevelError));
        assert_eq!("INF".parse::<LogLevel>(), Err(LogLevelError));
        assert_eq!("INFOO".parse::<LogLevel>(), Err(LogLevelError));
        assert_eq!("IN FO".parse::<LogLevel>(), Err(LogLevelError));
        assert_eq!("info,".parse::<LogLevel>(), Err(LogLevelError));
    }

    #[test]
    fn error_type() {
        assert_eq!(LogLevelError.to_string(), "invalid logging level");
        let e: &dyn core::error::Error = &LogLevelError;
        assert!(e.source().is_none());
        assert_eq!(format!("{e}"), "invalid logging level");
    }

    #[test]
    fn filter_from_level() {
        assert_eq!(levels_of(Trace.into()), [Trace, Debug, Info, Warn, Error]);
        assert_eq!(levels_of(Debug.into()), [Debug, Info, Warn, Error]);
        assert_eq!(levels_of(Info.into()), [Info, Warn, Error]);
        assert_eq!(levels_of(Warn.into()), [Warn, Error]);
        assert_eq!(levels_of(Error.into()), [Error]);
        assert_eq!(levels_of(Off.into()), []);
        assert!(LogFilter::from(Off).is_empty());
        assert_eq!(levels_of(Audit.into()), [Audit]);
        assert_eq!(levels_of(Open.into()), [Open, Close]);
        assert_eq!(levels_of(Close.into()), [Open, Close]);
        assert_eq!(LogFilter::from(Open), LogFilter::from(Close));
        // A filter never allows `Off` itself
        for &l in LogLevel::all_levels() {
            assert!(!LogFilter::from(l).allows(Off));
        }
    }

    #[test]
    fn filter_basics() {
        let empty = LogFilter::new();
        assert!(empty.is_empty());
        assert_eq!(empty, LogFilter::default());
        assert_eq!(levels_of(empty), []);
        assert!(!LogFilter::from(Error).is_empty());
        assert_eq!(LogFilter::all(&[]), empty);
        assert_eq!(LogFilter::all(&[Off]), empty);
        assert_eq!(
            levels_of(LogFilter::all(&[Warn, Audit, Close])),
            [Warn, Error, Audit, Open, Close]
        );
        assert_eq!(LogFilter::all(&[Info, Debug]), LogFilter::from(Debug));
        let every = LogFilter::all(LogLevel::all_levels());
        assert_eq!(
            levels_of(every),
            [Trace, Debug, Info, Warn, Error, Audit, Open, Close]
        );
    }

    #[test]
    fn filter_bitor() {
        let a = LogFilter::from(Warn);
        let b = LogFilter::from(Audit);
        let c = a | b;
        assert_eq!(levels_of(c), [Warn, Error, Audit]);
        assert_eq!(a | b, b | a);
        assert_eq!(a | a, a);
        assert_eq!(a | LogFilter::new(), a);
        let mut d = LogFilter::new();
        d |= a;
        assert_eq!(d, a);
        d |= LogFilter::from(Open);
        assert_eq!(levels_of(d), [Warn, Error, Open, Close]);
        d |= LogFilter::from(Off);
        assert_eq!(levels_of(d), [Warn, Error, Open, Close]);
    }

    #[test]
    fn filter_display() {
        assert_eq!(LogFilter::new().to_string(), "LogFilter()");
        assert_eq!(LogFilter::from(Error).to_string(), "LogFilter(ERROR)");
        assert_eq!(
            (LogFilter::from(Info) | LogFilter::from(Open)).to_string(),
            "LogFilter(INFO,WARN,ERROR,OPEN,CLOSE)"
        );
        assert_eq!(
            LogFilter::all(LogLevel::all_levels()).to_string(),
            "LogFilter(TRACE,DEBUG,INFO,WARN,ERROR,AUDIT,OPEN,CLOSE)"
        );
        assert_eq!(
            LogFilter::all(&[Close, Audit]).to_string(),
            "LogFilter(AUDIT,OPEN,CLOSE)"
        );
    }

    #[test]
    fn filter_from_str() {
        let p = |s: &str| s.parse::<LogFilter>();
        assert_eq!(p("info"), Ok(LogFilter::from(Info)));
        assert_eq!(p(" INFO "), Ok(LogFilter::from(Info)));
        assert_eq!(
            p("warn,audit, open "),
            Ok(LogFilter::all(&[Warn, Audit, Open]))
        );
        assert_eq!(p("off"), Ok(LogFilter::new()));
        assert_eq!(p("OFF,error"), Ok(LogFilter::from(Error)));
        assert_eq!(p("close"), Ok(LogFilter::all(&[Open, Close])));
        assert_eq!(p(""), Err(LogLevelError));
        assert_eq!(p(" "), Err(LogLevelError));
        assert_eq!(p("info,"), Err(LogLevelError));
        assert_eq!(p(",info"), Err(LogLevelError));
        assert_eq!(p("info,,warn"), Err(LogLevelError));
        assert_eq!(p("verbose"), Err(LogLevelError));
        assert_eq!(p("info,verbose"), Err(LogLevelError));
        assert_eq!(p("info warn"), Err(LogLevelError));
    }

    #[test]
    fn filter_round_trip() {
        // Every filter that can be built from levels survives a trip
        // through its Display form (with the wrapper stripped)
        let levels = LogLevel::all_levels();
        for mask in 0u32..(1 << levels.len()) {
            let chosen: Vec<LogLevel> = (0..levels.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| levels[i])
                .collect();
            let filter = LogFilter::all(&chosen);
            let shown = filter.to_string();
            let inner = shown
                .strip_prefix("LogFilter(")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap();
            if filter.is_empty() {
                assert_eq!(inner, "");
                assert_eq!(inner.parse::<LogFilter>(), Err(LogLevelError));
                assert_eq!("off".parse::<LogFilter>(), Ok(filter));
            } else {
                assert_eq!(inner.parse::<LogFilter>(), Ok(filter), "{shown}");
                assert_eq!(inner.to_lowercase().parse::<LogFilter>(), Ok(filter));
            }
        }
    }

    struct Collect(Vec<String>);

    impl Collect {
        fn push(&mut self, key: Option<&str>, val: &dyn fmt::Display) {
            self.0.push(format!("{}={}", key.unwrap_or("-"), val));
        }
    }

    impl LogVisitor for Collect {
        fn kv_u64(&mut self, key: Option<&str>, val: u64) {
            self.push(key, &val);
        }
        fn kv_i64(&mut self, key: Option<&str>, val: i64) {
            self.push(key, &val);
        }
        fn kv_f64(&mut self, key: Option<&str>, val: f64) {
            self.push(key, &val);
        }
        fn kv_bool(&mut self, key: Option<&str>, val: bool) {
            self.push(key, &val);
        }
        fn kv_null(&mut self, key: Option<&str>) {
            self.push(key, &"null");
        }
        fn kv_str(&mut self, key: Option<&str>, val: &str) {
            self.push(key, &val);
        }
        fn kv_fmt(&mut self, key: Option<&str>, val: &fmt::Arguments<'_>) {
            self.push(key, val);
        }
        fn kv_map(&mut self, key: Option<&str>) {
            self.push(key, &"{");
        }
        fn kv_mapend(&mut self, key: Option<&str>) {
            self.push(key, &"}");
        }
        fn kv_arr(&mut self, key: Option<&str>) {
            self.push(key, &"[");
        }
        fn kv_arrend(&mut self, key: Option<&str>) {
            self.push(key, &"]");
        }
    }

    fn consume(rec: &LogRecord<'_>) -> (String, Vec<String>) {
        let mut v = Collect(Vec::new());
        (rec.kvscan)(&mut v);
        // Scanning again gives the same pairs
        let mut v2 = Collect(Vec::new());
        (rec.kvscan)(&mut v2);
        assert_eq!(v.0, v2.0);
        (
            format!("{}|{}|{}|{}", rec.id, rec.level, rec.target, rec.fmt),
            v.0,
        )
    }

    #[test]
    fn record_and_visitor() {
        let (text, pairs) = consume(&LogRecord {
            id: 42,
            level: Audit,
            target: "tgt",
            fmt: format_args!("x={}", 5),
            kvscan: &|v: &mut dyn LogVisitor| {
                v.kv_u64(Some("u"), u64::MAX);
                v.kv_i64(Some("i"), -3);
                v.kv_f64(Some("f"), 1.5);
                v.kv_bool(Some("b"), false);
                v.kv_null(Some("n"));
                v.kv_str(Some("s"), "str");
                v.kv_fmt(Some("fmt"), &format_args!("{}-{}", 1, 2));
                v.kv_map(Some("m"));
                v.kv_arr(Some("a"));
                v.kv_u64(None, 1);
                v.kv_arrend(Some("a"));
                v.kv_mapend(Some("m"));
            },
        });
        assert_eq!(text, "42|AUDIT|tgt|x=5");
        assert_eq!(
            pairs,
            [
                "u=18446744073709551615",
                "i=-3",
                "f=1.5",
                "b=false",
                "n=null",
                "s=str",
                "fmt=1-2",
                "m={",
                "a=[",
                "-=1",
                "a=]",
                "m=}",
            ]
        );

        let (text, pairs) = consume(&LogRecord {
            id: 0,
            level: Close,
            target: "",
            fmt: format_args!(""),
            kvscan: &|_: &mut dyn LogVisitor| {},
        });
        assert_eq!(text, "0|CLOSE||");
        assert!(pairs.is_empty());
    }

    #[test]
    fn traits_are_copy_send_sync() {
        fn check<T: Copy + Clone + Send + Sync + 'static>() {}
        check::<LogLevel>();
        check::<LogFilter>();
        fn check_send_sync<T: Send + Sync + 'static>() {}
        check_send_sync::<LogLevelError>();
        let f = LogFilter::from(Warn);
        let g = f;
        assert_eq!(f, g);
    }
}
