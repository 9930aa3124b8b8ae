//! Lesson 06: the chat room.
//!
//! Everyone who connects is asked for a nickname; once in the room, every line
//! they type reaches everyone else as `[name] text`, and the room is told who
//! joins and who leaves with lines that start with `* `.
//!
//! - One thread per connection reads that user's lines.
//! - The room (who is in, and how to reach them) is shared behind one lock.
//! - Each user has a bounded queue of lines to send and a writer thread of its
//!   own, so a user who reads slowly never holds up anyone else.
//! - Fair under flood: a user who sends faster than someone reads waits for
//!   that reader (we stop reading from the sender); a reader who takes nothing
//!   for [`STUCK`] is disconnected.
//!
//! What the server sends, line by line (each ends in `\n`):
//!
//! | when                                   | to whom        | the line                                        |
//! |----------------------------------------|----------------|-------------------------------------------------|
//! | a client connects                      | it             | [`PROMPT`]                                      |
//! | its nickname is refused (then close)   | it             | `* cannot join: <why>`                          |
//! | it joins                               | it             | `* in the room: ana, bob` or `… nobody yet`     |
//! | it joins                               | everyone else  | `* <name> joined`                               |
//! | it says `text`                         | everyone else  | `[<name>] text`                                 |
//! | it sends more than [`MAX_LINE`] bytes  | it             | `* line too long (max 1000 bytes); not sent`    |
//! | it sends a line that is not UTF-8      | it             | `* that line is not valid UTF-8; not sent`      |
//! | it sends `/who`                        | it             | `* in the room: ana, bob` (itself included)     |
//! | it sends another `/command`            | it             | `* unknown command /x: try /who or /quit`       |
//! | it sends `/quit` (then close)          | it             | `* bye, <name>`                                 |
//! | it leaves (`/quit`, end, error)        | everyone else  | `* <name> left`                                 |
//!
//! Lines are UTF-8; a `\r` before the `\n` is dropped; a line that is empty
//! or only whitespace is ignored.
//! Names in lists are sorted.
//!
//! Your turn: replace each `todo!()` below, then run `just check 06`. The
//! constants, [`LineReader`], [`NickError`], [`lock`] and [`write_within`] are
//! given. The checks meet the functions in this order: [`serve`] and
//! [`handle_connection`] (the prompt), [`validate_nickname`], [`Room::names`],
//! [`Room::join`] and [`write_lines`], [`Room::say`] and [`deliver`],
//! [`Room::leave`], and last [`run_client`].
//! Book: "The chat room".

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, SyncSender};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
// You will also need `std::sync::{mpsc, Arc}`, `std::sync::mpsc::TrySendError`,
// `std::thread` and `std::net::Shutdown`.

/// Where `chat-server` listens when no address is given.
pub const DEFAULT_ADDR: &str = "127.0.0.1:5006";

/// The longest line accepted, in bytes, not counting its `\n` (or `\r\n`).
pub const MAX_LINE: usize = 1000;

/// The longest nickname, in characters (not bytes: "João" is 4 characters, 5 bytes).
pub const MAX_NICKNAME: usize = 16;

/// How many lines may wait in one user's outgoing queue: at most about 1 MB
/// per user. Whoever finds it full waits for that user to read (see
/// [`Room::say`] and [`deliver`]).
pub const QUEUE_LEN: usize = 1024;

/// A user who takes nothing from us for this long, while lines wait for them,
/// is stuck: their writer gives up and they are disconnected.
pub const STUCK: Duration = Duration::from_secs(2);

/// The first line the server sends: any text will do, as long as it asks.
pub const PROMPT: &str = "* welcome to the chat room! what is your nickname? (1 to 16 letters or digits)";

/// How long the client waits for the server to close after the user is done.
pub const QUIT_GRACE: Duration = Duration::from_secs(2);

/// What [`LineReader::next_line`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Incoming {
    /// A complete line of UTF-8, without its `\n` or `\r\n`.
    Line(String),
    /// A line of more than [`MAX_LINE`] bytes. It has been read to its end and
    /// thrown away, so the next call starts at the next line.
    TooLong,
    /// A line that is not valid UTF-8, thrown away.
    NotUtf8,
    /// The end of the stream. An unfinished last line (no `\n`) is dropped.
    End,
}

