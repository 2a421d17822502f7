//! Serving the application on a socket: HTTP/1.1 with a deadline on request
//! headers, a bound on open connections and a graceful stop.
//!
//! `axum::serve` sets no timer, so a client that trickles its request headers
//! would hold a connection for ever; this loop gives hyper a timer and a
//! header deadline ([`Limits::request_timeout`]). Bodies have their own
//! deadline in the handler that reads them (`408`).
//!
//! Request heads are bounded too: hyper buffers at most about
//! [`REQUEST_HEAD_BYTES_MAX`] bytes of request line and headers (a head whose
//! end has not arrived once that much is buffered is refused; one read may
//! overshoot the bound by the buffer's spare capacity, so heads up to about
//! twice that may pass), and at most 100 headers (hyper's default); past
//! either, hyper answers `431 Request Header Fields Too Large` and closes the
//! connection, before any handler runs, so that answer has no JSON body. The
//! signed-read header has its own exact limit (2048 bytes, module `auth`),
//! answered with a JSON error.

use crate::Limits;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};

/// How long a graceful stop waits for open connections to finish.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Largest request head (request line and headers), in bytes: hyper's
/// connection buffer (its default is about 400 KiB; the least it takes is
/// 8 KiB). Bodies are streamed through it, not held in it.
const REQUEST_HEAD_BYTES_MAX: usize = 64 * 1024;

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, lets requests in flight finish (up to 10 s) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let connections_max = limits.connections_max.max(1);
    let connections = Arc::new(Semaphore::new(connections_max));
    let (stop, stopped) = watch::channel(false);
    let header_timeout = limits.request_timeout;
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => match permit {
                Ok(p) => p,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, keep serving.
                    eprintln!("custodian-server: accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(app.clone());
        let mut stopped = stopped.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .max_buf_size(REQUEST_HEAD_BYTES_MAX);
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = stopped.changed() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(true);
    let _ = tokio::time::timeout(
        DRAIN_TIMEOUT,
        connections.acquire_many(connections_max as u32),
    )
    .await;
    Ok(())
}

/// Completes on Ctrl-C, or on SIGTERM where there is one.
///
/// The handlers are installed when this is called, not when the future is
/// first polled: a caller that announces it is listening after calling this
/// cannot be killed by a SIGTERM that arrives in between (the default action
/// of an unhandled SIGTERM ends the process at once, with no graceful stop).
/// Must be called within a tokio runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(interrupt) => {}
                () = wait(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}
