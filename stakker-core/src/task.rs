//! Minimal hooks for running futures-style tasks on the runtime.

use crate::actor::StateCell;
use crate::deferrer::Deferrer;
use crate::runtime::{Core, Stakker};
use alloc::boxed::Box;
use alloc::rc::Rc;
use core::pin::Pin;

/// Something that can be resumed on the runtime's thread, such as a future wrapped by an
/// executor. Must tolerate spurious calls.
pub trait TaskTrait {
    /// Continues the task.
    fn resume(self: Pin<&mut Self>, core: &mut Core);
}

struct TaskBox {
    inner: StateCell<Pin<Box<dyn TaskTrait>>>,
}

/// A shared reference to one task. Resumed only with `&mut Stakker`, so never from inside an
/// actor call.
///
/// ```
/// use stakker_core::task::{Task, TaskTrait};
/// use stakker_core::{Core, Stakker};
/// use std::{cell::Cell, pin::Pin, rc::Rc, time::Instant};
///
/// struct Count(Rc<Cell<u32>>);
/// impl TaskTrait for Count {
///     fn resume(self: Pin<&mut Self>, _: &mut Core) { self.0.set(self.0.get() + 1); }
/// }
/// let mut s = Stakker::new(Instant::now());
/// let n = Rc::new(Cell::new(0));
/// let mut t = Task::new(&mut s, Count(n.clone()));
/// t.resume(&mut s);
/// assert_eq!(n.get(), 1);
/// assert!(Task::from_context(&s.deferrer()).is_none());
/// ```
#[derive(Clone)]
pub struct Task {
    rc: Rc<TaskBox>,
}

/// Clears the current-task mark however `resume` exits.
struct CurrentTask<'a>(&'a Deferrer);

impl Drop for CurrentTask<'_> {
    fn drop(&mut self) {
        let prev = self.0 .0.current_task.borrow_mut().take();
        drop(prev);
    }
}

impl Task {
    /// Wraps `inner` as a task of `core`'s runtime.
    pub fn new(core: &mut Core, inner: impl TaskTrait + 'static) -> Task {
        let inner: Pin<Box<dyn TaskTrait>> = Box::pin(inner);
        Task {
            rc: Rc::new(TaskBox {
                inner: StateCell::new(core.deferrer(), inner),
            }),
        }
    }

    /// Marks this task as the current one, resumes it, then clears the mark.
    ///
    /// # Panics
    ///
    /// If `s` is not the task's runtime.
    pub fn resume(&mut self, s: &mut Stakker) {
        let deferrer = self.rc.inner.runtime();
        s.core.check_runtime(deferrer, "Task::resume");
        *deferrer.0.current_task.borrow_mut() = Some(self.clone());
        let _mark = CurrentTask(deferrer);
        #[allow(unused_mut)] // `mut` is needed by the `no-unsafe` twin (a `RefMut`)
        let Some(mut inner) = self.rc.inner.rw(&mut s.actor_owner) else {
            crate::runtime::wrong_runtime("Task::resume");
        };
        inner.as_mut().resume(&mut s.core);
    }

    /// The task currently being resumed on `deferrer`'s runtime, or `None` outside a resume.
    pub fn from_context(deferrer: &Deferrer) -> Option<Task> {
        deferrer.0.current_task.borrow().clone()
    }
}
