//! `FdSource`: any unix file descriptor as a mio source.

use crate::mio::event::Source;
use crate::mio::unix::SourceFd;
use crate::mio::{Interest, Registry, Token};
use std::io::Result;
use std::os::unix::io::RawFd;

/// A mio [`Source`] for an arbitrary unix file descriptor (a pipe, a tty, an eventfd, ...).
/// It neither owns nor closes the descriptor: keep it open while the
/// [`MioSource`](crate::MioSource) lives, and close it after dropping that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdSource {
    /// The descriptor.
    pub fd: RawFd,
}

impl FdSource {
    /// Wraps `fd`.
    pub fn new(fd: RawFd) -> FdSource {
        FdSource { fd }
    }
}

impl Source for FdSource {
    fn register(&mut self, registry: &Registry, token: Token, interest: Interest) -> Result<()> {
        SourceFd(&self.fd).register(registry, token, interest)
    }

    fn reregister(&mut self, registry: &Registry, token: Token, interest: Interest) -> Result<()> {
        SourceFd(&self.fd).reregister(registry, token, interest)
    }

    fn deregister(&mut self, registry: &Registry) -> Result<()> {
        SourceFd(&self.fd).deregister(registry)
    }
}
