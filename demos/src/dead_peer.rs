//! The `dead-peer` program (Linux only): see `src/bin/dead-peer.rs`.

use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::exit;
use std::thread;
use std::time::Duration;

use crate::{say, secs_arg};
use socket2::{SockRef, TcpKeepalive};

pub fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(addr)) = (args.first(), args.get(1)) else {
        eprintln!("usage: dead-peer serve|wait|send ADDR [options]");
        exit(2);
    };
    if let Some(limit) = secs_arg(&args, "--give-up") {
        give_up_after(mode, limit);
    }
    let result = match mode.as_str() {
        "serve" => serve(addr, secs_arg(&args, "--heartbeat")),
        "wait" => wait(
            addr,
            secs_arg(&args, "--read-timeout"),
            secs_arg(&args, "--keepalive"),
        ),
        "send" => send(addr, secs_arg(&args, "--user-timeout")),
        "flood" => flood(
            addr,
            secs_arg(&args, "--after").unwrap_or(0),
            secs_arg(&args, "--write-timeout"),
        ),
        _ => {
            eprintln!("unknown mode {mode:?}: serve, wait, send or flood");
            exit(2);
        }
    };
    if let Err(e) = result {
        say!("error: {e}");
        exit(1);
    }
}

/// Keeps every run bounded: a demonstration of "waits forever" must not.
fn give_up_after(mode: &str, secs: u64) {
    let mode = mode.to_string();
    thread::spawn(move || {
        thread::sleep(Duration::from_secs(secs));
        say!("{mode}: no news after {secs} s; the demo stops here");
        exit(3);
    });
}

/// Accepts one connection; reads it to the end, or sends a heartbeat.
fn serve(addr: &str, heartbeat: Option<u64>) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    let (mut stream, peer) = listener.accept()?;
    say!("serve: {peer} connected");
    if let Some(every) = heartbeat {
        return send_heartbeats(&mut stream, every);
    }
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break say!("serve: end of stream"),
            Ok(n) => say!("serve: read {n} bytes"),
            Err(e) => break say!("serve: read failed: {e}"),
        }
    }
    Ok(())
}

// ANCHOR: heartbeat
/// The sending half of an application heartbeat: a line every `every`
/// seconds, whether or not there is anything to say.
fn send_heartbeats(stream: &mut TcpStream, every: u64) -> std::io::Result<()> {
    loop {
        stream.write_all(b"ping\n")?;
        thread::sleep(Duration::from_secs(every));
    }
}
// ANCHOR_END: heartbeat

/// Connects and reads, printing what each read returns, until one fails.
fn wait(
    addr: &str,
    read_timeout: Option<u64>,
    keepalive: Option<u64>,
) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    say!("wait: connected to {addr}, reading");
    if let Some(idle) = keepalive {
        set_keepalive(&stream, idle)?;
    }
    // ANCHOR: read_timeout
    let secs = read_timeout.unwrap_or_default();
    stream.set_read_timeout(read_timeout.map(Duration::from_secs))?;
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break say!("wait: end of stream"),
            Ok(n) => say!("wait: read {n} bytes"),
            // A read timeout is WouldBlock on Unix, TimedOut on Windows.
            Err(e) if read_timeout.is_some() && is_timeout(&e) => {
                break say!("wait: nothing for {secs} s: {e}");
            }
            Err(e) => break say!("wait: read failed: {e}"),
        }
    }
    // ANCHOR_END: read_timeout
    Ok(())
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

// ANCHOR: keepalive
/// After `idle` seconds of silence the kernel sends a probe, then one
/// a second; three unanswered probes and the connection is dead.
fn set_keepalive(stream: &TcpStream, idle: u64) -> std::io::Result<()> {
    let knobs = TcpKeepalive::new()
        .with_time(Duration::from_secs(idle)) // TCP_KEEPIDLE
        .with_interval(Duration::from_secs(1)) // TCP_KEEPINTVL
        .with_retries(3); // TCP_KEEPCNT
    SockRef::from(stream).set_tcp_keepalive(&knobs) // and SO_KEEPALIVE
}
// ANCHOR_END: keepalive

/// Connects and writes a line a second until a write fails.
fn send(addr: &str, user_timeout: Option<u64>) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    say!("send: connected to {addr}, writing a line a second");
    // ANCHOR: user_timeout
    // Linux only: give up when sent data stays unacknowledged this long,
    // instead of after about 15 retransmissions (15 minutes).
    let limit = user_timeout.map(Duration::from_secs);
    SockRef::from(&stream).set_tcp_user_timeout(limit)?;
    // ANCHOR_END: user_timeout
    for line in 1.. {
        let sent = stream.write_all(format!("line {line}\n").as_bytes());
        if let Err(e) = sent {
            say!("send: write {line} failed: {e}");
            break;
        }
        say!("send: write {line} ok");
        thread::sleep(Duration::from_secs(1));
    }
    Ok(())
}

/// Connects, waits `after` seconds, then writes as fast as the kernel
/// takes the bytes, until a write fails or times out.
fn flood(
    addr: &str,
    after: u64,
    write_timeout: Option<u64>,
) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(addr)?;
    say!("flood: connected to {addr}");
    thread::sleep(Duration::from_secs(after));
    say!("flood: writing 64 KiB at a time");
    // ANCHOR: write_timeout
    stream.set_write_timeout(write_timeout.map(Duration::from_secs))?;
    let chunk = [b'x'; 64 * 1024];
    let mut taken = 0;
    loop {
        match stream.write(&chunk) {
            Ok(n) if n < chunk.len() => {
                taken += n;
                say!("flood: a write took only {n} bytes");
            }
            Ok(n) => taken += n,
            Err(e) => {
                let kib = taken / 1024;
                break say!("flood: {kib} KiB taken; {e}");
            }
        }
    }
    // ANCHOR_END: write_timeout
    Ok(())
}