/// Reads lines of at most [`MAX_LINE`] bytes from a stream, and never holds
/// more than that in memory, whatever the other side sends.
///
/// `BufRead::read_line` would do, for a peer we trust: it reads until it finds
/// a `\n`, growing its `String` for as long as it takes. A client that sends a
/// gigabyte without a newline would make it allocate a gigabyte.
pub struct LineReader<R> {
    inner: BufReader<R>,
}

impl<R: Read> LineReader<R> {
    pub fn new(inner: R) -> Self {
        LineReader { inner: BufReader::new(inner) }
    }

    /// Reads the next line.
    pub fn next_line(&mut self) -> io::Result<Incoming> {
        // At most the text, a `\r` and the `\n`: `take` stops `read_until` there.
        let limit = MAX_LINE as u64 + 2;
        let mut line = Vec::new();
        let n = (&mut self.inner).take(limit).read_until(b'\n', &mut line)?;
        if line.last() != Some(&b'\n') {
            if (n as u64) < limit {
                // The stream ended, maybe in the middle of a line.
                return Ok(Incoming::End);
            }
            self.skip_rest_of_line()?;
            return Ok(Incoming::TooLong);
        }
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if line.len() > MAX_LINE {
            return Ok(Incoming::TooLong);
        }
        Ok(String::from_utf8(line).map_or(Incoming::NotUtf8, Incoming::Line))
    }

    /// Throws away bytes up to and including the next `\n`, a buffer at a time.
    fn skip_rest_of_line(&mut self) -> io::Result<()> {
        loop {
            let buffered = self.inner.fill_buf()?;
            if buffered.is_empty() {
                return Ok(()); // end of stream; the next call reports it
            }
            match buffered.iter().position(|&b| b == b'\n') {
                Some(at) => {
                    self.inner.consume(at + 1);
                    return Ok(());
                }
                None => {
                    let all = buffered.len();
                    self.inner.consume(all);
                }
            }
        }
    }
}

/// Why a nickname was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NickError {
    Empty,
    TooLong,
    /// The first character that is neither a letter nor a digit.
    NotAlphanumeric(char),
    /// Someone in the room already has it.
    Taken,
}

impl fmt::Display for NickError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NickError::Empty => {
                write!(f, "a nickname needs at least one letter or digit")
            }
            NickError::TooLong => {
                write!(f, "a nickname has at most {MAX_NICKNAME} characters")
            }
            // `{c:?}` shows a newline or a tab as `'\n'` or `'\t'`: never raw.
            NickError::NotAlphanumeric(c) => write!(
                f,
                "a nickname has only letters and digits, and {c:?} is neither"
            ),
            NickError::Taken => write!(f, "that nickname is taken"),
        }
    }
}

impl std::error::Error for NickError {}

/// Checks a nickname: 1 to [`MAX_NICKNAME`] characters, each a letter or a digit
/// in any script: `char::is_alphanumeric` says which ("João" and "李雷" pass).
///
/// - Count characters with `name.chars().count()`, not bytes: `"João".len()` is 5.
/// - Return the first character that is not alphanumeric in
///   `NickError::NotAlphanumeric`, so the user learns what was wrong.
/// - `NickError::Taken` is not decided here: only the room knows who is in it.
///
/// Letters and digits only also keeps the room honest: no space, `*`, `[`, `]`
/// or newline in a name means nobody can pose as someone else or as a notice.
///
/// Book: The chat room › Nicknames.
pub fn validate_nickname(name: &str) -> Result<(), NickError> {
    todo!("check that {name:?} has 1 to {MAX_NICKNAME} characters, all alphanumeric")
}

/// Lines the room could not queue at once, because their recipient's queue
/// was full: each with the queue it is for. Whoever caused them delivers them
/// with [`deliver`], once the lock is released.
pub type Waiting = Vec<(SyncSender<String>, String)>;

