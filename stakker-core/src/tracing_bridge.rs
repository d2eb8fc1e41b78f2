//! Forwarding log records to the [`tracing`](https://docs.rs/tracing) crate (feature `tracing`).
//!
//! [`install`] sets a runtime's logger to [`forward`], which turns every [`LogRecord`] that the
//! runtime's [`LogFilter`] lets through into one `tracing` event. Whatever subscriber is current
//! on the runtime's thread (a scoped one from `tracing::subscriber::with_default`, or the global
//! default) then receives it and applies its own filtering on top. [`forward`] is a plain logger
//! function, so it can also be called from a logger of your own, for example one that writes
//! some records elsewhere and forwards the rest.
//!
//! # The events
//!
//! Every event has the static target [`TARGET`] (`"stakker"`): `tracing`'s macros need a target
//! known at compile time, so the record's own target goes into a field. The fields, in order:
//!
//! | field | when | value |
//! |---|---|---|
//! | `message` | always | the record's text (`fmt`); for `Open` the span tag (the actor's type name), for `Close` the stop cause's error text or empty |
//! | `actor_id` | always | the record's [`LogID`](crate::LogID) as a `u64` (the actor, or 0 for none) |
//! | `log_target` | the record's target is not empty | the record's target as a string |
//! | `kind` | `Audit`, `Open`, `Close` records | `"audit"`, `"open"` or `"close"` |
//! | `kv` | the record has key-value pairs | the pairs flattened into text, see below |
//!
//! Levels map as follows. `Open` and `Close` are events, not `tracing` spans: actors do not run
//! nested on a stack the way `tracing`'s entered spans do, and events keep [`forward`] free of
//! state. Both go out at `INFO`, like `Audit`, so that a subscriber's usual `INFO` default
//! shows whatever the runtime's own filter chose to forward; select them by the `kind` field.
//!
//! | [`LogLevel`] | `tracing::Level` | `kind` |
//! |---|---|---|
//! | `Trace`, `Debug`, `Info`, `Warn`, `Error` | `TRACE`, `DEBUG`, `INFO`, `WARN`, `ERROR` | — |
//! | `Audit` | `INFO` | `"audit"` |
//! | `Open` | `INFO` | `"open"` |
//! | `Close` | `INFO` | `"close"` |
//! | `Off` | never logged | — |
//!
//! Actor records are described with the [logging types](crate::log): `Open` carries the parent
//! actor's ID as `kv = "parent=N"` when there is one; `Close` carries the stop cause as a bare
//! key, `failed`, `killed`, `dropped` or `lost` (none for a plain stop), with the error text as
//! the message.
//!
//! # The `kv` text
//!
//! [`KvDisplay`] renders the pairs logfmt-style, separated by single spaces: `key=value`.
//! Numbers and booleans are written with `Display`. Strings (and `kv_fmt` values) are written
//! bare unless they are empty or contain whitespace, a quote, a backslash, `=`, a bracket or a
//! brace, or a control character; then they are quoted and escaped with `Debug` (`"a b"`). A
//! key with no value (`kv_null`) is written as the bare key, or `null` inside an array. Maps
//! are `key={k=v k2=v2}` and arrays `key=[v1 v2]`; both nest. The text is only produced if the
//! subscriber records the field, so a record that `tracing` filters out costs no formatting.
//!
//! ```
//! use stakker_core::{tracing_bridge, LogFilter, LogLevel, Stakker};
//! use std::time::Instant;
//!
//! let mut s = Stakker::new(Instant::now());
//! let filter = LogFilter::from(LogLevel::Info) | LogFilter::from(LogLevel::Open);
//! tracing_bridge::install(&mut s, filter);
//! // With a subscriber installed (for example `tracing_subscriber::fmt::init()`) this shows as
//! // an INFO event with target `stakker` and the fields
//! //   message="connected" actor_id=0 log_target="net" kv=port=8080 peer="host a"
//! s.log(0, LogLevel::Info, "net", format_args!("connected"), |v| {
//!     v.kv_u64(Some("port"), 8080);
//!     v.kv_str(Some("peer"), "host a");
//! });
//! ```

use crate::log::{LogFilter, LogLevel, LogRecord, LogVisitor};
use crate::runtime::{Core, Stakker};
use alloc::string::String;
use core::fmt::{self, Arguments, Display, Write as _};
use tracing::field::{display, DisplayValue};
use tracing::Level;

