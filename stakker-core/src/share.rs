//! Shared mutable data between actors, borrowed through the runtime instead of `RefCell`.

use crate::cx::{same_share, Cx};
use crate::runtime::Core;
use alloc::rc::{Rc, Weak};
use qcell::QCell;

/// The allocation behind a share: the owning runtime's identity and the guarded value.
struct ShareBox<T> {
    runtime: *const (),
    cell: QCell<T>,
}

fn runtime_id(core: &Core) -> *const () {
    Rc::as_ptr(&core.deferrer.0).cast()
}

#[cold]
#[track_caller]
fn wrong_runtime(api: &str) -> ! {
    panic!("{api}: the share belongs to a different runtime (Stakker) than the one passed in");
}

macro_rules! share_common {
    ($share:ident, $weak:ident) => {
        impl<T> $share<T> {
            /// Another weak reference to the same value.
            pub fn downgrade(&self) -> $weak<T> {
                $weak(Rc::downgrade(&self.0))
            }
            /// Number of strong references, like `Rc::strong_count`.
            pub fn strong_count(&self) -> usize {
                Rc::strong_count(&self.0)
            }
            /// Number of weak references, like `Rc::weak_count`.
            pub fn weak_count(&self) -> usize {
                Rc::weak_count(&self.0)
            }
            #[inline]
            #[track_caller]
            pub(crate) fn check(&self, core: &Core, api: &str) {
                if self.0.runtime != runtime_id(core) {
                    wrong_runtime(api);
                }
            }
            #[inline]
            pub(crate) fn addr(&self) -> *const () {
                Rc::as_ptr(&self.0).cast()
            }
            #[inline]
            pub(crate) fn cell(&self) -> &QCell<T> {
                &self.0.cell
            }
        }
        impl<T> Clone for $share<T> {
            fn clone(&self) -> Self {
                $share(self.0.clone())
            }
        }
        impl<T> $weak<T> {
            /// A strong reference, if any strong reference still exists.
            pub fn upgrade(&self) -> Option<$share<T>> {
                self.0.upgrade().map($share)
            }
            /// Number of strong references (0 once the value is gone).
            pub fn strong_count(&self) -> usize {
                self.0.strong_count()
            }
            /// Number of weak references (0 once no strong references remain).
            pub fn weak_count(&self) -> usize {
                self.0.weak_count()
            }
        }
        impl<T> Clone for $weak<T> {
            fn clone(&self) -> Self {
                $weak(self.0.clone())
            }
        }
    };
}

/// Shared mutable data, borrowed through `Core`: `ro` with `&Core`, `rw` with `&mut Core`.
/// The borrow checker then rules out overlapping borrows at compile time.
///
/// ```
/// use stakker_core::{Share, Stakker};
/// use std::time::Instant;
/// let mut s = Stakker::new(Instant::now());
/// let counter = Share::new(&s, 0u32);
/// let c2 = counter.clone();
/// *c2.rw(&mut s) += 5;
/// assert_eq!(*counter.ro(&s), 5);
/// ```
///
/// A write borrow holds the runtime: nothing else can use `Core` (or another share) until it
/// ends, which is what makes the access sound without `RefCell`:
///
/// ```compile_fail
/// use stakker_core::{Share, Stakker};
/// use std::time::Instant;
/// let mut s = Stakker::new(Instant::now());
/// let a = Share::new(&s, 0u32);
/// let b = Share::new(&s, 0u32);
/// let x = a.rw(&mut s);
/// let y = b.rw(&mut s); // error: `s` is already mutably borrowed by `x`
/// *x += *y;
/// ```
pub struct Share<T>(Rc<ShareBox<T>>);

/// A weak reference to a [`Share`].
pub struct ShareWeak<T>(Weak<ShareBox<T>>);

share_common!(Share, ShareWeak);

impl<T> Share<T> {
    /// Creates a share owned by `core`'s runtime.
    pub fn new(core: &Core, val: T) -> Share<T> {
        Share(Rc::new(ShareBox {
            runtime: runtime_id(core),
            cell: QCell::new(&core.share_owner, val),
        }))
    }