/// The users who have joined, by nickname, each with the queue of lines to
/// send them. Shared by every connection's thread as `Arc<Mutex<Room>>`; each
/// method is called with the lock held (see [`lock`]), so each is one
/// indivisible step as far as other threads can tell.
///
/// The one rule: nothing here may wait. Put lines into the members' queues
/// with `try_send`, which returns at once, and never write to a socket here: a
/// write to a user who does not read blocks, and everyone waits for the lock.
///
/// You will want a helper, say `fn send_to_others(&self, from: &str, line: &str) -> Waiting`,
/// that `try_send`s a line to every member but `from`. When `try_send` fails
/// with `TrySendError::Full(line)`, that user has not read the last
/// [`QUEUE_LEN`] lines: do not drop the line and do not hang up on them, hand
/// it back (`(outbox.clone(), line)` in the [`Waiting`] list): the sender will
/// wait for them, outside the lock. `TrySendError::Disconnected`: their writer
/// has ended, they are on their way out; skip them.
///
/// Book: The chat room › Shared state: the room; The chat room › Fair under flood.
#[derive(Default)]
pub struct Room {
    members: HashMap<String, SyncSender<String>>,
}

impl Room {
    pub fn new() -> Room {
        Room::default()
    }

    /// Adds `name` to the room, all in one step (the caller holds the lock):
    ///
    /// 1. if `name` is already in the room, return `Err(NickError::Taken)`;
    /// 2. queue `* in the room: ana, bob` (the others, sorted; `* in the room:
    ///    nobody yet` when there are none) for the newcomer, on `outbox`;
    /// 3. queue `* <name> joined` for everyone else;
    /// 4. insert the newcomer, and return the lines that found a full queue.
    ///
    /// Book: The chat room › Races.
    pub fn join(
        &mut self,
        name: &str,
        outbox: SyncSender<String>,
    ) -> Result<Waiting, NickError> {
        let _ = &outbox;
        todo!(
            "add {name} to a room of {} members, as described above",
            self.members.len()
        )
    }

    /// Removes `name` and queues `* <name> left` for everyone else. Does
    /// nothing (and returns an empty list) when `name` is not in the room.
    ///
    /// Book: The chat room › Leaving.
    pub fn leave(&mut self, name: &str) -> Waiting {
        todo!(
            "remove {name} from the {} members and tell the others",
            self.members.len()
        )
    }

    /// Queues `[<from>] <text>` for everyone but `from`.
    ///
    /// Book: The chat room › Broadcast.
    pub fn say(&mut self, from: &str, text: &str) -> Waiting {
        todo!("queue `[{from}] {text}` for everyone else")
    }

    /// Who is in the room, sorted (for the room list and `/who`).
    pub fn names(&self) -> Vec<String> {
        todo!("the {} nicknames, sorted", self.members.len())
    }
}

/// Delivers the lines that found a full queue: `outbox.send(line)` for each,
/// which waits until that reader's writer has made room. Call it *after* the
/// lock is released (`let waiting = lock(room).say(…); deliver(waiting);`):
/// it blocks the calling thread, and so stops reading from the user who sent
/// the line until the readers have caught up. That is how a user who floods is
/// slowed down, and nobody who reads is dropped for it. `send` fails once that
/// reader's writer has ended (stuck, or gone): ignore it.
///
/// Book: The chat room › Fair under flood.
pub fn deliver(waiting: Waiting) {
    todo!("send each of the {} waiting lines, waiting for room", waiting.len())
}

/// Locks the room. A thread that panicked while holding the lock "poisons" it;
/// the room's data is still sound (no method leaves it half-changed), so the
/// others carry on instead of panicking one after another. Use it as
/// `lock(&room).say(name, &text)`: the lock is released at the end of the statement.
pub fn lock(room: &Mutex<Room>) -> MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves the chat room forever: one shared room (`Arc::new(Mutex::new(Room::new()))`),
/// and for each accepted connection a thread running [`handle_connection`]
/// with its own clone of the `Arc`.
///
/// - `thread::spawn` panics if the system refuses a new thread;
///   `thread::Builder::new().spawn(…)` returns the error instead: log it and go on.
/// - One client's error is that client's problem: never end `serve` with `?` on it.
///
/// Book: The chat room › One thread per connection.
pub fn serve(listener: TcpListener) -> io::Result<()> {
    todo!("accept connections on {listener:?} and serve each on its own thread, sharing one Room")
}

