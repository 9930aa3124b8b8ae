//! Reading macOS's `netstat -L -a -n -p tcp`, apart from running it, so
//! that the reading is tested on every system.

use std::net::SocketAddr;

/// The connections waiting for `accept` at `listener`, from the lines
/// `qlen/incqlen/maxqlen  local-address` of `netstat -L` (addresses as
/// `127.0.0.1.8080`, `::1.8080`, or `*.8080` for any address): `qlen` counts
/// every connection queued on the listener, `incqlen` those whose handshake
/// is not done yet. `None` when no line is about `listener`.
pub fn waiting(output: &str, listener: SocketAddr) -> Option<usize> {
    let wanted = [format!("{}.{}", listener.ip(), listener.port()), format!("*.{}", listener.port())];
    output.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let at = fields.iter().position(|f| f.split('/').count() == 3)?;
        let local = fields.get(at + 1)?;
        if !wanted.iter().any(|w| w == local) {
            return None;
        }
        let counts: Vec<usize> = fields[at].split('/').map(str::parse).collect::<Result<_, _>>().ok()?;
        Some(counts[0].saturating_sub(counts[1]))
    })
}

#[cfg(test)]
mod tests {
    use super::waiting;

    /// As macOS prints it (header lines, then one line per listener).
    const OUTPUT: &str = "Current listen queue sizes (qlen/incqlen/maxqlen)
Listen         Local Address
0/0/128        *.22
5/1/128        127.0.0.1.50876
2/0/128        ::1.50877
";

    #[test]
    fn counts_the_connections_whose_handshake_is_done() {
        assert_eq!(waiting(OUTPUT, "127.0.0.1:50876".parse().unwrap()), Some(4));
        assert_eq!(waiting(OUTPUT, "[::1]:50877".parse().unwrap()), Some(2));
        assert_eq!(waiting(OUTPUT, "127.0.0.1:22".parse().unwrap()), Some(0), "a listener on any address");
        assert_eq!(waiting(OUTPUT, "127.0.0.1:50877".parse().unwrap()), None, "the port, but another address");
        assert_eq!(waiting(OUTPUT, "127.0.0.1:8080".parse().unwrap()), None);
    }
}
