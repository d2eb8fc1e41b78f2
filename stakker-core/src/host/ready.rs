//! [`Ready`]: the readiness flags that the I/O adapters deliver to handlers.

use core::fmt;
use core::ops::BitOr;

/// The readiness flags of one I/O event, as an adapter delivers them to a `Fwd<Ready>` (the
/// `Ready` of stakker-mio and stakker-tokio). The accessors mirror `mio::event::Event`; an
/// adapter sets only the flags its host can report (tokio never sets `aio` or `lio`).
///
/// ```
/// use stakker_core::host::Ready;
/// let r = Ready::READABLE | Ready::READ_CLOSED;
/// assert!(r.is_readable() && r.is_read_closed() && !r.is_writable());
/// assert_eq!(Ready::from_bits(r.bits()), r);
/// assert_eq!(format!("{r:?}"), "Ready(readable | read_closed)");
/// ```
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct Ready(u8);

impl Ready {
    /// No flag set.
    pub const EMPTY: Ready = Ready(0);
    /// Readable only.
    pub const READABLE: Ready = Ready(1);
    /// Writable only.
    pub const WRITABLE: Ready = Ready(2);
    /// Error only.
    pub const ERROR: Ready = Ready(4);
    /// Read side closed only.
    pub const READ_CLOSED: Ready = Ready(8);
    /// Write side closed only.
    pub const WRITE_CLOSED: Ready = Ready(16);
    /// Priority data only.
    pub const PRIORITY: Ready = Ready(32);
    /// AIO completion only.
    pub const AIO: Ready = Ready(64);
    /// LIO completion only.
    pub const LIO: Ready = Ready(128);

    const NAMES: [(Ready, &'static str); 8] = [
        (Ready::READABLE, "readable"),
        (Ready::WRITABLE, "writable"),
        (Ready::ERROR, "error"),
        (Ready::READ_CLOSED, "read_closed"),
        (Ready::WRITE_CLOSED, "write_closed"),
        (Ready::PRIORITY, "priority"),
        (Ready::AIO, "aio"),
        (Ready::LIO, "lio"),
    ];

    /// The flags whose bits are set in `bits` (the bit of each flag is its constant's
    /// [`bits`](Ready::bits)); every `u8` is a valid set.
    pub const fn from_bits(bits: u8) -> Ready {
        Ready(bits)
    }
    /// The flags as bits, for [`from_bits`](Ready::from_bits).
    pub const fn bits(self) -> u8 {
        self.0
    }
    /// `flag` when `on`, else no flag: for building a set from a host's booleans.
    pub const fn flag_if(on: bool, flag: Ready) -> Ready {
        if on {
            flag
        } else {
            Ready::EMPTY
        }
    }
    /// No flag is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
    const fn has(self, flag: Ready) -> bool {
        self.0 & flag.0 != 0
    }
    /// The source can be read (or is at end of stream, or failed).
    pub fn is_readable(&self) -> bool {
        self.has(Ready::READABLE)
    }
    /// The source can be written (or failed).
    pub fn is_writable(&self) -> bool {
        self.has(Ready::WRITABLE)
    }
    /// The source reported an error (read or write it to get the error).
    pub fn is_error(&self) -> bool {
        self.has(Ready::ERROR)
    }
    /// The read side is closed (the peer's end of stream, where the OS reports it).
    pub fn is_read_closed(&self) -> bool {
        self.has(Ready::READ_CLOSED)
    }
    /// The write side is closed.
    pub fn is_write_closed(&self) -> bool {
        self.has(Ready::WRITE_CLOSED)
    }
    /// Priority (out-of-band) data is readable.
    pub fn is_priority(&self) -> bool {
        self.has(Ready::PRIORITY)
    }
    /// An AIO operation completed (FreeBSD and similar only).
    pub fn is_aio(&self) -> bool {
        self.has(Ready::AIO)
    }
    /// A LIO operation completed (FreeBSD only).
    pub fn is_lio(&self) -> bool {
        self.has(Ready::LIO)
    }
}

impl BitOr for Ready {
    type Output = Ready;
    fn bitor(self, rhs: Ready) -> Ready {
        Ready(self.0 | rhs.0)
    }
}

impl fmt::Debug for Ready {
    /// Lists the flags that are set, e.g. `Ready(readable | writable)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Ready(")?;
        let mut sep = "";
        for (flag, name) in Ready::NAMES {
            if self.has(flag) {
                write!(f, "{sep}{name}")?;
                sep = " | ";
            }
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::Ready;
    use alloc::format;

    type Accessor = fn(&Ready) -> bool;

    #[test]
    fn each_accessor_reads_its_own_flag_only() {
        let checks: [(Ready, Accessor); 8] = [
            (Ready::READABLE, Ready::is_readable),
            (Ready::WRITABLE, Ready::is_writable),
            (Ready::ERROR, Ready::is_error),
            (Ready::READ_CLOSED, Ready::is_read_closed),
            (Ready::WRITE_CLOSED, Ready::is_write_closed),
            (Ready::PRIORITY, Ready::is_priority),
            (Ready::AIO, Ready::is_aio),
            (Ready::LIO, Ready::is_lio),
        ];
        for (i, (flag, _)) in checks.iter().enumerate() {
            for (j, (_, get)) in checks.iter().enumerate() {
                assert_eq!(get(flag), i == j, "flag {i} accessor {j}");
            }
        }
    }

    #[test]
    fn bits_round_trip_and_debug_names_flags() {
        let r = Ready::flag_if(true, Ready::WRITABLE) | Ready::flag_if(false, Ready::ERROR);
        assert_eq!(r, Ready::WRITABLE);
        assert_eq!(Ready::from_bits(0xff).bits(), 0xff);
        assert!(Ready::default().is_empty());
        assert_eq!(format!("{:?}", Ready::EMPTY), "Ready()");
        assert_eq!(
            format!("{:?}", Ready::from_bits(0xff)),
            "Ready(readable | writable | error | read_closed | write_closed | priority | aio | lio)"
        );
    }
}
