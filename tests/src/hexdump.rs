//! Hex dumps for snapshots of what crossed the wire: the layout of `hexdump -C`,
//! except that repeated lines are all shown rather than squeezed into `*`.

use std::fmt::Write as _;

/// `00000000  68 65 6c 6c 6f 0a                                 |hello.|`
///
/// Sixteen bytes a line: the offset, the bytes in hex (a gap after eight), and
/// the printable ASCII characters, with `.` for the rest.
pub fn hexdump(bytes: &[u8]) -> String {
    let mut out = String::new();
    for (line, chunk) in bytes.chunks(16).enumerate() {
        let _ = write!(out, "{:08x}  ", line * 16);
        for i in 0..16 {
            match chunk.get(i) {
                Some(b) => {
                    let _ = write!(out, "{b:02x} ");
                }
                None => out.push_str("   "),
            }
            if i == 7 {
                out.push(' ');
            }
        }
        out.push_str(" |");
        out.extend(chunk.iter().map(|&b| if b.is_ascii_graphic() || b == b' ' { b as char } else { '.' }));
        out.push_str("|\n");
    }
    let _ = writeln!(out, "{:08x}", bytes.len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_classic_layout() {
        assert_eq!(
            hexdump(b"hello\n"),
            "00000000  68 65 6c 6c 6f 0a                                 |hello.|\n00000006\n"
        );
        assert_eq!(hexdump(b""), "00000000\n");
        let two_lines = hexdump(&[b'a'; 17]);
        assert!(two_lines.contains("\n00000010  61 "), "{two_lines}");
    }
}
