//! `stakker-testkit` will run whole actor systems in virtual time and explore schedules with
//! proptest.
//!
//! **Not implemented yet**: this crate has no public API so far. Virtual time already works
//! with the core alone: implement `stakker_core::host::EventLoop` with a clock that jumps by
//! the requested wait (the example in `stakker_core::host` does exactly that).
