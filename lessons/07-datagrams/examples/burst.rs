//! A burst of datagrams into a receive buffer that nobody reads meanwhile:
//! how many arrive, and how many the kernel drops without a word.
//!
//! `cargo run --release -p datagrams --example burst` (the reference's: add
//! `--manifest-path solutions/Cargo.toml`).
//!
//! The receiver reads only after the whole burst is sent, so the count does
//! not depend on timing or load: only on the buffer's size and on what each
//! datagram costs in it (its bytes plus the kernel's bookkeeping).

use std::io::ErrorKind;
use std::net::UdpSocket;

const BURST: usize = 1000;

fn main() -> std::io::Result<()> {
    if let Ok(size) = std::fs::read_to_string("/proc/sys/net/core/rmem_default")
    {
        println!(
            "default receive buffer (net.core.rmem_default): {} bytes",
            size.trim()
        );
    }
    println!("| bytes of data per datagram | sent | received | lost |");
    println!("|---:|---:|---:|---:|");
    for size in [1, 100, 500, 1200] {
        // ANCHOR: burst
        let receiver = UdpSocket::bind("127.0.0.1:0")?;
        let sender = UdpSocket::bind("127.0.0.1:0")?;
        sender.connect(receiver.local_addr()?)?;
        let datagram = vec![b'x'; size];
        for _ in 0..BURST {
            // Every send "succeeds": nobody tells the sender what was dropped.
            sender.send(&datagram)?;
        }
        receiver.set_nonblocking(true)?;
        let mut buf = [0u8; 2048];
        let mut received = 0;
        loop {
            match receiver.recv(&mut buf) {
                Ok(_) => received += 1,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        // ANCHOR_END: burst
        println!("| {size} | {BURST} | {received} | {} |", BURST - received);
    }
    Ok(())
}
