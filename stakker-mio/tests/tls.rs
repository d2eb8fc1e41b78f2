//! TLS engines over loopback TCP, with certificates made here by rcgen.

#![cfg(feature = "rustls")]

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use stakker_core::time::{Duration, Instant};
use stakker_core::{Fwd, Stakker};
use stakker_mio::mio::net::{TcpListener, TcpStream};
use stakker_mio::mio::{Events, Interest, Poll};
use stakker_mio::rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName,
};
use stakker_mio::rustls::{self, ClientConfig, RootCertStore, ServerConfig};
use stakker_mio::{
    MioPoll, ReadStatus, TcpStreamBuf, TlsClientEngine, TlsEof, TlsError, TlsServerEngine,
};
use std::sync::Arc;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A CA, and a certificate for `localhost` signed by it.
struct Pki {
    ca: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // A name of its own, so a certificate from another test CA is plainly "unknown issuer".
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    ca_params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("stakker-mio test CA {n}"),
    );
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .signed_by(&key, &ca, &ca_key)
        .unwrap();
    Pki {
        ca: ca.der().clone(),
        leaf: leaf.der().clone(),
        key: PrivatePkcs8KeyDer::from(key.serialize_der()).into(),
    }
}

fn server_config(p: &Pki) -> Arc<ServerConfig> {
    let c = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![p.leaf.clone()], p.key.clone_key())
        .unwrap();
    Arc::new(c)
}

fn client_config(trusted_ca: &CertificateDer<'static>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(trusted_ca.clone()).unwrap();
    let c = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(c)
}

type Process =
    Box<dyn FnMut(&mut TcpStreamBuf, &mut TcpStreamBuf) -> Result<Option<TlsEof>, TlsError>>;

/// One end: the network-side buffer, the plain-text side and its engine.
struct End {
    ext: TcpStreamBuf,
    int: TcpStreamBuf,
    process: Process,
    eof: Option<TlsEof>,
    error: Option<TlsError>,
}

impl End {
    fn new(miopoll: &MioPoll, stream: TcpStream, process: Process) -> End {
        let src = miopoll
            .add(
                stream,
                Interest::READABLE | Interest::WRITABLE,
                10,
                Fwd::new(|_| ()),
            )
            .unwrap();
        let mut ext = TcpStreamBuf::new();
        ext.init(src);
        End {
            ext,
            int: TcpStreamBuf::new(),
            process,
            eof: None,
            error: None,
        }
    }

    /// Reads what the socket has, then lets the engine move data both ways.
    fn pump(&mut self) {
        if self.error.is_some() {
            return;
        }
        while let ReadStatus::NewData = self.ext.read(16384) {}
        match (self.process)(&mut self.ext, &mut self.int) {
            Ok(eof) => self.eof = eof,
            Err(e) => self.error = Some(e),
        }
    }

    fn take_input(&mut self) -> Vec<u8> {
        let data = self.int.inp[self.int.rd..self.int.wr].to_vec();
        self.int.rd = self.int.wr;
        data
    }
}

fn pair(
    client: impl FnOnce() -> Process,
    server: impl FnOnce() -> Process,
) -> (Stakker, MioPoll, End, End) {
    let mut s = Stakker::new(Instant::now());
    let miopoll =
        MioPoll::new(&mut s, Poll::new().unwrap(), Events::with_capacity(64), 10).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let c = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let sv = loop {
        match listener.accept() {
            Ok((sv, _)) => break sv,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::yield_now(),
            Err(e) => panic!("{e}"),
        }
    };
    let c = End::new(&miopoll, c, client());
    let sv = End::new(&miopoll, sv, server());
    (s, miopoll, c, sv)
}

/// Runs both ends until `done` or 5 seconds pass.
fn run(
    miopoll: &MioPoll,
    c: &mut End,
    sv: &mut End,
    mut done: impl FnMut(&mut End, &mut End) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while !done(c, sv) {
        assert!(
            std::time::Instant::now() < deadline,
            "TLS exchange stalled: {:?} {:?} {:?} {:?}",
            c.error,
            c.eof,
            sv.error,
            sv.eof
        );
        miopoll.poll(Duration::from_millis(20)).unwrap();
        c.pump();
        sv.pump();
    }
}

fn tls_client(p: &Pki, ca: Option<&CertificateDer<'static>>, name: &'static str) -> Process {
    let config = client_config(ca.unwrap_or(&p.ca));
    let mut e = TlsClientEngine::new(Some(config), ServerName::try_from(name).unwrap()).unwrap();
    Box::new(move |ext, int| e.process(ext, int))
}