/// The `tracing` target of every event [`forward`] emits. The record's own target is in the
/// `log_target` field.
pub const TARGET: &str = "stakker";

/// Installs [`forward`] as `stakker`'s logger, with `filter` selecting the levels the runtime
/// passes on. Replaces any previous logger (see
/// [`Stakker::set_logger`](crate::Stakker::set_logger)); change the levels later with
/// [`Stakker::set_log_filter`](crate::Stakker::set_log_filter).
pub fn install(stakker: &mut Stakker, filter: LogFilter) {
    stakker.set_logger(filter, forward);
}

/// Emits `record` as one `tracing` event, as described in the [module docs](self). Usable
/// directly as a logger: `stakker.set_logger(filter, tracing_bridge::forward)`.
pub fn forward(core: &mut Core, record: &LogRecord<'_>) {
    let _ = core;
    macro_rules! emit {
        ($level:expr $(, $kind:literal)?) => {
            tracing::event!(
                target: TARGET,
                $level,
                actor_id = record.id,
                log_target = non_empty(record.target),
                $(kind = $kind,)?
                kv = kv_field(record.kvscan),
                "{}",
                record.fmt
            )
        };
    }
    match record.level {
        LogLevel::Trace => emit!(Level::TRACE),
        LogLevel::Debug => emit!(Level::DEBUG),
        LogLevel::Info => emit!(Level::INFO),
        LogLevel::Warn => emit!(Level::WARN),
        LogLevel::Error => emit!(Level::ERROR),
        LogLevel::Audit => emit!(Level::INFO, "audit"),
        LogLevel::Open => emit!(Level::INFO, "open"),
        LogLevel::Close => emit!(Level::INFO, "close"),
        LogLevel::Off => {}
    }
}

/// `Some(s)` unless `s` is empty, so that an empty field is left out of the event.
fn non_empty(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

/// The `kv` field: left out when the record has no pairs, otherwise formatted lazily.
fn kv_field<'a>(kvscan: &'a dyn Fn(&mut dyn LogVisitor)) -> Option<DisplayValue<KvDisplay<'a>>> {
    let mut probe = Probe(false);
    kvscan(&mut probe);
    probe.0.then(|| display(KvDisplay(kvscan)))
}

/// A visitor that only notes whether any pair was reported.
struct Probe(bool);

impl LogVisitor for Probe {
    fn kv_u64(&mut self, _: Option<&str>, _: u64) {
        self.0 = true;
    }
    fn kv_i64(&mut self, _: Option<&str>, _: i64) {
        self.0 = true;
    }
    fn kv_f64(&mut self, _: Option<&str>, _: f64) {
        self.0 = true;
    }
    fn kv_bool(&mut self, _: Option<&str>, _: bool) {
        self.0 = true;
    }
    fn kv_null(&mut self, _: Option<&str>) {
        self.0 = true;
    }
    fn kv_str(&mut self, _: Option<&str>, _: &str) {
        self.0 = true;
    }
    fn kv_fmt(&mut self, _: Option<&str>, _: &Arguments<'_>) {
        self.0 = true;
    }
    fn kv_map(&mut self, _: Option<&str>) {
        self.0 = true;
    }
    fn kv_mapend(&mut self, _: Option<&str>) {}
    fn kv_arr(&mut self, _: Option<&str>) {
        self.0 = true;
    }
    fn kv_arrend(&mut self, _: Option<&str>) {}
}

/// Displays a record's key-value pairs as one line of text, the way the `kv` field shows them
/// (see the [module docs](self#the-kv-text)). Formatting runs the scan; nothing is allocated
/// except for `kv_fmt` values that are not plain string literals.
///
/// ```
/// use stakker_core::tracing_bridge::KvDisplay;
/// use stakker_core::LogVisitor;
///
/// let scan = |v: &mut dyn LogVisitor| {
///     v.kv_u64(Some("port"), 8080);
///     v.kv_str(Some("peer"), "host a");
///     v.kv_arr(Some("tries"));
///     v.kv_i64(None, -1);
///     v.kv_fmt(None, &format_args!("{}ms", 250));
///     v.kv_arrend(Some("tries"));
///     v.kv_map(Some("tls"));
///     v.kv_bool(Some("on"), true);
///     v.kv_str(Some("sni"), "");
///     v.kv_mapend(Some("tls"));
///     v.kv_null(Some("fresh"));
/// };
/// assert_eq!(
///     KvDisplay(&scan).to_string(),
///     r#"port=8080 peer="host a" tries=[-1 250ms] tls={on=true sni=""} fresh"#
/// );
/// ```
#[derive(Clone, Copy)]
pub struct KvDisplay<'a>(pub &'a dyn Fn(&mut dyn LogVisitor));

