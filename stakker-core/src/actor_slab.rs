//! `ActorOwnSlab`: a set of owned child actors that removes each child when it terminates.

use crate::actor::{Actor, ActorOwn};
use crate::runtime::Core;
use crate::{Ret, StopCause};
use slab::Slab;

/// A set of owned child actors; each child's entry is removed automatically when it
/// terminates. Iteration order is unspecified but deterministic.
///
/// ```
/// use stakker_core::{actor, actor_in_slab, call, ret_nop, ActorOwnSlab, Stakker, CX};
/// use std::time::Instant;
///
/// struct Child;
/// impl Child {
///     fn init(_: CX![]) -> Option<Self> { Some(Child) }
///     fn done(&mut self, cx: CX![]) { cx.stop(); }
/// }
/// struct Parent { children: ActorOwnSlab<Child> }
/// impl Parent {
///     fn init(_: CX![]) -> Option<Self> { Some(Parent { children: ActorOwnSlab::new() }) }
///     fn spawn(&mut self, cx: CX![]) {
///         let child = actor_in_slab!(self.children, cx, Child::init());
///         call!([child], done());
///     }
///     fn count(&self, _: CX![]) -> usize { self.children.len() }
/// }
///
/// let mut s = Stakker::new(Instant::now());
/// let parent = actor!(s, Parent::init(), ret_nop!());
/// call!([parent], spawn());
/// s.run(Instant::now(), false);
/// assert_eq!(parent.query(&mut s, |this, cx| this.count(cx)), Some(0));
/// ```
pub struct ActorOwnSlab<T: 'static> {
    slab: Slab<ActorOwn<T>>,
}

impl<T: 'static> Default for ActorOwnSlab<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: 'static> ActorOwnSlab<T> {
    /// An empty set.
    pub fn new() -> Self {
        Self { slab: Slab::new() }
    }

    /// Creates a child actor in Prep, stores its owner here and returns a non-owning
    /// reference for initialising it. `parent` is the actor whose state contains this slab and
    /// `get_slab` finds the slab inside that state. When the child terminates, removal of its
    /// entry is queued as a Ready call on `parent`, then the cause is passed to `notify`.
    pub fn add<P>(
        &mut self,
        core: &mut Core,
        parent: Actor<P>,
        get_slab: impl for<'a> FnOnce(&'a mut P) -> &'a mut Self + 'static,
        notify: Ret<StopCause>,
    ) -> Actor<T> {
        let key = self.slab.vacant_key();
        let parent_id = parent.id();
        let on_stop = Ret::new(move |cause: Option<StopCause>| {
            parent.defer_apply(move |p, _| {
                get_slab(p).slab.try_remove(key);
            });
            if let Some(cause) = cause {
                notify.ret(cause);
            }
            // A `None` (runtime gone) drops `notify`, which reports `None` in turn.
        });
        let child = ActorOwn::new(core, on_stop, parent_id);
        let actor = (*child).clone();
        let k = self.slab.insert(child);
        debug_assert_eq!(k, key);
        actor
    }

    /// Number of children.
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Whether there are no children.
    pub fn is_empty(&self) -> bool {
        self.slab.is_empty()
    }
}

/// Auxiliary types that appear in public signatures.
pub mod aux {
    use super::*;

    /// Iterator over the children of an [`ActorOwnSlab`].
    pub struct ActorOwnSlabIter<'a, T: 'static>(pub(super) slab::Iter<'a, ActorOwn<T>>);

    impl<'a, T: 'static> Iterator for ActorOwnSlabIter<'a, T> {
        type Item = &'a ActorOwn<T>;
        fn next(&mut self) -> Option<Self::Item> {
            self.0.next().map(|(_, own)| own)
        }
    }
}

impl<'a, T: 'static> IntoIterator for &'a ActorOwnSlab<T> {
    type Item = &'a ActorOwn<T>;
    type IntoIter = aux::ActorOwnSlabIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        aux::ActorOwnSlabIter(self.slab.iter())
    }
}
