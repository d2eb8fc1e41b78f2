//! `UdpQueue` and `UdpServerQueue`: send queues and one-packet reads for registered UDP
//! sockets.

use crate::mio::net::UdpSocket;
use crate::{retry, MioSource};
use std::collections::VecDeque;
use std::io::{ErrorKind, Result};
use std::net::SocketAddr;

/// Windows reports a datagram longer than the buffer as this error (WSAEMSGSIZE), after
/// filling the buffer.
const WSAEMSGSIZE: i32 = 10040;

fn is_truncated(e: &std::io::Error) -> bool {
    cfg!(windows) && e.raw_os_error() == Some(WSAEMSGSIZE)
}

/// Sends queued packets from the front with `send` (which returns the bytes sent and the
/// packet's length), keeping the one that met `WouldBlock` or an error.
fn flush_queue<P>(
    out: &mut VecDeque<P>,
    mut send: impl FnMut(&P) -> Result<(usize, usize)>,
) -> Result<()> {
    while let Some(packet) = out.front() {
        match retry(|| send(packet)) {
            Ok((sent, len)) if sent == len => drop(out.pop_front()),
            // A datagram goes whole or not at all: a short send means it was cut.
            Ok(_) => {
                out.pop_front();
                return Err(ErrorKind::WriteZero.into());
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A send queue and packet reads for a *connected* [`UdpSocket`] registered with
/// [`MioPoll`](crate::MioPoll): no addresses in or out.
///
/// Push packets and [`flush`](UdpQueue::flush), and flush again on each writable event; on
/// each readable event [`read`](UdpQueue::read) until `Ok(None)` (mio is edge-triggered).
/// UDP has no backpressure: a long queue here means the OS buffer is full for now.
#[derive(Default)]
pub struct UdpQueue {
    /// Packets waiting to be sent, oldest first.
    pub out: VecDeque<Vec<u8>>,
    socket: Option<MioSource<UdpSocket>>,
}

impl UdpQueue {
    /// An empty queue with no socket.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs `socket` (dropping any previous one).
    pub fn init(&mut self, socket: MioSource<UdpSocket>) {
        self.socket = Some(socket);
    }

    /// Drops the socket, deregistering it (queued packets are kept).
    pub fn deinit(&mut self) {
        self.socket = None;
    }

    /// Queues `packet`; call [`flush`](UdpQueue::flush) to send it.
    pub fn push(&mut self, packet: Vec<u8>) {
        self.out.push_back(packet);
    }

    /// Sends packets from the front until the queue is empty or the socket would block; the
    /// packet that met `WouldBlock` stays at the front for the next writable event. No
    /// socket: nothing is sent.
    ///
    /// # Errors
    ///
    /// The socket's error (the packet stays queued), for example `ConnectionRefused` after an
    /// ICMP port-unreachable from the peer; a packet sent short is dropped and gives
    /// `WriteZero`.
    pub fn flush(&mut self) -> Result<()> {
        let Some(socket) = self.socket.as_deref() else {
            return Ok(());
        };
        flush_queue(&mut self.out, |p| Ok((socket.send(p)?, p.len())))
    }

    /// Reads one packet into `tmp` (truncated if longer) and returns its bytes, or `Ok(None)`
    /// when there is none (or no socket). Call until `Ok(None)` to re-arm readiness.
    ///
    /// # Errors
    ///
    /// The socket's error, for example `ConnectionRefused` after the peer's port closed.
    pub fn read<'a>(&mut self, tmp: &'a mut [u8]) -> Result<Option<&'a [u8]>> {
        let Some(socket) = self.socket.as_mut() else {
            return Ok(None);
        };
        match retry(|| socket.recv(tmp)) {
            Ok(n) => Ok(Some(&tmp[..n])),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Ok(None),
            Err(e) if is_truncated(&e) => Ok(Some(tmp)),
            Err(e) => Err(e),
        }
    }

    /// As [`read`](UdpQueue::read), copying the packet into a new `Vec`.
    pub fn read_to_vec(&mut self, tmp: &mut [u8]) -> Result<Option<Vec<u8>>> {
        Ok(self.read(tmp)?.map(<[u8]>::to_vec))
    }
}

/// A send queue and packet reads for an *unconnected* [`UdpSocket`] registered with
/// [`MioPoll`](crate::MioPoll): every packet carries its peer's address.
///
/// Used like [`UdpQueue`].
#[derive(Default)]
pub struct UdpServerQueue {
    /// Packets waiting to be sent, each with its destination, oldest first.
    pub out: VecDeque<(SocketAddr, Vec<u8>)>,
    socket: Option<MioSource<UdpSocket>>,
}

impl UdpServerQueue {
    /// An empty queue with no socket.
    pub fn new() -> Self {
        Self::default()
    }

    /// Installs `socket` (dropping any previous one).
    pub fn init(&mut self, socket: MioSource<UdpSocket>) {
        self.socket = Some(socket);
    }

    /// Drops the socket, deregistering it (queued packets are kept).
    pub fn deinit(&mut self) {
        self.socket = None;
    }

    /// Queues `packet` for `addr`; call [`flush`](UdpServerQueue::flush) to send it.
    pub fn push(&mut self, addr: SocketAddr, packet: Vec<u8>) {
        self.out.push_back((addr, packet));
    }

    /// As [`UdpQueue::flush`], sending each packet to its address.
    ///
    /// # Errors
    ///
    /// As [`UdpQueue::flush`].
    pub fn flush(&mut self) -> Result<()> {
        let Some(socket) = self.socket.as_deref() else {
            return Ok(());
        };
        flush_queue(&mut self.out, |(addr, p)| {
            Ok((socket.send_to(p, *addr)?, p.len()))
        })
    }

    /// Reads one packet into `tmp` (truncated if longer; on Windows, where its sender is not
    /// reported then, skipped) and returns its sender and bytes, or `Ok(None)` when there is
    /// none (or no socket). Call until `Ok(None)` to re-arm readiness.
    ///
    /// # Errors
    ///
    /// The socket's error.
    pub fn read<'a>(&mut self, tmp: &'a mut [u8]) -> Result<Option<(SocketAddr, &'a [u8])>> {
        let Some(socket) = self.socket.as_mut() else {
            return Ok(None);
        };
        loop {
            match retry(|| socket.recv_from(tmp)) {
                Ok((n, addr)) => return Ok(Some((addr, &tmp[..n]))),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(None),
                Err(e) if is_truncated(&e) => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// As [`read`](UdpServerQueue::read), copying the packet into a new `Vec`.
    pub fn read_to_vec(&mut self, tmp: &mut [u8]) -> Result<Option<(SocketAddr, Vec<u8>)>> {
        Ok(self.read(tmp)?.map(|(addr, p)| (addr, p.to_vec())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Error;

    /// Loopback UDP never blocks a sender, so `WouldBlock` is played by a scripted `send`.
    #[test]
    fn would_block_keeps_the_packet_and_later_ones() {
        let mut out: VecDeque<Vec<u8>> = [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()].into();
        let mut sent = Vec::new();
        let mut script = vec![
            Ok(1),
            Err(ErrorKind::WouldBlock),
            Err(ErrorKind::Interrupted),
        ];
        script.reverse();
        flush_queue(&mut out, |p| {
            let r = script.pop().unwrap_or(Ok(1)).map_err(Error::from)?;
            sent.push(p.clone());
            Ok((r, p.len()))
        })
        .unwrap();
        assert_eq!(sent, [b"a".to_vec()]);
        assert_eq!(
            out,
            [b"b".to_vec(), b"c".to_vec()],
            "the blocked packet was dropped"
        );
        // Interrupted is retried; then everything goes.
        flush_queue(&mut out, |p| {
            let r = script.pop().unwrap_or(Ok(1)).map_err(Error::from)?;
            sent.push(p.clone());
            Ok((r, p.len()))
        })
        .unwrap();
        assert!(out.is_empty());
        assert_eq!(sent, [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()]);
    }

    #[test]
    fn short_send_is_write_zero_and_errors_keep_the_packet() {
        let mut out: VecDeque<Vec<u8>> = [b"abc".to_vec(), b"d".to_vec()].into();
        let e = flush_queue(&mut out, |p| Ok((1, p.len()))).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::WriteZero);
        assert_eq!(out, [b"d".to_vec()]);
        let e = flush_queue(&mut out, |_| Err(ErrorKind::ConnectionRefused.into())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
        assert_eq!(out, [b"d".to_vec()]);
    }
}