/// One connection, from the prompt to the goodbye.
///
/// 1. Write [`PROMPT`] and a `\n`. Read lines with a [`LineReader`] over a
///    clone of the stream (`stream.try_clone()`), never with `read_line`.
/// 2. The first line is the nickname. `End`: the client left, return. A bad
///    name (`validate_nickname`, or a line that was `TooLong` or `NotUtf8`):
///    write `* cannot join: <why>` and return (the stream closes when dropped).
/// 3. Make the user's queue, `mpsc::sync_channel(QUEUE_LEN)`, and spawn its
///    writer thread ([`write_lines`]) with the receiver and a clone of the stream.
///    From now on, every line to this user goes through the queue.
/// 4. `lock(room).join(…)`, then [`deliver`] what it hands back (after the
///    lock is released); if the name is taken, queue `* cannot join: …` and finish.
/// 5. Read lines until the user leaves:
///    `TooLong` → `* line too long (max 1000 bytes); not sent` to the user;
///    `NotUtf8` → `* that line is not valid UTF-8; not sent` to the user;
///    a line that is empty or only whitespace → nothing;
///    `/quit` → `* bye, <name>` to the user, then leave;
///    `/who` → `* in the room: <everyone, sorted>` to the user;
///    another `/…` → `* unknown command /…: try /who or /quit` to the user;
///    anything else → `let waiting = lock(room).say(name, &text);` then
///    `deliver(waiting)`.
///    Send to the user with `send`: it waits while their own queue is full, and
///    fails once their writer has given up on them (then end the loop).
/// 6. However it ended (`/quit`, `End`, an error): `lock(room).leave(&name)`
///    and [`deliver`] its notices, drop your sender, and `join()` the writer
///    thread, so that lines already queued are sent before the connection closes.
///
/// Book: The chat room › One writer per client.
pub fn handle_connection(
    stream: TcpStream,
    room: &Mutex<Room>,
) -> io::Result<()> {
    let _ = room;
    todo!("greet {stream:?}, take a nickname, join, relay lines, leave")
}

/// The writer thread of one user: writes each line from `outbox`, with a `\n`,
/// in order, until the queue ends (every sender was dropped: a `for` loop over
/// the receiver stops) or a write fails. Then shut the stream down both ways
/// (`Shutdown::Both`): that wakes the user's reading thread if it still waits.
///
/// Write each line with [`write_within`]`(&mut stream, bytes, STUCK)` (given,
/// below), not `write_all`: a client that has not taken one line in [`STUCK`]
/// is stuck, and ending here disconnects them (and frees whoever waits in
/// [`deliver`] for them). A client that reads, even slowly, stays.
///
/// Book: The chat room › One writer per client.
pub fn write_lines(stream: TcpStream, outbox: Receiver<String>) {
    todo!("write each line of {outbox:?} to {stream:?}, then shut it down")
}

/// The interactive client: sends each line of `input` to the server at `addr`
/// and writes whatever the server sends to `output`, on two threads at once.
///
/// - One thread reads `input` line by line (`read_until(b'\n', …)`) and sends
///   each line ending in `\n`, without a `\r` before it: a line typed or piped
///   in as `hi\r\n` goes out as `hi\n`. After sending `/quit`, it stops; at the
///   end of input (0 bytes read: Ctrl-D) it shuts down writing
///   (`Shutdown::Write`), which the server takes as "gone".
/// - The other copies what arrives (`read` into a buffer, `write_all` + `flush`
///   to `output`) until the server closes (a read of 0).
/// - Both send a message on one `mpsc::channel` when they end. Return when the
///   server side ends (the input thread may still be waiting for the keyboard;
///   it ends with the program). When the input side ends first, wait at most
///   [`QUIT_GRACE`] for the server to close (`recv_timeout`), else shut the
///   stream down yourself.
///
/// Book: The chat room › The client.
pub fn run_client(
    addr: SocketAddr,
    input: impl BufRead + Send + 'static,
    output: impl Write + Send + 'static,
) -> io::Result<()> {
    let _ = (input, output, QUIT_GRACE);
    todo!("connect to {addr}, then send typed lines and print incoming ones on two threads")
}

/// Given: `write_all`, but failing once `limit` has passed. A write timeout alone
/// (`set_write_timeout`) is not enough: it limits each `write` call, and a
/// client that does not read still lets the kernel take a few bytes now and
/// then, so each call would make a little progress and never time out.
pub fn write_within(
    stream: &mut TcpStream,
    mut bytes: &[u8],
    limit: Duration,
) -> io::Result<()> {
    let started = Instant::now();
    while !bytes.is_empty() {
        let left = limit.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
