//! The delivery trace: who received what from whom, and when.

use core::fmt;
use stakker_core::time::Instant;

/// Who queued or received a delivery.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Who {
    /// Code outside every actor call: the test itself, an injected external event (I/O or
    /// another thread), a `Fwd` made with `Fwd::new`, a queued closure.
    External,
    /// A timer callback (`after!`, `at!`, `timer_max!`, ...).
    Timer,
    /// An actor, numbered from 1 in the order the `Sim` first saw a call to it (within one
    /// run that is the order in which actors were created).
    Actor(u32),
}

impl fmt::Display for Who {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Who::External => f.write_str("external"),
            Who::Timer => f.write_str("timer"),
            Who::Actor(n) => write!(f, "#{n}"),
        }
    }
}

/// One delivery: an actor call (or a timer callback) starting to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// Index of the delivery in the run, from 0 (the step that faults refer to).
    pub step: usize,
    /// Virtual time of the delivery.
    pub time: Instant,
    /// The receiving actor (`Who::Timer` for a timer callback, whatever it calls).
    pub receiver: Who,
    /// The receiver's type name, short form (`Counter`), or `"timer"`.
    pub name: &'static str,
    /// The actor whose call queued it, or `External` / `Timer`.
    pub sender: Who,
    /// Where the call was written (`Type::method`): the function containing the `call!`, or
    /// the one that made the `Fwd`/`Ret` it came through; `""` for timer callbacks. Taken
    /// from the closure's type name, so for display only.
    pub site: &'static str,
    /// Position of this message among those from `sender` to `receiver`, from 0. Per-pair
    /// FIFO means these increase by one for each pair.
    pub pair_seq: u64,
    /// What happened to it, if a fault changed it.
    pub fault: Option<&'static str>,
}

/// Every delivery of a run, in order. Printable (one line per delivery) and hashable.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace {
    /// The deliveries.
    pub deliveries: Vec<Delivery>,
}

impl Trace {
    /// A 64-bit FNV-1a hash of every field of every delivery except the names: equal for two
    /// runs that delivered the same calls in the same order at the same virtual times, on any
    /// platform and in any process.
    pub fn hash(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        let mut eat = |x: u64| {
            for b in x.to_le_bytes() {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        };
        let code = |w: Who| match w {
            Who::External => 0,
            Who::Timer => 1,
            Who::Actor(n) => 2 + u64::from(n),
        };
        for d in &self.deliveries {
            eat(d.step as u64);
            eat(d.time.as_nanos());
            eat(code(d.receiver));
            eat(code(d.sender));
            eat(d.pair_seq);
            eat(d.fault.map_or(0, |f| f.len() as u64 + 1));
        }
        h
    }

    /// The number of deliveries.
    pub fn len(&self) -> usize {
        self.deliveries.len()
    }

    /// Whether nothing was delivered.
    pub fn is_empty(&self) -> bool {
        self.deliveries.is_empty()
    }
}

impl fmt::Display for Trace {
    /// One line per delivery: `step  time  receiver <- sender (msg n) from site  [fault]`,
    /// times in seconds since the virtual epoch.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.deliveries {
            let t = d.time.as_nanos();
            write!(
                f,
                "{:>5}  {}.{:09}s  {}{} <- {} (msg {})",
                d.step,
                t / 1_000_000_000,
                t % 1_000_000_000,
                d.name,
                d.receiver,
                d.sender,
                d.pair_seq
            )?;
            if !d.site.is_empty() {
                write!(f, " from {}", d.site)?;
            }
            if let Some(fault) = d.fault {
                write!(f, "  [{fault}]")?;
            }
            writeln!(f)?;
        }
        write!(f, "trace hash {:016x}", self.hash())
    }
}

/// `a::b::Counter<T>` → `Counter<T>`: the last path segment before any generics.
pub(crate) fn short_name(full: &'static str) -> &'static str {
    let end = full.find('<').unwrap_or(full.len());
    let start = full[..end].rfind("::").map_or(0, |i| i + 2);
    &full[start..]
}

/// The call site named in a queued closure's type name (see `Held::site`): the first closure
/// path outside `stakker_core`, cut to its last two segments (`Admin::roll_out`).
pub(crate) fn call_site(full: &'static str) -> &'static str {
    let is_sep = |c: char| matches!(c, '<' | '>' | ',' | ' ' | '&' | '(' | ')' | ';' | '[' | ']');
    for token in full.split(is_sep) {
        let mut path = token;
        while let Some(p) = path.strip_suffix("::{{closure}}") {
            path = p;
        }
        if path.len() == token.len() || path.starts_with("stakker_core::") {
            continue;
        }
        let path = path.trim_start_matches("::");
        let cut = path.rmatch_indices("::").nth(1).map_or(0, |(i, _)| i + 2);
        return &path[cut..];
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_sites_are_cut_from_closure_type_names() {
        assert_eq!(
            call_site(
                "stakker_core::actor::Actor<app::Cache>::defer_apply_owned<\
                 app::sys::Admin::roll_out::{{closure}}>::{{closure}}"
            ),
            "Admin::roll_out"
        );
        assert_eq!(call_site("a::f::{{closure}}::{{closure}}"), "a::f");
        assert_eq!(call_site("stakker_core::x::{{closure}}"), "");
        assert_eq!(call_site(""), "");
        assert_eq!(short_name("a::b::Counter<a::T>"), "Counter<a::T>");
    }
}
