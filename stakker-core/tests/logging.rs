//! The `logger` feature: records, filters, spans and actor open/close records.
#![cfg(feature = "logger")]

mod util;

use stakker_core::{ActorOwn, LogFilter, LogLevel, LogVisitor, Stakker, StopCause};
use std::cell::RefCell;
use std::rc::Rc;
use util::{run_at, stakker, DeferApply};

/// Collects key-value pairs as text.
struct Kv(Vec<String>);

impl LogVisitor for Kv {
    fn kv_u64(&mut self, key: Option<&str>, val: u64) {
        self.0.push(format!("{}={val}", key.unwrap_or("")));
    }
    fn kv_i64(&mut self, key: Option<&str>, val: i64) {
        self.0.push(format!("{}={val}", key.unwrap_or("")));
    }
    fn kv_f64(&mut self, key: Option<&str>, val: f64) {
        self.0.push(format!("{}={val}", key.unwrap_or("")));
    }
    fn kv_bool(&mut self, key: Option<&str>, val: bool) {
        self.0.push(format!("{}={val}", key.unwrap_or("")));
    }
    fn kv_null(&mut self, key: Option<&str>) {
        self.0.push(key.unwrap_or("").to_string());
    }
    fn kv_str(&mut self, key: Option<&str>, val: &str) {
        self.0.push(format!("{}={val}", key.unwrap_or("")));
    }
    fn kv_fmt(&mut self, key: Option<&str>, val: &std::fmt::Arguments<'_>) {
        self.0.push(format!("{}={val}", key.unwrap_or("")));
    }
    fn kv_map(&mut self, key: Option<&str>) {
        self.0.push(format!("{}{{", key.unwrap_or("")));
    }
    fn kv_mapend(&mut self, _: Option<&str>) {
        self.0.push("}".into());
    }
    fn kv_arr(&mut self, key: Option<&str>) {
        self.0.push(format!("{}[", key.unwrap_or("")));
    }
    fn kv_arrend(&mut self, _: Option<&str>) {
        self.0.push("]".into());
    }
}

type Lines = Rc<RefCell<Vec<String>>>;

fn install(s: &mut Stakker, filter: LogFilter) -> Lines {
    let lines: Lines = Rc::default();
    let l = lines.clone();
    s.set_logger(filter, move |core, r| {
        let mut kv = Kv(Vec::new());
        (r.kvscan)(&mut kv);
        l.borrow_mut().push(format!(
            "{} {} {:?} {} {:?}",
            r.id, r.level, r.target, r.fmt, kv.0
        ));
        // Re-entrant logging is dropped, not recursed into.
        core.log(0, LogLevel::Error, "inner", format_args!("nested"), |_| {});
    });
    lines
}

struct A;

#[test]
fn filter_selects_records_and_change_is_announced() {
    let mut s = stakker();
    let lines = install(&mut s, LogFilter::from(LogLevel::Warn));
    assert!(s.log_check(LogLevel::Error));
    assert!(!s.log_check(LogLevel::Info));
    s.log(0, LogLevel::Info, "t", format_args!("hidden"), |_| {});
    s.log(3, LogLevel::Warn, "t", format_args!("shown {}", 1), |v| {
        v.kv_u64(Some("n"), 5)
    });
    s.set_log_filter("info,audit".parse().unwrap());
    s.log(0, LogLevel::Info, "t", format_args!("now shown"), |_| {});
    assert_eq!(
        *lines.borrow(),
        [
            r#"3 WARN "t" shown 1 ["n=5"]"#,
            r#"0 INFO "" Logging level changed ["filter=LogFilter(INFO,WARN,ERROR,AUDIT)"]"#,
            r#"0 INFO "t" now shown []"#,
        ]
    );
}

#[test]
fn actor_spans_open_and_close_with_cause() {
    let mut s = stakker();
    let lines = install(&mut s, LogFilter::all(&[LogLevel::Open]));
    let a = ActorOwn::<A>::new(&mut s, stakker_core::Ret::new(|_| {}), 0);
    let parent = a.id();
    let b = ActorOwn::<A>::new(&mut s, stakker_core::Ret::new(|_| {}), parent);
    let c = ActorOwn::<A>::new(&mut s, stakker_core::Ret::new(|_| {}), 0);
    let d = ActorOwn::<A>::new(&mut s, stakker_core::Ret::new(|_| {}), 0);
    assert_eq!((a.id(), b.id(), c.id(), d.id()), (1, 2, 3, 4));
    a.defer_apply_prep(|_| Some(A));
    a.defer_apply(|_, cx| cx.stop());
    b.defer_apply_prep(|cx| {
        cx.fail_str("bad");
        None
    });
    run_at(&mut s, 1);
    c.kill_str(&mut s, "killed it");
    drop(d);
    run_at(&mut s, 2);
    let name = std::any::type_name::<A>();
    assert_eq!(
        *lines.borrow(),
        [
            format!(r#"1 OPEN "" {name} []"#),
            format!(r#"2 OPEN "" {name} ["parent=1"]"#),
            format!(r#"3 OPEN "" {name} []"#),
            format!(r#"4 OPEN "" {name} []"#),
            r#"1 CLOSE ""  []"#.to_string(),
            r#"2 CLOSE "" bad ["failed"]"#.to_string(),
            r#"3 CLOSE "" killed it ["killed"]"#.to_string(),
            r#"4 CLOSE ""  ["dropped"]"#.to_string(),
        ]
    );
    let _ = StopCause::Lost;
}

#[test]
fn span_ids_without_logger_still_count_and_panicking_logger_is_kept() {
    let mut s = stakker();
    assert_eq!(s.log_span_open("x", 0, |_| {}), 1);
    assert_eq!(s.log_span_open("y", 0, |_| {}), 2);
    let count = Rc::new(RefCell::new(0));
    let c = count.clone();
    s.set_logger(LogFilter::from(LogLevel::Trace), move |_, r| {
        *c.borrow_mut() += 1;
        if r.target == "boom" {
            panic!("logger panic");
        }
    });
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        s.log(0, LogLevel::Info, "boom", format_args!(""), |_| {})
    }));
    assert_eq!(r.unwrap_err().downcast_ref::<&str>(), Some(&"logger panic"));
    s.log(0, LogLevel::Info, "fine", format_args!(""), |_| {});
    assert_eq!(*count.borrow(), 2, "logger still installed after its panic");
}
