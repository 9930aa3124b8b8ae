//! `buffer-sizes`: how the size of an echo server's read buffer changes the
//! number of system calls and the speed, on loopback. Each run starts an
//! echo server on a thread (one client, one buffer size), pushes the same
//! bytes through it and counts the server's reads.
//!
//! ```text
//! buffer-sizes [MIB]                 in-process echo servers, 1 KiB to 64 KiB
//! buffer-sizes [MIB] --server ADDR   drive any echo server, e.g. a Python one
//! ```

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: echo
/// Lesson 02's echo loop with a buffer of `size` bytes; returns how many
/// times `read` was called (the last one, returning 0, included).
fn echo(mut stream: TcpStream, size: usize) -> io::Result<u64> {
    let mut buf = vec![0u8; size];
    let mut reads = 0;
    loop {
        reads += 1;
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(reads);
        }
        stream.write_all(&buf[..n])?;
    }
}
// ANCHOR_END: echo

/// Sends `total` bytes from one thread while this one reads the echo, so
/// neither side ever waits for the other's buffers to drain.
fn drive(addr: std::net::SocketAddr, total: usize) -> io::Result<Duration> {
    let stream = TcpStream::connect(addr)?;
    let mut writer = stream.try_clone()?;
    let start = Instant::now();
    let sender = thread::spawn(move || -> io::Result<()> {
        let chunk = vec![b'x'; 64 * 1024];
        let mut left = total;
        while left > 0 {
            let n = left.min(chunk.len());
            writer.write_all(&chunk[..n])?;
            left -= n;
        }
        writer.shutdown(Shutdown::Write)
    });
    let mut reader = stream;
    let mut buf = vec![0u8; 64 * 1024];
    let mut got = 0;
    loop {
        let n = reader.read(&mut buf)?;
        if n == 0 {
            break;
        }
        got += n;
    }
    sender.join().expect("the sender does not panic")?;
    let elapsed = start.elapsed();
    if got != total {
        let why = format!("{got} bytes came back, {total} were sent");
        return Err(io::Error::other(why));
    }
    Ok(elapsed)
}

fn speed(total: usize, elapsed: Duration) -> String {
    let mib = total as f64 / (1024.0 * 1024.0);
    format!("{:6.0} MiB/s", mib / elapsed.as_secs_f64())
}

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mib: usize = match args.first().map(|a| a.parse()) {
        Some(Ok(mib)) => mib,
        _ => 256,
    };
    let total = mib * 1024 * 1024;
    let server = args.iter().position(|a| a == "--server");
    if let Some(addr) = server.and_then(|at| args.get(at + 1)) {
        let addr = addr.parse().map_err(io::Error::other)?;
        let elapsed = drive(addr, total)?;
        println!(
            "{mib} MiB through {addr} in {elapsed:.2?}, {}",
            speed(total, elapsed)
        );
        return Ok(());
    }
    println!("{mib} MiB echoed on loopback, one client, server buffer of:");
    for size in [1024, 8 * 1024, 64 * 1024] {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = thread::spawn(move || -> io::Result<u64> {
            let (stream, _) = listener.accept()?;
            echo(stream, size)
        });
        let elapsed = drive(addr, total)?;
        let reads = server.join().expect("the server does not panic")?;
        println!(
            "{:>3} KiB: {reads:>7} reads, {:>6} bytes a read, {elapsed:>8.2?}, {}",
            size / 1024,
            total as u64 / reads,
            speed(total, elapsed)
        );
    }
    Ok(())
}
