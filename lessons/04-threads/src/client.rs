//! One client's conversation, given (it was lesson 03's work): confirm each
//! message until `!DISCONNECT` or the end of stream; answer a bad message with
//! `ERROR <reason>\n` and close gracefully.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use crate::framing::{read_message, FrameError, CONFIRMATION, DISCONNECT};

/// How long a refused client gets to finish sending before we close.
const DRAIN: Duration = Duration::from_millis(500);

/// Serves one client until it leaves. Errors are this client's problem: they
/// are logged, never returned, so the caller has nothing to handle.
pub fn handle_client(mut stream: TcpStream) {
    let peer = stream
        .peer_addr()
        .map_or_else(|_| "a client".to_string(), |a| a.to_string());
    match confirm_each_message(&mut stream) {
        Ok(()) => {}
        Err(FrameError::Io(e)) => eprintln!("{peer}: {e}"),
        Err(e) => {
            eprintln!("{peer}: {e}");
            refuse(&mut stream, &e);
        }
    }
}

fn confirm_each_message(stream: &mut TcpStream) -> Result<(), FrameError> {
    while let Some(body) = read_message(stream)? {
        stream.write_all(CONFIRMATION)?;
        if body == DISCONNECT {
            break;
        }
    }
    Ok(())
}

/// Sends `ERROR <reason>\n`, says "nothing more from me", and reads what the
/// client still sends for a moment before closing. Closing with unread bytes
/// waiting would reset the connection and could destroy the error line.
fn refuse(stream: &mut TcpStream, error: &FrameError) {
    let _ = stream.write_all(format!("ERROR {error}\n").as_bytes());
    let _ = stream.shutdown(Shutdown::Write);
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    while let Some(left) = DRAIN.checked_sub(started.elapsed()) {
        if left.is_zero() || stream.set_read_timeout(Some(left)).is_err() {
            break;
        }
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}
