//! The terminal, for `just watch`: keys read one at a time (`q` quits without
//! Enter), and the settings put back however the runner ends.

use std::io::{self, IsTerminal, Read};
use std::sync::mpsc::{self, Receiver};
#[cfg(unix)]
use std::sync::Mutex;

#[cfg(unix)]
static SAVED: Mutex<Option<libc::termios>> = Mutex::new(None);

/// Reads keys one by one (no Enter needed, not echoed) where stdin is a Unix
/// terminal; Ctrl-C still interrupts. Elsewhere keys come a line at a time.
pub fn single_keys() {
    #[cfg(unix)]
    {
        if !io::stdin().is_terminal() {
            return;
        }
        // SAFETY: termios is plain data; tcgetattr fills it, tcsetattr reads it,
        // both on the stdin descriptor, which lives as long as the process.
        unsafe {
            let mut settings: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(libc::STDIN_FILENO, &mut settings) != 0 {
                return;
            }
            *SAVED.lock().unwrap_or_else(|p| p.into_inner()) = Some(settings);
            settings.c_lflag &= !(libc::ICANON | libc::ECHO);
            settings.c_cc[libc::VMIN] = 1;
            settings.c_cc[libc::VTIME] = 0;
            libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &settings);
        }
    }
}

/// Puts the terminal back as it was before [`single_keys`] (safe to call twice).
pub fn restore() {
    #[cfg(unix)]
    {
        if let Some(settings) = SAVED.lock().unwrap_or_else(|p| p.into_inner()).take() {
            // SAFETY: as above; the settings are the ones tcgetattr gave.
            unsafe {
                libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &settings);
            }
        }
    }
}

/// The bytes typed on stdin, from a thread of their own. The channel closes
/// at end of input.
pub fn keys() -> Receiver<u8> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut byte = [0u8; 1];
        let mut stdin = io::stdin();
        while let Ok(1) = stdin.read(&mut byte) {
            if tx.send(byte[0]).is_err() {
                break;
            }
        }
    });
    rx
}

/// Lets Ctrl-C reach a child program while the runner waits for it and then
/// reports its end quietly. A handler, not "ignore": an ignored signal stays
/// ignored in the programs the runner starts.
pub fn ignore_interrupt() {
    let _ = ctrlc::set_handler(|| {});
}

/// Clears the screen and puts the cursor at its top (any ANSI terminal,
/// Windows 10's console included).
pub fn clear() {
    if io::stdout().is_terminal() {
        print!("\x1b[2J\x1b[3J\x1b[H");
    }
}
