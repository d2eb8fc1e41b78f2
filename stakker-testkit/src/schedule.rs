//! Schedules: the choices an exploring run made plus the faults injected into it, as a value
//! that prints, parses back, and that proptest can generate and shrink.

use core::fmt;
use core::str::FromStr;
use core::time::Duration;
use proptest::prelude::*;

/// A fault to inject into a run. Steps count deliveries from 0 (the `step` column of a
/// [`Trace`](crate::Trace)); actors are numbered as in the trace (`#1` is the first actor
/// that received a call).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Delivery `step` is lost: its call never runs; a `Ret` it carried reports `None`.
    Lose {
        /// The delivery.
        step: usize,
    },
    /// Just before delivery `step`, actor `actor` is killed (`StopCause::Killed`).
    Kill {
        /// The delivery before which it happens.
        step: usize,
        /// The actor's number.
        actor: u32,
    },
    /// Just before delivery `step`, actor `actor` fails (`StopCause::Failed`).
    Fail {
        /// The delivery before which it happens.
        step: usize,
        /// The actor's number.
        actor: u32,
    },
    /// The handler of delivery `step` panics instead of running (the receiver fails with a
    /// panic error). Needs panic containment ([`Sim::set_catch_panics`](crate::Sim)), or the
    /// panic reaches the test.
    Panic {
        /// The delivery.
        step: usize,
    },
    /// The `nth` `Ret` (from 0) passed through [`Sim::faulty_ret`](crate::Sim::faulty_ret)
    /// reports `None` when it is used, as if the reply were lost.
    DropRet {
        /// Which `Ret`.
        nth: usize,
    },
    /// The `nth` external event (from 0) given to [`Sim::inject`](crate::Sim::inject) arrives
    /// `by` later in virtual time (events injected meanwhile may overtake it).
    Delay {
        /// Which event.
        nth: usize,
        /// How much later.
        by: Duration,
    },
    /// The `nth` `try_send` (from 0) through a [`FaultySender`](crate::FaultySender) reports
    /// `Full` and gives the message back.
    Full {
        /// Which send.
        nth: usize,
    },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Lose { step } => write!(f, "lose@{step}"),
            Fault::Kill { step, actor } => write!(f, "kill#{actor}@{step}"),
            Fault::Fail { step, actor } => write!(f, "fail#{actor}@{step}"),
            Fault::Panic { step } => write!(f, "panic@{step}"),
            Fault::DropRet { nth } => write!(f, "dropret:{nth}"),
            Fault::Delay { nth, by } => write!(f, "delay:{nth}:{}ns", by.as_nanos()),
            Fault::Full { nth } => write!(f, "full:{nth}"),
        }
    }
}

/// A schedule: the delivery choices of an exploring run, then its faults.
///
/// Choice `i` picks, at delivery step `i`, among the legal next deliveries sorted by the order
/// in which they were queued (so choice 0 is what FIFO delivery would do); a number past the
/// end wraps (`% options`), and steps past the end of the list choose 0. Every schedule is
/// therefore legal, the empty one is FIFO, and making numbers smaller or the list shorter
/// moves a schedule toward FIFO, which is how proptest shrinks it.
///
/// Printed as `fifo` or the choices joined by `.`, then `;` and each fault:
/// `2.0.1;kill#3@4;lose@7`. [`FromStr`] parses that back, and also accepts faults alone
/// (`kill#3@4`, meaning FIFO choices).
///
/// ```
/// use stakker_testkit::{Fault, Schedule};
/// let s: Schedule = "0.1;kill#2@3".parse().unwrap();
/// assert_eq!(s.choices, [0, 1]);
/// assert_eq!(s.faults, [Fault::Kill { step: 3, actor: 2 }]);
/// assert_eq!(s.to_string(), "0.1;kill#2@3");
/// assert_eq!(Schedule::fifo().to_string(), "fifo");
/// let f: Schedule = "lose@2".parse().unwrap();
/// assert_eq!((f.choices.len(), f.faults.len()), (0, 1));
/// assert!("1.x".parse::<Schedule>().is_err());
/// assert!("1;bogus@2".parse::<Schedule>().is_err());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schedule {
    /// The choice made at each delivery step.
    pub choices: Vec<u32>,
    /// The faults to inject.
    pub faults: Vec<Fault>,
}

impl Schedule {
    /// The FIFO schedule with no faults.
    pub fn fifo() -> Self {
        Schedule::default()
    }

    /// How many steps deviate from FIFO (non-zero choices): the size shrinking minimises.
    pub fn deviations(&self) -> usize {
        self.choices.iter().filter(|&&c| c != 0).count()
    }

