//! TLS over two `TcpStreamBuf`s with rustls (feature `rustls`).

use crate::TcpStreamBuf;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};
use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;

/// How the peer ended its side of a TLS stream.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum TlsEof {
    /// Cleanly, with a close-notify alert before the TCP end of stream.
    Close,
    /// Uncleanly: the TCP stream ended without a close-notify (the data may be truncated).
    Abort,
}

/// A TLS failure: a protocol error, a rejected certificate, or a failed flush of the
/// network-side buffer. Its text says which.
#[derive(Debug)]
pub struct TlsError {
    text: String,
    rustls: Option<rustls::Error>,
}

impl TlsError {
    fn io(what: &str, e: std::io::Error) -> TlsError {
        TlsError {
            text: format!("TLS: {what}: {e}"),
            rustls: None,
        }
    }

    /// The rustls error behind this one, if it came from the TLS protocol (for example
    /// `rustls::Error::InvalidCertificate(..)` for a certificate that was not accepted).
    pub fn rustls_error(&self) -> Option<&rustls::Error> {
        self.rustls.as_ref()
    }
}

impl From<rustls::Error> for TlsError {
    fn from(e: rustls::Error) -> TlsError {
        let text = match &e {
            rustls::Error::InvalidCertificate(c) => {
                format!("TLS: the peer's certificate was rejected: {c:?} ({e})")
            }
            _ => format!("TLS: {e}"),
        };
        TlsError {
            text,
            rustls: Some(e),
        }
    }
}

impl fmt::Display for TlsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for TlsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.rustls.as_ref().map(|e| e as _)
    }
}

/// The part both engines share: a connection (or none, for pass-through) and the EOF state.
struct Engine {
    conn: Option<Connection>,
    close_sent: bool,
    tcp_eof_fed: bool,
    inp_eof: Option<TlsEof>,
}

impl Engine {
    fn new(conn: Option<Connection>) -> Engine {
        Engine {
            conn,
            close_sent: false,
            tcp_eof_fed: false,
            inp_eof: None,
        }
    }

    fn process(
        &mut self,
        ext: &mut TcpStreamBuf,
        int: &mut TcpStreamBuf,
    ) -> Result<Option<TlsEof>, TlsError> {
        let Some(conn) = self.conn.as_mut() else {
            int.exchange(ext);
            if int.inp_eof {
                self.inp_eof = Some(TlsEof::Close);
            }
            ext.flush()
                .map_err(|e| TlsError::io("flushing the TCP stream", e))?;
            return Ok(self.inp_eof);
        };
        loop {
            if conn.wants_write() {
                // Writing into a TcpStreamBuf only appends to `out`: it cannot fail.
                conn.write_tls(ext)
                    .map_err(|e| TlsError::io("writing TLS records", e))?;
                if self.close_sent && !conn.wants_write() {
                    ext.out_eof = true;
                }
                ext.flush()
                    .map_err(|e| TlsError::io("flushing the TCP stream", e))?;
                continue;
            }
            if !int.out.is_empty() {
                let n = conn
                    .writer()
                    .write(&int.out)
                    .map_err(|e| TlsError::io("encrypting", e))?;
                int.out.drain(..n);
                if n > 0 {
                    continue;
                }
            }
            if int.out_eof && int.out.is_empty() && !self.close_sent {
                conn.send_close_notify();
                self.close_sent = true;
                continue;
            }
            // Records to read, or the TCP end of stream to report (once).
            let tcp_eof_due = ext.inp_eof && ext.rd == ext.wr && !self.tcp_eof_fed;
            if conn.wants_read() && (ext.rd != ext.wr || tcp_eof_due) {
                match conn.read_tls(ext) {
                    Ok(0) => self.tcp_eof_fed = true,
                    Ok(_) => (),
                    Err(e) => return Err(TlsError::io("reading TLS records", e)),
                }
                let result = conn.process_new_packets();
                // Send any alert rustls produced (for example for a bad certificate) first.
                if result.is_err() {
                    while conn.wants_write() && conn.write_tls(ext).is_ok_and(|n| n > 0) {}
                    let _ = ext.flush(); // best effort: the connection has failed anyway
                }
                result?;
                read_plaintext(conn, &mut self.inp_eof, int)?;
                continue;
            }
            break;
        }
        Ok(self.inp_eof)
    }
}