impl Display for KvDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut w = KvWriter {
            out: f,
            result: Ok(()),
            first: true,
        };
        (self.0)(&mut w);
        w.result
    }
}

impl fmt::Debug for KvDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        Display::fmt(self, f)
    }
}

/// The visitor behind [`KvDisplay`]: writes each value as it comes and keeps the first error.
struct KvWriter<'a, 'b> {
    out: &'a mut fmt::Formatter<'b>,
    result: fmt::Result,
    /// The next item is the first of the line or of its map or array (no separator before it).
    first: bool,
}

impl KvWriter<'_, '_> {
    /// Writes one item: separator, then `key=` (if keyed) and the value. `None` as the value
    /// writes a bare key (or `null` without a key).
    fn item(&mut self, key: Option<&str>, val: Option<&dyn Display>) {
        if self.result.is_err() {
            return;
        }
        let first = core::mem::replace(&mut self.first, false);
        self.result = (|| {
            if !first {
                self.out.write_char(' ')?;
            }
            match (key, val) {
                (Some(k), Some(v)) => write!(self.out, "{k}={v}"),
                (Some(k), None) => self.out.write_str(k),
                (None, Some(v)) => write!(self.out, "{v}"),
                (None, None) => self.out.write_str("null"),
            }
        })();
    }

    /// Opens a map or array: the item's prefix and `open`; the next item is its first.
    fn open(&mut self, key: Option<&str>, open: &str) {
        self.item(key, Some(&open));
        self.first = true;
    }

    /// Closes a map or array.
    fn close(&mut self, close: char) {
        if self.result.is_ok() {
            self.result = self.out.write_char(close);
        }
        self.first = false;
    }
}

/// A string value, quoted only when it would otherwise be ambiguous.
struct Text<'a>(&'a str);

impl Display for Text<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let plain = !s.is_empty()
            && !s.chars().any(|c| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '"' | '\\' | '=' | '[' | ']' | '{' | '}')
            });
        if plain {
            f.write_str(s)
        } else {
            write!(f, "{s:?}")
        }
    }
}

impl LogVisitor for KvWriter<'_, '_> {
    fn kv_u64(&mut self, key: Option<&str>, val: u64) {
        self.item(key, Some(&val));
    }
    fn kv_i64(&mut self, key: Option<&str>, val: i64) {
        self.item(key, Some(&val));
    }
    fn kv_f64(&mut self, key: Option<&str>, val: f64) {
        self.item(key, Some(&val));
    }
    fn kv_bool(&mut self, key: Option<&str>, val: bool) {
        self.item(key, Some(&val));
    }
    fn kv_null(&mut self, key: Option<&str>) {
        self.item(key, None);
    }
    fn kv_str(&mut self, key: Option<&str>, val: &str) {
        self.item(key, Some(&Text(val)));
    }
    fn kv_fmt(&mut self, key: Option<&str>, val: &Arguments<'_>) {
        match val.as_str() {
            Some(s) => self.item(key, Some(&Text(s))),
            None => {
                let mut s = String::new();
                // Writing into a String only fails if a Display impl fails; pass that on.
                if s.write_fmt(*val).is_err() {
                    self.result = Err(fmt::Error);
                }
                self.item(key, Some(&Text(&s)));
            }
        }
    }
    fn kv_map(&mut self, key: Option<&str>) {
        self.open(key, "{");
    }
    fn kv_mapend(&mut self, _: Option<&str>) {
        self.close('}');
    }
    fn kv_arr(&mut self, key: Option<&str>) {
        self.open(key, "[");
    }
    fn kv_arrend(&mut self, _: Option<&str>) {
        self.close(']');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Instant;
    use crate::{ActorOwn, Ret};
    use alloc::format;
    use alloc::string::ToString;
    use alloc::sync::Arc;
    use alloc::vec::Vec;
    use core::cell::Cell;
    use std::sync::Mutex;
    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::subscriber::Interest;
    use tracing::{Event, Metadata, Subscriber};

    /// Collects each event as `LEVEL target field=value ...`, values in `Debug` form (so
    /// strings are quoted and `Display` values are not), fields in recorded order.
    struct Collect {
        lines: Arc<Mutex<Vec<String>>>,
        /// Most verbose level this subscriber wants.
        max: Level,
    }

    struct Fields(String);

    impl Visit for Fields {
        fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
            let _ = write!(self.0, " {}={:?}", field.name(), value);
        }
    }