    /// The same schedule with trailing FIFO choices removed (they change nothing).
    pub fn trimmed(mut self) -> Self {
        while self.choices.last() == Some(&0) {
            self.choices.pop();
        }
        self
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.choices.is_empty() {
            f.write_str("fifo")?;
        }
        for (i, c) in self.choices.iter().enumerate() {
            if i > 0 {
                f.write_str(".")?;
            }
            write!(f, "{c}")?;
        }
        for fault in &self.faults {
            write!(f, ";{fault}")?;
        }
        Ok(())
    }
}

/// Why a schedule string did not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseScheduleError(String);

impl fmt::Display for ParseScheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad schedule: {}", self.0)
    }
}

impl std::error::Error for ParseScheduleError {}

fn num<T: FromStr>(s: &str, what: &str) -> Result<T, ParseScheduleError> {
    s.trim()
        .parse()
        .map_err(|_| ParseScheduleError(format!("`{s}` is not a number ({what})")))
}

fn parse_fault(s: &str) -> Result<Fault, ParseScheduleError> {
    let bad = || ParseScheduleError(format!("unknown fault `{s}`"));
    let actor_step = |rest: &str| -> Result<(u32, usize), ParseScheduleError> {
        let (a, st) = rest.split_once('@').ok_or_else(bad)?;
        Ok((num(a, "actor")?, num(st, "step")?))
    };
    if let Some(rest) = s.strip_prefix("lose@") {
        Ok(Fault::Lose {
            step: num(rest, "step")?,
        })
    } else if let Some(rest) = s.strip_prefix("panic@") {
        Ok(Fault::Panic {
            step: num(rest, "step")?,
        })
    } else if let Some(rest) = s.strip_prefix("kill#") {
        let (actor, step) = actor_step(rest)?;
        Ok(Fault::Kill { step, actor })
    } else if let Some(rest) = s.strip_prefix("fail#") {
        let (actor, step) = actor_step(rest)?;
        Ok(Fault::Fail { step, actor })
    } else if let Some(rest) = s.strip_prefix("dropret:") {
        Ok(Fault::DropRet {
            nth: num(rest, "nth")?,
        })
    } else if let Some(rest) = s.strip_prefix("full:") {
        Ok(Fault::Full {
            nth: num(rest, "nth")?,
        })
    } else if let Some(rest) = s.strip_prefix("delay:") {
        let (n, by) = rest.split_once(':').ok_or_else(bad)?;
        let by = by.strip_suffix("ns").ok_or_else(bad)?;
        Ok(Fault::Delay {
            nth: num(n, "nth")?,
            by: Duration::from_nanos(num(by, "delay")?),
        })
    } else {
        Err(bad())
    }
}

impl FromStr for Schedule {
    type Err = ParseScheduleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().split(';').peekable();
        let head = match parts.peek() {
            // Faults only (`kill#2@3`): the choices are FIFO.
            Some(p) if !p.starts_with(|c: char| c.is_ascii_digit()) && *p != "fifo" => "",
            _ => parts.next().unwrap_or(""),
        };
        let choices = if head == "fifo" || head.is_empty() {
            Vec::new()
        } else {
            head.split('.')
                .map(|c| num(c, "choice"))
                .collect::<Result<_, _>>()?
        };
        let faults = parts.map(parse_fault).collect::<Result<_, _>>()?;
        Ok(Schedule { choices, faults })
    }
}

/// A proptest strategy for schedules of up to `max_steps` choices (each below `width`) and
/// no faults. Shrinks toward FIFO.
///
/// ```
/// use proptest::prelude::*;
/// use stakker_testkit::{schedules, Schedule};
/// proptest!(|(s in schedules(20, 4))| {
///     prop_assert!(s.choices.len() <= 20);
///     let back: Schedule = s.to_string().parse().unwrap();
///     prop_assert_eq!(back, s);
/// });
/// ```
pub fn schedules(max_steps: usize, width: u32) -> impl Strategy<Value = Schedule> {
    proptest::collection::vec(0..width.max(1), 0..=max_steps).prop_map(|choices| Schedule {
        choices,
        faults: Vec::new(),
    })
}

/// [`schedules`] plus up to `max_faults` faults drawn from `faults`. Shrinks toward FIFO and
/// fewer faults.
///
/// ```
/// use proptest::prelude::*;
/// use stakker_testkit::{schedules_with_faults, Fault};
/// let lose = (0..10usize).prop_map(|step| Fault::Lose { step });
/// proptest!(|(s in schedules_with_faults(10, 3, lose, 2))| {
///     prop_assert!(s.faults.len() <= 2);
/// });
/// ```
pub fn schedules_with_faults(
    max_steps: usize,
    width: u32,
    faults: impl Strategy<Value = Fault>,
    max_faults: usize,
) -> impl Strategy<Value = Schedule> {
    (
        proptest::collection::vec(0..width.max(1), 0..=max_steps),
        proptest::collection::vec(faults, 0..=max_faults),
    )
        .prop_map(|(choices, faults)| Schedule { choices, faults })
}
