//! The runtime side of logging: the installed logger, the filter and span IDs. The record
//! types are in the parent module, `log`. Everything here is inert without the `logger`
//! feature.

use crate::log::{LogFilter, LogID, LogLevel, LogRecord, LogVisitor};
use crate::runtime::{Core, Stakker};
use core::fmt::Arguments;

#[cfg(feature = "logger")]
type Logger = alloc::boxed::Box<dyn FnMut(&mut Core, &LogRecord<'_>)>;

/// Logging state kept in `Core`.
#[derive(Default)]
pub(crate) struct LogState {
    #[cfg(feature = "logger")]
    logger: Option<Logger>,
    #[cfg(feature = "logger")]
    filter: LogFilter,
    #[cfg(feature = "logger")]
    last_id: LogID,
}

/// Puts the logger back however the call to it ends, so a panicking logger is not lost.
#[cfg(feature = "logger")]
struct Restore<'a> {
    core: &'a mut Core,
    logger: Option<Logger>,
}

#[cfg(feature = "logger")]
impl Drop for Restore<'_> {
    fn drop(&mut self) {
        if self.core.log.logger.is_none() {
            self.core.log.logger = self.logger.take();
        }
    }
}

impl Core {
    /// If a logger is installed and the filter allows `level`, calls the logger once with a
    /// record built from the arguments. `id` is the span (actor) ID or 0. A call made from
    /// inside the logger itself is dropped. Does nothing without the `logger` feature.
    #[allow(unused_variables)]
    pub fn log(
        &mut self,
        id: LogID,
        level: LogLevel,
        target: &str,
        fmt: Arguments<'_>,
        kvscan: impl Fn(&mut dyn LogVisitor),
    ) {
        #[cfg(feature = "logger")]
        if self.log.filter.allows(level) {
            self.log_always(id, level, target, fmt, &kvscan);
        }
    }

    /// Calls the logger (if installed and not already running) regardless of the filter.
    #[cfg(feature = "logger")]
    fn log_always(
        &mut self,
        id: LogID,
        level: LogLevel,
        target: &str,
        fmt: Arguments<'_>,
        kvscan: &dyn Fn(&mut dyn LogVisitor),
    ) {
        let Some(logger) = self.log.logger.take() else {
            return; // none installed, or we are inside it
        };
        let mut restore = Restore {
            core: self,
            logger: Some(logger),
        };
        let record = LogRecord {
            id,
            level,
            target,
            fmt,
            kvscan,
        };
        if let Some(logger) = restore.logger.as_mut() {
            logger(restore.core, &record);
        }
    }

    /// Whether the filter allows `level` (always `false` without the `logger` feature).
    #[allow(unused_variables)]
    pub fn log_check(&self, level: LogLevel) -> bool {
        #[cfg(feature = "logger")]
        {
            self.log.filter.allows(level)
        }
        #[cfg(not(feature = "logger"))]
        {
            false
        }
    }

    /// Allocates the next span ID (sequential from 1, wrapping to 1, never 0) and logs an
    /// `Open` record for it with text `tag`, a `parent` key if `parent_id` is non-zero, then
    /// the pairs from `kvscan`. Returns the ID; returns 0 without the `logger` feature.
    #[allow(unused_variables)]
    pub fn log_span_open(
        &mut self,
        tag: &str,
        parent_id: LogID,
        kvscan: impl Fn(&mut dyn LogVisitor),
    ) -> LogID {
        #[cfg(feature = "logger")]
        {
            let id = match self.log.last_id.wrapping_add(1) {
                0 => 1,
                n => n,
            };
            self.log.last_id = id;
            self.log(
                id,
                LogLevel::Open,
                "",
                format_args!("{tag}"),
                |v: &mut dyn LogVisitor| {
                    if parent_id != 0 {
                        v.kv_u64(Some("parent"), parent_id);
                    }
                    kvscan(v);
                },
            );
            id
        }
        #[cfg(not(feature = "logger"))]
        {
            0
        }
    }

    /// Logs a `Close` record for span `id`.
    pub fn log_span_close(
        &mut self,
        id: LogID,
        fmt: Arguments<'_>,
        kvscan: impl Fn(&mut dyn LogVisitor),
    ) {
        self.log(id, LogLevel::Close, "", fmt, kvscan);
    }
}

impl Stakker {
    /// Installs `logger` and the set of enabled levels, replacing any previous logger. The
    /// logger is called synchronously from [`Core::log`] for each record the filter allows.
    ///
    /// # Panics
    ///
    /// Without the `logger` feature.
    #[allow(unused_variables)]
    #[track_caller]
    pub fn set_logger(
        &mut self,
        filter: LogFilter,
        logger: impl FnMut(&mut Core, &LogRecord<'_>) + 'static,
    ) {
        #[cfg(feature = "logger")]
        {
            self.core.log.filter = filter;
            self.core.log.logger = Some(alloc::boxed::Box::new(logger));
        }
        #[cfg(not(feature = "logger"))]
        panic!("Stakker::set_logger: logging is not compiled in; enable the `logger` feature of stakker-core");
    }

    /// Changes the enabled levels and keeps the logger. An installed logger first receives an
    /// `Info` record "Logging level changed" with a `filter` key giving the new filter. Does
    /// nothing without the `logger` feature.
    #[allow(unused_variables)]
    pub fn set_log_filter(&mut self, filter: LogFilter) {
        #[cfg(feature = "logger")]
        {
            self.core.log_always(
                0,
                LogLevel::Info,
                "",
                format_args!("Logging level changed"),
                &|v: &mut dyn LogVisitor| v.kv_fmt(Some("filter"), &format_args!("{filter}")),
            );
            self.core.log.filter = filter;
        }
    }
}

/// Writes an actor's `Close` record for its stop cause.
#[cfg(feature = "logger")]
pub(crate) fn log_actor_close(core: &mut Core, id: LogID, cause: &crate::StopCause) {
    use crate::StopCause;
    if !core.log_check(LogLevel::Close) {
        return;
    }
    let (key, err): (Option<&str>, Option<&dyn core::error::Error>) = match cause {
        StopCause::Stopped => (None, None),
        StopCause::Failed(e) => (Some("failed"), Some(&**e)),
        StopCause::Killed(e) => (Some("killed"), Some(&**e)),
        StopCause::Dropped => (Some("dropped"), None),
        StopCause::Lost => (Some("lost"), None),
    };
    let kv = |v: &mut dyn LogVisitor| {
        if let Some(k) = key {
            v.kv_null(Some(k));
        }
    };
    match err {
        Some(e) => core.log_span_close(id, format_args!("{e}"), kv),
        None => core.log_span_close(id, format_args!(""), kv),
    }
}
