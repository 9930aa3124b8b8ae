//! `byte-order`: lesson 03's message with a 4-byte binary length header
//! instead of the 64-byte ASCII one, sent through a real socket, and what
//! the same four bytes mean when read in the wrong order. See the book's
//! chapter "Byte order and binary headers".

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;

use course_demos::hex_dump;

/// The same limit as lesson 03: the header is checked before allocating.
const MAX_BODY: usize = 65_536;

// ANCHOR: frame
/// A 4-byte big-endian length, then the body.
fn frame(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).expect("a body under 4 GiB");
    let mut out = Vec::with_capacity(4 + body.len());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(body);
    out
}
// ANCHOR_END: frame

// ANCHOR: read_frame
/// Reads one message framed by [`frame`]: exactly 4 bytes, then the body.
fn read_frame(reader: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut header = [0u8; 4];
    reader.read_exact(&mut header)?;
    let len = u32::from_be_bytes(header) as usize;
    if len > MAX_BODY {
        let why = format!("length {len} is over the limit of {MAX_BODY}");
        return Err(io::Error::new(ErrorKind::InvalidData, why));
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    Ok(body)
}
// ANCHOR_END: read_frame

/// Lesson 03's header: the length in ASCII digits, padded to 64 bytes.
fn ascii_frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("{:<64}", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

fn main() -> io::Result<()> {
    let body = "Olá, mundo!".as_bytes();
    println!("lesson 03's header, ASCII digits ({} bytes):", 64 + body.len());
    print!("{}", hex_dump(&ascii_frame(body)));
    println!("\na binary header, u32::to_be_bytes ({} bytes):", 4 + body.len());
    print!("{}", hex_dump(&frame(body)));

    // Through a real socket: the bytes that leave are the bytes that arrive.
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let sender = thread::spawn(move || -> io::Result<()> {
        let mut stream = TcpStream::connect(addr)?;
        stream.write_all(&frame(body))
    });
    let (mut stream, _) = listener.accept()?;
    let received = read_frame(&mut stream)?;
    sender.join().expect("the sender does not panic")?;
    println!("\nread back: {:?}", String::from_utf8_lossy(&received));

    let header = (body.len() as u32).to_be_bytes();
    println!("\nthe header {header:02x?} read as");
    println!("  u32::from_be_bytes: {}", u32::from_be_bytes(header));
    println!("  u32::from_le_bytes: {}", u32::from_le_bytes(header));
    let native = (body.len() as u32).to_ne_bytes();
    let arch = std::env::consts::ARCH;
    let order = if cfg!(target_endian = "big") { "big" } else { "little" };
    println!("\nthis machine ({arch}) is {order}-endian: 12 in memory is {native:02x?}");

    let mut bad = &b"\x7f\xff\xff\xff"[..];
    match read_frame(&mut bad) {
        Ok(body) => println!("\na header of 7f ff ff ff: {} bytes", body.len()),
        Err(e) => println!("\na header of 7f ff ff ff: {e}"),
    }
    Ok(())
}
