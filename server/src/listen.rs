//! Accepting connections, so that nobody can wear the server out before signing in (it may be
//! reachable from an office LAN):
//! - a client has [`Limits::header_read`] to send a request's headers (also the most an idle
//!   keep-alive connection is kept); one that trickles them is cut off;
//! - at most [`Limits::per_client`] connections from one address and [`Limits::connections`]
//!   in all are open at once; past them a new connection is closed at once;
//! - with `--tls-cert`/`--tls-key` every connection is TLS (rustls), the handshake bounded like
//!   the headers.
//!
//! On shutdown no connection is accepted; those open finish their request (hyper's graceful
//! shutdown), for at most [`Limits::drain`].

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tower::Service;

use crate::ServeError;

/// What a connection may take.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_read: Duration,
    pub connections: usize,
    pub per_client: usize,
    /// How long open connections are given to finish once the server stops.
    pub drain: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(10),
            connections: 512,
            per_client: 64,
            drain: Duration::from_secs(30),
        }
    }
}

/// The TLS configuration from a PEM certificate chain and its private key.
pub fn tls_acceptor(cert: &Path, key: &Path) -> Result<tokio_rustls::TlsAcceptor, ServeError> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let failed = |path: &Path, detail: String| ServeError::Tls {
        path: path.display().to_string(),
        detail,
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .map_err(|e| failed(cert, e.to_string()))?
        .collect::<Result<_, _>>()
        .map_err(|e| failed(cert, e.to_string()))?;
    if certs.is_empty() {
        return Err(failed(cert, "没有证书 (no certificate in the file)".into()));
    }
    let key = PrivateKeyDer::from_pem_file(key).map_err(|e| failed(key, e.to_string()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| failed(cert, e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| failed(cert, e.to_string()))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Open connections per client address.
#[derive(Default)]
struct Open {
    total: usize,
    by_client: HashMap<IpAddr, usize>,
}

/// A place among the open connections, given back when dropped.
struct Slot {
    open: Arc<Mutex<Open>>,
    client: IpAddr,
}

impl Slot {
    fn take(open: &Arc<Mutex<Open>>, client: IpAddr, limits: &Limits) -> Option<Slot> {
        let mut o = open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = o.by_client.get(&client).copied().unwrap_or(0);
        if o.total >= limits.connections || mine >= limits.per_client {
            return None;
        }
        o.total += 1;
        *o.by_client.entry(client).or_default() += 1;
        Some(Slot {
            open: open.clone(),
            client,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut o = self.open.lock().unwrap_or_else(|e| e.into_inner());
        o.total -= 1;
        if let Some(n) = o.by_client.get_mut(&self.client) {
            *n -= 1;
            if *n == 0 {
                o.by_client.remove(&self.client);
            }
        }
    }
}

/// Serves `router` on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    limits: Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let open = Arc::new(Mutex::new(Open::default()));
    // Connections hold a receiver: the server stops when they have all dropped theirs.
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                // Out of file descriptors and the like: wait a little, go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Some(slot) = Slot::take(&open, peer.ip(), &limits) else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let tls = tls.clone();
        let stop = stop_rx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tls {
                Some(acceptor) => {
                    let Ok(Ok(stream)) =
                        tokio::time::timeout(limits.header_read, acceptor.accept(stream)).await
                    else {
                        return;
                    };
                    connection(stream, router, limits, stop).await;
                }
                None => connection(stream, router, limits, stop).await,
            }
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    // Every connection holds a receiver until it ends.
    let _ = tokio::time::timeout(limits.drain, stop_tx.closed()).await;
    Ok(())
}

/// One HTTP/1.1 connection, with the header-read limit and graceful shutdown.
async fn connection<S>(
    stream: S,
    router: Router,
    limits: Limits,
    mut stop: tokio::sync::watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
        router.clone().call(request)
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let conn = builder.serve_connection(TokioIo::new(stream), service);
    let mut conn = std::pin::pin!(conn);
    loop {
        tokio::select! {
            _ = conn.as_mut() => break,
            changed = stop.changed() => {
                conn.as_mut().graceful_shutdown();
                if changed.is_err() {
                    // The sender is gone: just let the connection finish.
                    let _ = conn.as_mut().await;
                    break;
                }
            }
        }
    }
}
