//! The supervisor actor and its specification.

use crate::child::{Child, ChildSpec, Spec};
use crate::{Backoff, Intensity, Restart, Strategy};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::rc::Rc;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::cell::Cell;
use core::fmt;
use stakker_core::time::{Duration, Instant};
use stakker_core::{actor, after, fail, ActorOwn, ActorOwnAnon, Core, Ret, StopCause, CX};

/// What a supervisor is to do: its strategy, limits and children, in start order.
///
/// Build it, take a [`Child`] handle for each child, then [`start`](SupervisorSpec::start)
/// it (or hand it to another supervisor as a child, see [`SupervisorSpec::start`]). Cloning
/// is cheap and every clone shares the children's factories and handles, so a supervisor
/// restarted by its own supervisor gives the same handles new instances.
///
/// The children are fixed once the spec is started: adding one afterwards panics (see
/// [`SupervisorSpec::child`]).
#[derive(Clone)]
pub struct SupervisorSpec {
    strategy: Strategy,
    intensity: Intensity,
    backoff: Option<Backoff>,
    children: Vec<Rc<dyn ChildSpec>>,
    /// Set by `start`: from then on `child` refuses.
    started: Cell<bool>,
    /// Whether a supervisor made from this spec (or a clone) is running: the children's
    /// handles can serve only one at a time.
    live: Rc<Cell<bool>>,
}

impl fmt::Debug for SupervisorSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.children.iter().map(|c| c.name()).collect();
        f.debug_struct("SupervisorSpec")
            .field("strategy", &self.strategy)
            .field("intensity", &self.intensity)
            .field("backoff", &self.backoff)
            .field("children", &names)
            .finish()
    }
}

impl SupervisorSpec {
    /// A supervisor with `strategy`, no children, the default [`Intensity`] and no backoff.
    pub fn new(strategy: Strategy) -> Self {
        SupervisorSpec {
            strategy,
            intensity: Intensity::default(),
            backoff: None,
            children: Vec::new(),
            started: Cell::new(false),
            live: Rc::default(),
        }
    }

    /// Allows at most `max_restarts` restarts within any `period` of the runtime's time;
    /// one more makes the supervisor fail with [`IntensityExceeded`]. With `max_restarts`
    /// zero no child is ever restarted: the first stop that calls for a restart makes the
    /// supervisor fail.
    ///
    /// # Panics
    ///
    /// If `period` is zero: a window of no length holds no restart, so it could not stop a
    /// restart loop.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        assert!(
            period > Duration::ZERO,
            "SupervisorSpec::intensity: the period must be longer than zero"
        );
        self.intensity = Intensity {
            max_restarts,
            period,
        };
        self
    }

    /// Waits before each restart, on the runtime's timers (see [`Backoff`]). A zero wait
    /// restarts at once; a `first` longer than `max` always waits `max`.
    pub fn backoff(mut self, first: Duration, max: Duration) -> Self {
        self.backoff = Some(Backoff { first, max });
        self
    }

    /// Adds a child, started after those added before it. `factory` creates one instance:
    /// it must create the actor with the `notify` it is given (usually
    /// `actor!(core, Worker::init(..), notify)`) and is called again for each restart.
    /// Returns the child's stable handle. `name` is used in error texts only.
    ///
    /// # Panics
    ///
    /// If this spec has been [started](SupervisorSpec::start): a supervisor never sees
    /// children added to its spec later, and their handles would hold calls that no
    /// instance ever runs. Add every child first, or build a new spec.
    pub fn child<A: 'static>(
        &mut self,
        name: impl Into<String>,
        restart: Restart,
        factory: impl Fn(&mut Core, Ret<StopCause>) -> ActorOwn<A> + 'static,
    ) -> Child<A> {
        let name = name.into();
        assert!(
            !self.started.get(),
            "SupervisorSpec::child: child `{name}` added after the spec was started; \
             add every child before `start`"
        );
        let handle = Child::new();
        self.children.push(Rc::new(Spec {
            name,
            restart,
            factory: Box::new(factory),
            handle: handle.clone(),
        }));
        handle
    }

    /// Creates the supervisor actor, which starts the children in order. `notify` is told
    /// when the supervisor stops: with [`StopCause::Failed`] holding an
    /// [`IntensityExceeded`] when it gives up. A supervisor can itself be a child:
    /// `parent.child("name", kind, move |core, notify| spec.start(core, notify))`.
    ///
    /// One supervisor at a time runs from a spec and its clones, as they share the child
    /// handles: a supervisor started while another one from the same spec is still running
    /// fails in its `init` (its owner is told, with an error that says so) and the running
    /// one carries on. For two independent supervisors, build two specs.
    pub fn start(&self, core: &mut Core, notify: Ret<StopCause>) -> ActorOwn<Supervisor> {
        self.started.set(true);
        actor!(core, Supervisor::init(self.clone()), notify)
    }
}