fn tls_server(p: &Pki) -> Process {
    let mut e = TlsServerEngine::new(Some(server_config(p))).unwrap();
    Box::new(move |ext, int| e.process(ext, int))
}

#[test]
fn round_trip_then_clean_close_both_ways() {
    let p = pki();
    let (_s, miopoll, mut c, mut sv) =
        pair(|| tls_client(&p, None, "localhost"), || tls_server(&p));
    let sent: Vec<u8> = (0..200_000).map(|i| (i % 251) as u8).collect();
    c.int.out.extend_from_slice(&sent);
    c.int.out_eof = true;
    let mut at_server = Vec::new();
    let mut at_client = Vec::new();
    run(&miopoll, &mut c, &mut sv, |c, sv| {
        // The server echoes, and closes once the client has.
        let data = sv.take_input();
        at_server.extend_from_slice(&data);
        sv.int.out.extend_from_slice(&data);
        sv.int.out_eof |= sv.eof.is_some();
        at_client.extend(c.take_input());
        assert!(
            c.error.is_none() && sv.error.is_none(),
            "{:?} {:?}",
            c.error,
            sv.error
        );
        c.eof.is_some()
    });
    assert!(
        at_server == sent,
        "server got {} of {} bytes",
        at_server.len(),
        sent.len()
    );
    assert!(
        at_client == sent,
        "client got {} of {} bytes back",
        at_client.len(),
        sent.len()
    );
    assert_eq!((c.eof, sv.eof), (Some(TlsEof::Close), Some(TlsEof::Close)));
    assert!(c.int.inp_eof && sv.int.inp_eof);
}

#[test]
fn tcp_end_without_close_notify_is_abort() {
    let p = pki();
    let (_s, miopoll, mut c, mut sv) =
        pair(|| tls_client(&p, None, "localhost"), || tls_server(&p));
    c.int.out.extend_from_slice(b"partial");
    run(&miopoll, &mut c, &mut sv, |_, sv| sv.int.wr == 7);
    // Close the TCP stream under the TLS layer.
    c.ext.out_eof = true;
    c.ext.flush().unwrap();
    run(&miopoll, &mut c, &mut sv, |_, sv| {
        sv.eof.is_some() || sv.error.is_some()
    });
    assert_eq!(sv.eof, Some(TlsEof::Abort), "{:?}", sv.error);
    assert_eq!(sv.take_input(), b"partial");
}

fn rejected(client: impl FnOnce(&Pki) -> Process) -> (TlsError, Option<TlsError>) {
    let p = pki();
    let (_s, miopoll, mut c, mut sv) = pair(|| client(&p), || tls_server(&p));
    c.int.out.extend_from_slice(b"secret");
    run(&miopoll, &mut c, &mut sv, |c, sv| {
        c.error.is_some() && (sv.error.is_some() || sv.eof.is_some())
    });
    assert!(
        sv.int.wr == 0,
        "the server got data over a rejected connection"
    );
    (c.error.unwrap(), sv.error)
}

#[test]
fn wrong_server_name_is_a_clear_error() {
    let (e, server_side) = rejected(|p| tls_client(p, None, "not-localhost.example"));
    assert!(
        matches!(
            e.rustls_error(),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                    | rustls::CertificateError::NotValidForNameContext { .. }
            ))
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("certificate was rejected"), "{e}");
    // The client told the server why (an alert), so the server fails too.
    assert!(server_side.is_some_and(|e| e.to_string().contains("alert")));
}

#[test]
fn untrusted_certificate_is_a_clear_error() {
    let other_ca = pki().ca;
    let (e, _) = rejected(move |p| tls_client(p, Some(&other_ca), "localhost"));
    assert!(
        matches!(
            e.rustls_error(),
            Some(rustls::Error::InvalidCertificate(
                rustls::CertificateError::UnknownIssuer
            ))
        ),
        "{e:?}"
    );
    assert!(e.to_string().contains("UnknownIssuer"), "{e}");
}

#[test]
fn without_config_data_passes_through() {
    let plain = || -> Process {
        let mut e = TlsServerEngine::new(None).unwrap();
        Box::new(move |ext, int| e.process(ext, int))
    };
    let plain_client = || -> Process {
        let mut e = TlsClientEngine::new(None, ServerName::try_from("unused").unwrap()).unwrap();
        Box::new(move |ext, int| e.process(ext, int))
    };
    let (_s, miopoll, mut c, mut sv) = pair(plain_client, plain);
    c.int.out.extend_from_slice(b"in clear");
    c.int.out_eof = true;
    run(&miopoll, &mut c, &mut sv, |_, sv| sv.eof.is_some());
    assert_eq!(sv.take_input(), b"in clear");
    assert_eq!(sv.eof, Some(TlsEof::Close));
}
