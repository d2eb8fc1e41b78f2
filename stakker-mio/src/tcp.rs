//! `TcpStreamBuf`: buffering for a registered `mio::net::TcpStream`.

use crate::mio::net::TcpStream;
use crate::{retry, MioSource};
use std::io::{Error, ErrorKind, Read, Result, Write};
use std::net::Shutdown;

/// Input and output buffers for a [`MioSource`]`<TcpStream>`.
///
/// Append outgoing data to [`out`](TcpStreamBuf::out) and call
/// [`flush`](TcpStreamBuf::flush) (also on each writable event: what the socket would not take
/// stays in `out`). On each readable event call [`read`](TcpStreamBuf::read) until it returns
/// [`ReadStatus::WouldBlock`] (mio is edge-triggered: only then is readiness reported again),
/// and consume `inp[rd..wr]`, advancing `rd`. Leaving an incomplete record there until more
/// arrives costs nothing: the buffer compacts itself when it needs room. For backpressure,
/// call `read` from an `idle!` item instead of the ready handler.
///
/// TCP_NODELAY is off unless [`set_nodelay`](TcpStreamBuf::set_nodelay) turns it on (wise for
/// request/response traffic); it is applied on the first flush after each
/// [`init`](TcpStreamBuf::init), since some platforms accept it only once connected.
#[derive(Default)]
pub struct TcpStreamBuf {
    /// Data waiting to be sent; [`flush`](TcpStreamBuf::flush) sends from the front.
    pub out: Vec<u8>,
    /// Shut down the write side (the peer reads end of stream) once `out` has drained.
    /// Adding data to `out` after that makes `flush` fail.
    pub out_eof: bool,
    /// Input buffer: the unread input is `inp[rd..wr]`.
    pub inp: Vec<u8>,
    /// Set by [`read`](TcpStreamBuf::read) when the peer's end of stream is read. Handle it
    /// after consuming what is left in `inp[rd..wr]`.
    pub inp_eof: bool,
    /// Read offset into `inp`: advance it as input is consumed.
    pub rd: usize,
    /// Write offset into `inp`: where the next read puts data.
    pub wr: usize,
    nodelay: bool,
    nodelay_pending: bool,
    eof_sent: bool,
    paused: bool,
    stream: Option<MioSource<TcpStream>>,
}

/// What one [`TcpStreamBuf::read`] found.
#[derive(Debug)]
pub enum ReadStatus {
    /// Data was appended to the input buffer (`wr` advanced).
    NewData,
    /// Nothing to read now (or no stream): readiness is re-armed.
    WouldBlock,
    /// The peer ended its stream (`inp_eof` is now set).
    EndOfStream,
    /// The read failed (for example the connection was reset).
    Error(Error),
}

impl TcpStreamBuf {
    /// The largest `max` that [`read`](TcpStreamBuf::read) accepts (1 GiB): a larger one is
    /// almost certainly a bug (the buffer grows to twice `max`), reported as an error.
    pub const MAX_READ: usize = 1 << 30;

    /// Empty buffers and no stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs `stream` (dropping any previous one). The TCP_NODELAY setting is applied on
    /// the next flush, and the write side is no longer counted as shut down.
    pub fn init(&mut self, stream: MioSource<TcpStream>) {
        self.stream = Some(stream);
        self.eof_sent = false;
        self.nodelay_pending = true;
    }

    /// Drops the stream, deregistering it (the buffers are kept).
    pub fn deinit(&mut self) {
        self.stream = None;
    }

    /// Turns TCP_NODELAY on or off (default off), from the next flush.
    pub fn set_nodelay(&mut self, nodelay: bool) {
        if self.nodelay != nodelay {
            self.nodelay = nodelay;
            self.nodelay_pending = true;
        }
    }

    /// While paused, [`flush`](TcpStreamBuf::flush) does nothing (Windows rejects writes before
    /// the first writable event; a TLS engine flushes on its own).
    pub fn pause_writes(&mut self, pause: bool) {
        self.paused = pause;
    }

    /// Sends from the front of `out` until it is empty or the socket would block (the rest
    /// stays in `out`: call again on the next writable event), then shuts down the write side
    /// once if `out_eof` is set and `out` has drained. Does nothing while paused or without a
    /// stream.
    ///
    /// # Errors
    ///
    /// The socket's error (for example `BrokenPipe` or `ConnectionReset` after the peer went
    /// away); `WouldBlock` is never one. Data added to `out` after the write side was shut
    /// down gives `BrokenPipe` with a message saying so.
    pub fn flush(&mut self) -> Result<()> {
        if self.paused {
            return Ok(());
        }
        let Some(stream) = self.stream.as_mut() else {
            return Ok(());
        };
        if self.eof_sent && !self.out.is_empty() {
            return Err(Error::new(
                ErrorKind::BrokenPipe,
                format!(
                    "TcpStreamBuf::flush: {} bytes added to `out` after the write side was shut \
                     down (`out_eof`)",
                    self.out.len()
                ),
            ));
        }
        if self.nodelay_pending {
            retry(|| stream.set_nodelay(self.nodelay))?;
            self.nodelay_pending = false;
        }
        let mut sent = 0;
        let result = loop {
            if sent == self.out.len() {
                break retry(|| stream.flush());
            }
            match retry(|| stream.write(&self.out[sent..])) {
                Ok(0) => break Ok(()), // the OS took nothing; try again on the next event
                Ok(n) => sent += n,
                Err(e) => break Err(e),
            }
        };
        self.out.drain(..sent);
        match result {
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
            Ok(()) => (),
        }
        if self.out_eof && self.out.is_empty() && !self.eof_sent {
            retry(|| stream.shutdown(Shutdown::Write))?;
            self.eof_sent = true;
        }
        Ok(())
    }