    /// Read access.
    ///
    /// # Panics
    ///
    /// If `core` belongs to a different runtime than the one that created the share.
    #[inline]
    #[track_caller]
    pub fn ro<'a>(&'a self, core: &'a Core) -> &'a T {
        self.check(core, "Share::ro");
        core.share_owner.ro(&self.0.cell)
    }

    /// Write access.
    ///
    /// # Panics
    ///
    /// If `core` belongs to a different runtime than the one that created the share.
    #[inline]
    #[track_caller]
    pub fn rw<'a>(&'a self, core: &'a mut Core) -> &'a mut T {
        self.check(core, "Share::rw");
        core.share_owner.rw(&self.0.cell)
    }
}

impl Core {
    /// Mutable access to two different [`Share`]s at once.
    ///
    /// # Panics
    ///
    /// If both are the same share, or one belongs to another runtime.
    #[track_caller]
    pub fn share_rw2<'a, T, U>(
        &'a mut self,
        s1: &'a Share<T>,
        s2: &'a Share<U>,
    ) -> (&'a mut T, &'a mut U) {
        s1.check(self, "Core::share_rw2");
        s2.check(self, "Core::share_rw2");
        if s1.addr() == s2.addr() {
            same_share("Core::share_rw2");
        }
        self.share_owner.rw2(s1.cell(), s2.cell())
    }

    /// Mutable access to three different [`Share`]s at once.
    ///
    /// # Panics
    ///
    /// If any two are the same share, or one belongs to another runtime.
    #[track_caller]
    pub fn share_rw3<'a, T, U, V>(
        &'a mut self,
        s1: &'a Share<T>,
        s2: &'a Share<U>,
        s3: &'a Share<V>,
    ) -> (&'a mut T, &'a mut U, &'a mut V) {
        s1.check(self, "Core::share_rw3");
        s2.check(self, "Core::share_rw3");
        s3.check(self, "Core::share_rw3");
        if s1.addr() == s2.addr() || s2.addr() == s3.addr() || s1.addr() == s3.addr() {
            same_share("Core::share_rw3");
        }
        self.share_owner.rw3(s1.cell(), s2.cell(), s3.cell())
    }
}

/// Like [`Share`], but borrowed through [`Cx`] with its own borrow owner, so its contents and
/// `&mut Core` can be held at the same time. There is no read-only accessor.
///
/// ```
/// use stakker_core::{actor, call, ret_nop, Share2, Stakker, CX};
/// use std::time::Instant;
///
/// struct Writer(Option<Share2<Vec<u64>>>);
/// impl Writer {
///     fn init(_: CX![]) -> Option<Self> { Some(Writer(None)) }
///     fn write(&mut self, cx: CX![]) {
///         let share = self.0.get_or_insert_with(|| Share2::new(cx, Vec::new())).clone();
///         let (log, core) = share.rw(cx);
///         log.push(core.now().as_nanos()); // the value and Core at once
///     }
///     fn len(&mut self, cx: CX![]) -> usize {
///         match &self.0 { Some(sh) => sh.rw(cx).0.len(), None => 0 }
///     }
/// }
///
/// let mut s = Stakker::new(Instant::now());
/// let w = actor!(s, Writer::init(), ret_nop!());
/// call!([w], write());
/// call!([w], write());
/// s.run(Instant::now(), false);
/// assert_eq!(w.query(&mut s, |this, cx| this.len(cx)), Some(2));
/// ```
pub struct Share2<T>(Rc<ShareBox<T>>);

/// A weak reference to a [`Share2`].
pub struct Share2Weak<T>(Weak<ShareBox<T>>);

share_common!(Share2, Share2Weak);

impl<T> Share2<T> {
    /// Creates a share owned by the runtime of `cx`.
    pub fn new<A>(cx: &Cx<'_, A>, val: T) -> Share2<T> {
        let core: &Core = cx;
        Share2(Rc::new(ShareBox {
            runtime: runtime_id(core),
            cell: QCell::new(core.share2_owner_id, val),
        }))
    }

    /// Write access to the value, together with `&mut Core`.
    ///
    /// # Panics
    ///
    /// If `cx` belongs to a different runtime than the one that created the share.
    #[inline]
    #[track_caller]
    pub fn rw<'a, A>(&'a self, cx: &'a mut Cx<'_, A>) -> (&'a mut T, &'a mut Core) {
        cx.share2_rw(self)
    }
}