/// Moves all decrypted input onto `int`, noting the end of stream in `eof` and `int`.
fn read_plaintext(
    conn: &mut Connection,
    eof: &mut Option<TlsEof>,
    int: &mut TcpStreamBuf,
) -> Result<(), TlsError> {
    loop {
        int.inp_makespace(16384);
        match conn.reader().read(&mut int.inp[int.wr..]) {
            Ok(0) => {
                eof.get_or_insert(TlsEof::Close);
                int.inp_eof = true;
                return Ok(());
            }
            Ok(n) => int.wr += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => {
                eof.get_or_insert(TlsEof::Abort);
                int.inp_eof = true;
                return Ok(());
            }
            Err(e) => return Err(TlsError::io("decrypting", e)),
        }
    }
}

/// Server-side TLS between a network-side [`TcpStreamBuf`] (`ext`, carrying TLS records) and
/// an application-side one (`int`, plain text). Without a configuration it passes data
/// through unchanged, so one code path serves both TLS and plain ports.
pub struct TlsServerEngine(Engine);

impl TlsServerEngine {
    /// An engine for one connection with `config`, or pass-through for `None`.
    ///
    /// # Errors
    ///
    /// rustls's, if it cannot start a connection with `config`.
    pub fn new(config: Option<Arc<ServerConfig>>) -> Result<Self, rustls::Error> {
        let conn = config.map(ServerConnection::new).transpose()?;
        Ok(TlsServerEngine(Engine::new(conn.map(Connection::Server))))
    }

    /// Moves data as far as it goes both ways: TLS records from `ext`'s input are decrypted
    /// onto `int`'s input, `int`'s output is encrypted onto `ext`'s output, and `ext` is
    /// flushed whenever it gets output (so keep `ext.pause_writes(true)` until the first
    /// writable event where the platform needs it). Once `int.out_eof` is set and `int.out`
    /// has drained, a close-notify is sent and then `ext.out_eof` set. Call it after every
    /// event on either side.
    ///
    /// Returns how the peer ended its stream once it has (`int.inp_eof` is then set too),
    /// else `None`. Without TLS: `int.exchange(ext)`, a flush of `ext`, and `Close` once
    /// `int.inp_eof` is set.
    ///
    /// # Errors
    ///
    /// A protocol error (the alert rustls produced for the peer is sent first), a rejected
    /// certificate, or a failed flush of `ext`. The connection is then unusable.
    pub fn process(
        &mut self,
        ext: &mut TcpStreamBuf,
        int: &mut TcpStreamBuf,
    ) -> Result<Option<TlsEof>, TlsError> {
        self.0.process(ext, int)
    }
}

/// Client-side TLS, used exactly like [`TlsServerEngine`]. The server's certificate is
/// checked against `config`'s trusted roots and against `server_name`.
pub struct TlsClientEngine(Engine);

impl TlsClientEngine {
    /// An engine for one connection to `server_name` with `config`, or pass-through for
    /// `None` (then `server_name` is not used).
    ///
    /// # Errors
    ///
    /// rustls's, if it cannot start a connection with `config`.
    pub fn new(
        config: Option<Arc<ClientConfig>>,
        server_name: ServerName<'static>,
    ) -> Result<Self, rustls::Error> {
        let conn = config
            .map(|c| ClientConnection::new(c, server_name))
            .transpose()?;
        Ok(TlsClientEngine(Engine::new(conn.map(Connection::Client))))
    }

    /// As [`TlsServerEngine::process`]. A server certificate that does not match the name or
    /// does not chain to a trusted root gives an error whose
    /// [`rustls_error`](TlsError::rustls_error) is `rustls::Error::InvalidCertificate`.
    ///
    /// # Errors
    ///
    /// As [`TlsServerEngine::process`].
    pub fn process(
        &mut self,
        ext: &mut TcpStreamBuf,
        int: &mut TcpStreamBuf,
    ) -> Result<Option<TlsEof>, TlsError> {
        self.0.process(ext, int)
    }
}
