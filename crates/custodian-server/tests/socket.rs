//! The server on a real loopback socket, spoken to in raw HTTP/1.1 over a
//! `TcpStream` (no HTTP client library): the checkpoint and the OpenAPI
//! document are served, a client that trickles its body gets `408` with
//! nothing applied, and the server stops when told to.

mod common;

use common::*;
use custodian_server::Limits;
use serde_json::Value;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// One HTTP/1.1 response: status, headers (lowercase names), body.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

/// Reads one response with a Content-Length body (what this server sends).
fn read_response(stream: &mut TcpStream) -> Response {
    let mut raw = Vec::new();
    let mut byte = [0u8; 1];
    while !raw.ends_with(b"\r\n\r\n") {
        let n = stream.read(&mut byte).expect("read headers");
        assert_eq!(
            n,
            1,
            "connection closed inside the headers: {:?}",
            String::from_utf8_lossy(&raw)
        );
        raw.push(byte[0]);
    }
    let head = String::from_utf8(raw).expect("ASCII headers");
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let mut parts = status_line.split(' ');
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts.next().and_then(|s| s.parse().ok()).expect("status");
    let headers: Vec<(String, String)> = lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (n, v) = l.split_once(':').expect("header line");
            (n.trim().to_ascii_lowercase(), v.trim().to_string())
        })
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .expect("content-length");
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).expect("read body");
    Response {
        status,
        headers,
        body,
    }
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    stream
}

fn get_raw(stream: &mut TcpStream, path: &str) -> Response {
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n").expect("write");
    read_response(stream)
}

#[test]
fn serves_the_checkpoint_and_the_openapi_document_over_a_socket() {
    let world = World::create("socket", 1, 2);
    let server = Running::start(world.ledger(Limits::default()));
    let mut stream = connect(server.addr);
    // Two requests on one keep-alive connection.
    let r = get_raw(&mut stream, "/api/v1/checkpoint");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let v = r.json();
    assert_eq!(v["origin"], ORIGIN);
    assert_eq!(v["tree_size"].as_u64(), Some(world.size()));
    let r = get_raw(&mut stream, "/openapi.json");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let doc = r.json();
    assert!(
        doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")),
        "{}",
        doc["openapi"]
    );
    assert!(doc["paths"]["/api/v1/submissions"]["post"].is_object());
    let r = get_raw(&mut stream, "/checkpoint");
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("text/plain; charset=utf-8"))
    );
    assert_eq!(
        String::from_utf8(r.body).expect("utf-8"),
        v["note"].as_str().expect("note")
    );
    let r = get_raw(&mut stream, "/no/such/route");
    assert_eq!(
        (r.status, r.json()["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
}

#[test]
fn an_append_over_a_socket() {
    let mut world = World::create("socket-append", 1, 0);
    let server = Running::start(world.ledger(Limits::default()));
    let before = world.size();
    let body = bytes(&world.sign(&officer(1), vec![site("depot-s")]));
    let mut stream = connect(server.addr);
    write!(
        stream,
        "POST /api/v1/submissions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("write");
    stream.write_all(&body).expect("write body");
    let r = read_response(&mut stream);
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["tree_size"].as_u64(), Some(before + 1));
    assert_eq!(world.size(), before + 1);
}

/// A client that declares a body and trickles part of it is answered `408`
/// once the deadline passes, and nothing is applied.
#[test]
fn a_slow_client_gets_408_and_changes_nothing() {
    let mut world = World::create("slow", 1, 0);
    let limits = Limits {
        request_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let server = Running::start(world.ledger(limits));
    let before = world.size();
    let body = bytes(&world.sign(&officer(1), vec![site("depot-slow")]));
    let mut stream = connect(server.addr);
    write!(
        stream,
        "POST /api/v1/submissions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .expect("write");
    stream.write_all(&body[..10]).expect("write part");
    let started = std::time::Instant::now();
    let r = read_response(&mut stream);
    assert_eq!(r.status, 408, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["error"]["code"], "request_timeout");
    assert!(started.elapsed() >= Duration::from_millis(250));
    // The rest arrives too late to count.
    let _ = stream.write_all(&body[10..]);
    assert_eq!(world.size(), before);

    // An idle keep-alive connection is closed after the deadline too.
    let mut kept = connect(server.addr);
    let r = get_raw(&mut kept, "/api/v1/checkpoint");
    assert_eq!(r.status, 200);
    std::thread::sleep(Duration::from_millis(600));
    let mut rest = Vec::new();
    let idle_started = std::time::Instant::now();
    let _ = kept.read_to_end(&mut rest);
    assert!(rest.is_empty(), "unexpected bytes on an idle connection");
    assert!(
        idle_started.elapsed() < Duration::from_secs(5),
        "an idle keep-alive connection stayed open"
    );

    // A client that never finishes its headers is disconnected.
    let mut idle = connect(server.addr);
    idle.write_all(b"GET /api/v1/checkpoint HTTP/1.1\r\nHost: loc")
        .expect("write");
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);
    assert!(
        !String::from_utf8_lossy(&rest).contains("200 OK"),
        "a request with unfinished headers was answered"
    );
}
