//! A tiny HTTP/1.1 server on loopback with exactly the misbehaviour a test needs: a large
//! body with or without `Content-Length`, or no answer at all.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use host_harness::http::Route;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the server answers to every request.
#[derive(Debug, Clone, Copy)]
pub enum Reply {
    /// `200 OK` with a body of this many bytes and a `Content-Length`.
    Sized(usize),
    /// `200 OK` with a chunked body of this many bytes: no length announced up front.
    Chunked(usize),
    /// Reads the request and never answers.
    Silent,
}

pub struct Server {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Server {
    pub async fn start(reply: Reply) -> Server {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("a bound address");
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(async move {
                    // The client may hang up mid-body (that is the point of some tests).
                    let _ = serve(stream, reply, &counter).await;
                });
            }
        });
        Server {
            addr,
            requests,
            task,
        }
    }

    /// Sends the declared host `host` (any scheme and port) here, over plain HTTP.
    pub fn route(&self, host: &str) -> Route {
        format!("{host}=http://{}", self.addr)
            .parse()
            .expect("a valid route")
    }

    /// Requests whose head the server has read so far.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, reply: Reply, requests: &AtomicUsize) -> std::io::Result<()> {
    // One request per connection; a GET has no body, so its head is all there is.
    let mut head = Vec::new();
    let mut buffer = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).await?;
        if n == 0 || head.len() > 64 * 1024 {
            return Ok(());
        }
        head.extend_from_slice(&buffer[..n]);
    }
    requests.fetch_add(1, Ordering::SeqCst);

    let chunk = vec![b'z'; 64 * 1024];
    match reply {
        Reply::Sized(len) => {
            let head =
                format!("HTTP/1.1 200 OK\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n");
            stream.write_all(head.as_bytes()).await?;
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk.len());
                stream.write_all(&chunk[..n]).await?;
                left -= n;
            }
        }
        Reply::Chunked(len) => {
            let head = "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n";
            stream.write_all(head.as_bytes()).await?;
            let mut left = len;
            while left > 0 {
                let n = left.min(chunk.len());
                stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                stream.write_all(&chunk[..n]).await?;
                stream.write_all(b"\r\n").await?;
                left -= n;
            }
            stream.write_all(b"0\r\n\r\n").await?;
        }
        Reply::Silent => {
            // Hold the connection open until the client gives up.
            while stream.read(&mut buffer).await? > 0 {}
            return Ok(());
        }
    }
    stream.shutdown().await
}