/// One child's current state in the supervisor.
enum Run {
    /// An instance exists (owned here: only ever dropped); its notifications carry the
    /// slot's `generation`.
    Up(#[allow(dead_code)] ActorOwnAnon),
    /// A restart is due (at once or after a backoff timer).
    Due,
    /// Not running and not to be restarted.
    Down,
}

struct Slot {
    spec: Rc<dyn ChildSpec>,
    run: Run,
    /// Bumped for each instance, so a notification from an instance the supervisor stopped
    /// on purpose is recognised and ignored.
    generation: u64,
}

/// The supervisor actor. Create it with [`SupervisorSpec::start`].
pub struct Supervisor {
    spec: SupervisorSpec,
    slots: Vec<Slot>,
    /// Times of the restarts within the last `intensity.period`, oldest first.
    window: VecDeque<Instant>,
    restarts: u64,
}

impl Supervisor {
    fn init(cx: CX![], spec: SupervisorSpec) -> Option<Self> {
        if spec.live.replace(true) {
            fail!(
                cx,
                "supervisor not started: another supervisor from the same spec is running \
                 (they would share its child handles)"
            );
            return None;
        }
        let slots = spec
            .children
            .iter()
            .map(|spec| Slot {
                spec: spec.clone(),
                run: Run::Due,
                generation: 0,
            })
            .collect();
        let mut this = Supervisor {
            spec,
            slots,
            window: VecDeque::new(),
            restarts: 0,
        };
        let all: Vec<usize> = (0..this.slots.len()).collect();
        this.start_due(cx, all);
        Some(this)
    }

    /// How many restarts this supervisor instance has made.
    pub fn restarts(&self) -> u64 {
        self.restarts
    }

    /// Starts, in order, the children of `group` whose restart is due.
    fn start_due(&mut self, cx: CX![], group: Vec<usize>) {
        for i in group {
            let slot = &mut self.slots[i];
            if !matches!(slot.run, Run::Due) {
                continue; // started by an earlier timer, or stopped meanwhile
            }
            slot.generation += 1;
            let generation = slot.generation;
            let notify = Ret::to_actor(cx.this().clone(), move |this: &mut Self, cx, cause| {
                this.child_stopped(cx, i, generation, cause);
            });
            slot.run = Run::Up(slot.spec.spawn(cx, notify));
        }
    }

    fn child_stopped(&mut self, cx: CX![], i: usize, generation: u64, cause: Option<StopCause>) {
        let slot = &mut self.slots[i];
        if slot.generation != generation || !matches!(slot.run, Run::Up(_)) {
            return; // an instance stopped on purpose by a group restart
        }
        let cause = cause.unwrap_or(StopCause::Lost);
        let restart = match slot.spec.restart() {
            Restart::Permanent => true,
            Restart::Transient => cause.has_error(),
            Restart::Temporary => false,
        };
        if !restart {
            slot.run = Run::Down;
            slot.spec.stop();
            return;
        }
        let now = cx.now();
        let Intensity {
            max_restarts,
            period,
        } = self.spec.intensity;
        while self.window.front().is_some_and(|&t| t + period <= now) {
            self.window.pop_front();
        }
        self.window.push_back(now);
        if self.window.len() > max_restarts as usize {
            cx.fail(IntensityExceeded {
                child: String::from(slot.spec.name()),
                last_failure: cause.to_string(),
                max_restarts,
                period,
            });
            return;
        }
        self.restarts += 1;
        let group = self.group(i);
        // Siblings stop in reverse start order (their terminations are queued), then the
        // whole group starts again in start order.
        for &j in group.iter().rev() {
            let slot = &mut self.slots[j];
            if matches!(slot.run, Run::Down) {
                continue;
            }
            let temporary = j != i && slot.spec.restart() == Restart::Temporary;
            if temporary {
                slot.spec.stop();
            } else {
                slot.spec.hold();
            }
            let old =
                core::mem::replace(&mut slot.run, if temporary { Run::Down } else { Run::Due });
            drop(old);
        }
        match self.delay() {
            Some(delay) => {
                after!(delay, [cx], start_due(group));
            }
            None => self.start_due(cx, group),
        }
    }

    /// The children restarted when child `i` is: by the strategy.
    fn group(&self, i: usize) -> Vec<usize> {
        match self.spec.strategy {
            Strategy::OneForOne => alloc::vec![i],
            Strategy::OneForAll => (0..self.slots.len()).collect(),
            Strategy::RestForOne => (i..self.slots.len()).collect(),
        }
    }

    /// The wait before the restart just counted: `None` for at once.
    fn delay(&self) -> Option<Duration> {
        let Backoff { first, max } = self.spec.backoff?;
        let k = self.window.len() as u32; // this restart is the k-th in the window
        let factor = 2u32.saturating_pow(k.saturating_sub(1));
        let delay = first.saturating_mul(factor).min(max);
        (delay > Duration::ZERO).then_some(delay)
    }
}

impl Drop for Supervisor {
    /// The children stop with the supervisor (their owners are dropped, in reverse start
    /// order), and their handles drop calls from now on, until a new instance of this
    /// supervisor (restarted by its own supervisor) starts them again.
    fn drop(&mut self) {
        self.spec.live.set(false);
        for slot in self.slots.iter_mut().rev() {
            slot.spec.stop();
            drop(core::mem::replace(&mut slot.run, Run::Down));
        }
    }
}

/// The error a supervisor fails with when a child needs more restarts than its
/// [`Intensity`] allows. Its text names the child and that child's last failure.
#[derive(Debug, Clone)]
pub struct IntensityExceeded {
    /// The name of the child whose restart was refused.
    pub child: String,
    /// The text of that child's last stop cause, for example `Actor failed: bad input`.
    pub last_failure: String,
    /// The limit that was reached.
    pub max_restarts: u32,
    /// Within this period.
    pub period: Duration,
}

impl fmt::Display for IntensityExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "supervisor gave up: child `{}` needed more than {} restarts in {:?}; last failure: {}",
            self.child, self.max_restarts, self.period, self.last_failure
        )
    }
}

impl core::error::Error for IntensityExceeded {}
