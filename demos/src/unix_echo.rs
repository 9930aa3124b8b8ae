//! The `unix-echo` program (Unix only): see `src/bin/unix-echo.rs`.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: echo
/// The echo loop of lesson 02, for any stream: TCP or Unix.
fn echo(mut stream: impl Read + Write) -> io::Result<u64> {
    let mut buf = [0u8; 64 * 1024];
    let mut total = 0;
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        stream.write_all(&buf[..n])?;
        total += n as u64;
    }
}
// ANCHOR_END: echo

/// Writes `total` bytes on one thread, reads the echo on this one.
fn push(stream: impl Read + Clonable, total: usize) -> io::Result<()> {
    let mut writer = stream.clone_stream()?;
    let sender = thread::spawn(move || -> io::Result<()> {
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..total / chunk.len() {
            writer.write_all(&chunk)?;
        }
        writer.shut_write()
    });
    let mut reader = stream;
    let mut buf = vec![0u8; 64 * 1024];
    while reader.read(&mut buf)? > 0 {}
    sender.join().expect("the sender does not panic")
}

/// What `push` needs from both kinds of stream.
trait Clonable: Sized + Send + Write + 'static {
    fn clone_stream(&self) -> io::Result<Self>;
    fn shut_write(&self) -> io::Result<()>;
}
impl Clonable for TcpStream {
    fn clone_stream(&self) -> io::Result<Self> {
        self.try_clone()
    }
    fn shut_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}
impl Clonable for UnixStream {
    fn clone_stream(&self) -> io::Result<Self> {
        self.try_clone()
    }
    fn shut_write(&self) -> io::Result<()> {
        self.shutdown(Shutdown::Write)
    }
}

pub fn main() -> io::Result<()> {
    let mib: usize =
        std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(256);
    let dir =
        std::env::temp_dir().join(format!("unix-echo-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("echo.sock");

    // ANCHOR: hello
    let listener = UnixListener::bind(&path)?;
    println!("listening on {:?}", listener.local_addr()?);
    let server = thread::spawn(move || -> io::Result<u64> {
        let (stream, peer) = listener.accept()?;
        println!("server: a client connected from {peer:?}");
        echo(stream)
    });
    let mut client = UnixStream::connect(&path)?;
    client.write_all("Olá, Unix!".as_bytes())?;
    client.shutdown(Shutdown::Write)?;
    let mut reply = String::new();
    client.read_to_string(&mut reply)?;
    println!("client: {reply:?} came back");
    // ANCHOR_END: hello
    server.join().expect("the server does not panic")?;

    // ANCHOR: stale
    // The socket file outlives the listener: binding again fails
    // until someone removes it.
    match UnixListener::bind(&path) {
        Ok(_) => println!("bind again: ok"),
        Err(e) => println!("bind again: {e}"),
    }
    std::fs::remove_file(&path)?;
    // ANCHOR_END: stale

    let total = mib * 1024 * 1024;
    println!("{mib} MiB echoed, 64 KiB buffers:");
    let unix = time(|| {
        let listener = UnixListener::bind(&path)?;
        let server = thread::spawn(move || echo(listener.accept()?.0));
        push(UnixStream::connect(&path)?, total)?;
        server.join().expect("the server does not panic").map(drop)
    })?;
    let tcp = time(|| {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let server = thread::spawn(move || echo(listener.accept()?.0));
        push(TcpStream::connect(addr)?, total)?;
        server.join().expect("the server does not panic").map(drop)
    })?;
    let rate = |d: Duration| mib as f64 / d.as_secs_f64();
    println!("  Unix socket: {unix:>8.2?}  {:5.0} MiB/s", rate(unix));
    println!("  TCP loopback: {tcp:>7.2?}  {:5.0} MiB/s", rate(tcp));
    std::fs::remove_dir_all(Path::new(&dir))
}

fn time(run: impl FnOnce() -> io::Result<()>) -> io::Result<Duration> {
    let start = Instant::now();
    run()?;
    Ok(start.elapsed())
}
