//! `dead-peer`: what each end of a TCP connection notices when the other
//! end vanishes without a FIN. `demos/dead-peer.sh` runs it in two network
//! namespaces and cuts the cable between them; see the book's chapter
//! "Dead peers, timeouts and keepalive".
//!
//! ```text
//! dead-peer serve ADDR [--heartbeat SECS]
//! dead-peer wait ADDR [--read-timeout SECS] [--keepalive IDLE] [--give-up SECS]
//! dead-peer send ADDR [--user-timeout SECS] [--give-up SECS]
//! dead-peer flood ADDR [--after SECS] [--write-timeout SECS] [--give-up SECS]
//! ```

#[cfg(target_os = "linux")]
fn main() {
    course_demos::dead_peer::main();
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!(
        "dead-peer runs on Linux only: its script needs network namespaces"
    );
    std::process::exit(2);
}
