//! Macros (in progress).
