//! The client through a lossy network: how many sends a message takes when
//! the relay loses a given share of the datagrams, each way.
//!
//! `cargo run --release -p datagrams --example lossy`, once your `Sender` and
//! `serve` work (the reference's: add `--manifest-path solutions/Cargo.toml`).
//!
//! The relay is the checks' own (`harness::Relay`), seeded: the same
//! datagrams are lost on every run, so the counts are the same on every run
//! and every machine. Only losses here, no duplicates and no delays.

use std::net::UdpSocket;
use std::thread;

use datagrams::{Sender, MAX_SENDS};
use harness::{Faults, Relay};

const MESSAGES: u32 = 100;

fn main() -> std::io::Result<()> {
    println!("| lost each way | sends per message (mean) | expected | 1 send | 2 | 3 | 4 | 5 | gave up |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for loss in [0u8, 5, 10, 20, 30] {
        // ANCHOR: lossy
        let socket = UdpSocket::bind("127.0.0.1:0")?;
        let server = socket.local_addr()?;
        thread::spawn(move || datagrams::serve(socket, std::io::sink()));
        let relay = Relay::start(
            server,
            Faults { seed: 2026, drop: loss, ..Faults::none() },
        );
        let mut sender = Sender::connect(relay.addr())?;

        let mut histogram = [0u32; MAX_SENDS as usize + 1]; // [0] counts the failures
        let mut sends = 0;
        for i in 0..MESSAGES {
            match sender.send(&format!("message {i}")) {
                Ok(n) => {
                    histogram[n as usize] += 1;
                    sends += n;
                }
                Err(_) => {
                    histogram[0] += 1;
                    sends += MAX_SENDS;
                }
            }
        }
        // ANCHOR_END: lossy
        // A send gets through, and its ACK back, with probability p.
        let p = (1.0 - f64::from(loss) / 100.0).powi(2);
        let expected = if p == 1.0 {
            1.0
        } else {
            (1.0 - (1.0 - p).powi(MAX_SENDS as i32)) / p
        };
        let [failed, one, two, three, four, five] = histogram;
        println!(
            "| {loss}% | {:.2} | {expected:.2} | {one} | {two} | {three} | {four} | {five} | {failed} |",
            f64::from(sends) / f64::from(MESSAGES)
        );
    }
    Ok(())
}