    impl Subscriber for Collect {
        fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
            // Tests run in parallel with different subscribers: ask `enabled` every time.
            Interest::sometimes()
        }
        fn enabled(&self, meta: &Metadata<'_>) -> bool {
            *meta.level() <= self.max
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let meta = event.metadata();
            let mut f = Fields(format!("{} {}", meta.level(), meta.target()));
            event.record(&mut f);
            self.lines.lock().unwrap().push(f.0);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    /// Runs `f` with a collecting subscriber that wants `max` and more severe, returning the
    /// events it saw.
    fn collect(max: Level, f: impl FnOnce()) -> Vec<String> {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sub = Collect {
            lines: lines.clone(),
            max,
        };
        tracing::subscriber::with_default(sub, f);
        let v = lines.lock().unwrap().clone();
        v
    }

    fn stakker() -> Stakker {
        Stakker::new(Instant::from_secs(1))
    }

    fn all() -> LogFilter {
        LogFilter::all(LogLevel::all_levels())
    }

    #[test]
    fn info_record_with_pairs() {
        let lines = collect(Level::TRACE, || {
            let mut s = stakker();
            install(&mut s, all());
            s.log(
                7,
                LogLevel::Info,
                "net::conn",
                format_args!("connected to {}", "server"),
                |v| {
                    v.kv_u64(Some("port"), 8080);
                    v.kv_str(Some("host"), "a b");
                    v.kv_bool(Some("tls"), true);
                    v.kv_arr(Some("tries"));
                    v.kv_i64(None, -1);
                    v.kv_fmt(None, &format_args!("{}ms", 250));
                    v.kv_null(None);
                    v.kv_map(None);
                    v.kv_u64(Some("x"), 1);
                    v.kv_mapend(None);
                    v.kv_arrend(Some("tries"));
                    v.kv_map(Some("opts"));
                    v.kv_f64(Some("ratio"), 0.5);
                    v.kv_null(Some("fresh"));
                    v.kv_str(Some("name"), "");
                    v.kv_str(Some("q"), "say \"hi\"");
                    v.kv_arr(Some("empty"));
                    v.kv_arrend(Some("empty"));
                    v.kv_mapend(Some("opts"));
                    v.kv_null(Some("done"));
                },
            );
        });
        assert_eq!(
            lines,
            [concat!(
                r#"INFO stakker message=connected to server actor_id=7 log_target="net::conn" "#,
                r#"kv=port=8080 host="a b" tls=true tries=[-1 250ms null {x=1}] "#,
                r#"opts={ratio=0.5 fresh name="" q="say \"hi\"" empty=[]} done"#,
            )]
        );
    }

    #[test]
    fn levels_map_and_empty_fields_are_left_out() {
        let lines = collect(Level::TRACE, || {
            let mut s = stakker();
            install(&mut s, all());
            for (level, text) in [
                (LogLevel::Trace, "t"),
                (LogLevel::Debug, "d"),
                (LogLevel::Warn, "w"),
                (LogLevel::Error, "e"),
                (LogLevel::Audit, "a"),
                (LogLevel::Off, "never"),
            ] {
                s.log(3, level, "", format_args!("{text}"), |_| {});
            }
            s.log(0, LogLevel::Audit, "bill", format_args!(""), |v| {
                v.kv_fmt(Some("amount"), &format_args!("{:.2}", 12.5));
                v.kv_str(Some("currency"), "EUR");
            });
        });
        assert_eq!(
            lines,
            [
                "TRACE stakker message=t actor_id=3",
                "DEBUG stakker message=d actor_id=3",
                "WARN stakker message=w actor_id=3",
                "ERROR stakker message=e actor_id=3",
                r#"INFO stakker message=a actor_id=3 kind="audit""#,
                r#"INFO stakker message= actor_id=0 log_target="bill" kind="audit" kv=amount=12.50 currency=EUR"#,
            ]
        );
    }

    struct A;

    #[test]
    fn actor_open_and_close() {
        let name = core::any::type_name::<A>();
        let lines = collect(Level::INFO, || {
            let mut s = stakker();
            install(&mut s, LogFilter::from(LogLevel::Open));
            let a = ActorOwn::<A>::new(&mut s, Ret::new(|_| {}), 0);
            let b = ActorOwn::<A>::new(&mut s, Ret::new(|_| {}), a.id());
            let c = ActorOwn::<A>::new(&mut s, Ret::new(|_| {}), 0);
            let d = ActorOwn::<A>::new(&mut s, Ret::new(|_| {}), 0);
            a.defer_apply_prep(|_| Some(A));
            a.defer_apply(|_, cx| cx.stop());
            b.defer_apply_prep(|cx| {
                cx.fail_str("bad input");
                None
            });
            s.run(Instant::from_secs(2), false);
            c.kill_str(&mut s, "killed it");
            drop(d);
            s.run(Instant::from_secs(3), false);
            // Filtered out by the runtime's filter
            s.log(a.id(), LogLevel::Error, "x", format_args!("no"), |_| {});
        });
        assert_eq!(
            lines,
            [
                format!(r#"INFO stakker message={name} actor_id=1 kind="open""#),
                format!(r#"INFO stakker message={name} actor_id=2 kind="open" kv=parent=1"#),
                format!(r#"INFO stakker message={name} actor_id=3 kind="open""#),
                format!(r#"INFO stakker message={name} actor_id=4 kind="open""#),
                r#"INFO stakker message= actor_id=1 kind="close""#.to_string(),
                r#"INFO stakker message=bad input actor_id=2 kind="close" kv=failed"#.to_string(),
                r#"INFO stakker message=killed it actor_id=3 kind="close" kv=killed"#.to_string(),
                r#"INFO stakker message= actor_id=4 kind="close" kv=dropped"#.to_string(),
            ]
        );
    }

    #[test]
    fn runtime_filter_excludes_and_changes() {
        let lines = collect(Level::TRACE, || {
            let mut s = stakker();
            install(&mut s, LogFilter::from(LogLevel::Warn));
            s.log(1, LogLevel::Info, "t", format_args!("hidden"), |_| {});
            s.log(1, LogLevel::Audit, "t", format_args!("hidden"), |_| {});
            let a = ActorOwn::<A>::new(&mut s, Ret::new(|_| {}), 0); // no Open
            s.log(1, LogLevel::Warn, "t", format_args!("shown"), |_| {});
            s.set_log_filter(LogFilter::from(LogLevel::Error));
            s.log(1, LogLevel::Warn, "t", format_args!("hidden"), |_| {});
            s.log(1, LogLevel::Error, "t", format_args!("shown"), |_| {});
            drop(a); // no Close
            s.run(Instant::from_secs(2), false);
        });
        assert_eq!(
            lines,
            [
                r#"WARN stakker message=shown actor_id=1 log_target="t""#,
                r#"INFO stakker message=Logging level changed actor_id=0 kv=filter=LogFilter(ERROR)"#,
                r#"ERROR stakker message=shown actor_id=1 log_target="t""#,
            ]
        );
    }

    #[test]
    fn subscriber_filter_skips_formatting() {
        let scans = Cell::new(0);
        let lines = collect(Level::INFO, || {
            let mut s = stakker();
            install(&mut s, all());
            let scan = |v: &mut dyn LogVisitor| {
                scans.set(scans.get() + 1);
                v.kv_u64(Some("n"), 1);
            };
            s.log(0, LogLevel::Debug, "", format_args!("too verbose"), scan);
            assert_eq!(scans.get(), 0, "a disabled event must not scan its pairs");
            s.log(0, LogLevel::Info, "", format_args!("wanted"), scan);
        });
        // One scan to see whether there are pairs, one to format them
        assert_eq!(scans.get(), 2);
        assert_eq!(lines, ["INFO stakker message=wanted actor_id=0 kv=n=1"]);
    }

    #[test]
    fn forward_works_as_a_plain_logger() {
        let lines = collect(Level::TRACE, || {
            let mut s = stakker();
            s.set_logger(LogFilter::from(LogLevel::Trace), |core, r| {
                if r.target != "private" {
                    forward(core, r);
                }
            });
            s.log(0, LogLevel::Info, "private", format_args!("kept"), |_| {});
            s.log(0, LogLevel::Info, "public", format_args!("sent"), |_| {});
        });
        assert_eq!(
            lines,
            [r#"INFO stakker message=sent actor_id=0 log_target="public""#]
        );
    }
}