    /// Makes room for `max` more bytes at `wr`: starts again at offset 0 once all input is
    /// read, moves unread input to the front before growing, and when growing makes `inp` at
    /// least `wr + max` and `2 * max` long (zero-filled up to its capacity).
    ///
    /// # Panics
    ///
    /// If `wr + max` or `2 * max` overflows `usize`.
    pub fn inp_makespace(&mut self, max: usize) {
        if self.rd == self.wr {
            self.rd = 0;
            self.wr = 0;
        }
        if self.wr + max <= self.inp.len() {
            return;
        }
        if self.rd != 0 {
            self.inp.copy_within(self.rd..self.wr, 0);
            self.wr -= self.rd;
            self.rd = 0;
            if self.wr + max <= self.inp.len() {
                return;
            }
        }
        let want = max
            .checked_mul(2)
            .and_then(|twice| Some(twice.max(self.wr.checked_add(max)?)))
            .expect("TcpStreamBuf::inp_makespace: `max` too large, the size overflows");
        self.inp.reserve(want - self.inp.len());
        self.inp.resize(self.inp.capacity(), 0);
    }

    /// Reads once, at most `max` bytes, into `inp[wr..]` (making room first): see
    /// [`ReadStatus`]. Call it until `WouldBlock` to re-arm readiness. No stream reads as
    /// `WouldBlock`.
    ///
    /// A `max` above [`MAX_READ`](TcpStreamBuf::MAX_READ) gives `Error` (`InvalidInput`).
    pub fn read(&mut self, max: usize) -> ReadStatus {
        if max > Self::MAX_READ {
            return ReadStatus::Error(Error::new(
                ErrorKind::InvalidInput,
                format!(
                    "TcpStreamBuf::read: limit {max} exceeds MAX_READ ({})",
                    Self::MAX_READ
                ),
            ));
        }
        self.inp_makespace(max);
        let Some(stream) = self.stream.as_mut() else {
            return ReadStatus::WouldBlock;
        };
        let end = self.wr + max;
        match retry(|| stream.read(&mut self.inp[self.wr..end])) {
            Ok(0) if max > 0 => {
                self.inp_eof = true;
                ReadStatus::EndOfStream
            }
            Ok(0) => ReadStatus::WouldBlock, // nothing asked for
            Ok(n) => {
                self.wr += n;
                ReadStatus::NewData
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => ReadStatus::WouldBlock,
            Err(e) => ReadStatus::Error(e),
        }
    }

    /// Connects two layers (for example plain text over a TLS engine): appends `self.out` to
    /// `upstream.out` and passes `out_eof` up; moves `upstream`'s unread input to the end of
    /// `self`'s input and passes `inp_eof` down.
    pub fn exchange(&mut self, upstream: &mut Self) {
        upstream.out.append(&mut self.out);
        upstream.out_eof |= self.out_eof;
        let len = upstream.wr - upstream.rd;
        if len > 0 {
            self.inp_makespace(len);
            self.inp[self.wr..self.wr + len]
                .copy_from_slice(&upstream.inp[upstream.rd..upstream.wr]);
            self.wr += len;
            upstream.rd = 0;
            upstream.wr = 0;
        }
        self.inp_eof |= upstream.inp_eof;
    }
}

impl Read for TcpStreamBuf {
    /// Takes from the unread input `inp[rd..wr]`, advancing `rd`. With nothing unread: `Ok(0)`
    /// after end of stream, else `Err(WouldBlock)`.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize> {
        if self.rd == self.wr {
            return if self.inp_eof {
                Ok(0)
            } else {
                Err(ErrorKind::WouldBlock.into())
            };
        }
        let n = buf.len().min(self.wr - self.rd);
        buf[..n].copy_from_slice(&self.inp[self.rd..self.rd + n]);
        self.rd += n;
        Ok(n)
    }
}

impl Write for TcpStreamBuf {
    /// Appends to `out`.
    fn write(&mut self, buf: &[u8]) -> Result<usize> {
        self.out.extend_from_slice(buf);
        Ok(buf.len())
    }

    /// Appends every buffer to `out`.
    fn write_vectored(&mut self, bufs: &[std::io::IoSlice<'_>]) -> Result<usize> {
        let mut n = 0;
        for buf in bufs {
            self.out.extend_from_slice(buf);
            n += buf.len();
        }
        Ok(n)
    }

    /// Does nothing: the inherent [`TcpStreamBuf::flush`] sends `out`.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
}
