//! Entry `mio-plain`: a hand-written mio loop without actors, the floor. The same per-connection
//! echo code as the stakker-core actor ([`Echo`]), called straight from the event loop.

use super::common::{Echo, Ready, ServerHandle, Stopper};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// The token of the stop `mio::Waker`.
const WAKE: Token = Token(0);
/// The token of the listener; connection `i` is `Token(i + 2)`.
const LISTEN: Token = Token(1);

/// Starts the server thread.
pub(crate) fn start() -> ServerHandle {
    ServerHandle::spawn("mio-plain", |listener, ready| {
        let mut poll = Poll::new().expect("mio Poll");
        let waker = mio::Waker::new(poll.registry(), WAKE).expect("mio Waker");
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let stopper: Stopper = Box::new(move || {
            flag.store(true, Ordering::SeqCst);
            waker.wake().expect("mio Waker::wake");
        });
        let mut sock = TcpListener::from_std(listener);
        poll.registry()
            .register(&mut sock, LISTEN, Interest::READABLE)
            .expect("register listener");
        ready.send(stopper).expect("bench thread gone");

        let mut conns: Vec<Option<(TcpStream, Echo)>> = Vec::new();
        let mut events = Events::with_capacity(256);
        while !stop.load(Ordering::SeqCst) {
            match poll.poll(&mut events, None) {
                Ok(()) => (),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => panic!("mio poll failed: {e}"),
            }
            for ev in events.iter() {
                match ev.token() {
                    WAKE => (),
                    LISTEN => loop {
                        match sock.accept() {
                            Ok((mut stream, _)) => {
                                stream.set_nodelay(true).expect("TCP_NODELAY");
                                let slot = conns.iter().position(Option::is_none);
                                let slot = slot.unwrap_or_else(|| {
                                    conns.push(None);
                                    conns.len() - 1
                                });
                                poll.registry()
                                    .register(
                                        &mut stream,
                                        Token(slot + 2),
                                        Interest::READABLE | Interest::WRITABLE,
                                    )
                                    .expect("register connection");
                                conns[slot] = Some((stream, Echo::new()));
                            }
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                            Err(e) => panic!("accept failed: {e}"),
                        }
                    },
                    Token(t) => {
                        let slot = &mut conns[t - 2];
                        if let Some((stream, echo)) = slot {
                            if !echo.ready(stream, Ready::of(ev)) {
                                let _ = poll.registry().deregister(stream);
                                *slot = None;
                            }
                        }
                    }
                }
            }
        }
    })
}
