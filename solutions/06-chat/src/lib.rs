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
//! Lines are UTF-8; a `\r` before the `\n` is dropped; blank lines are ignored.
//! Names in lists are sorted.
//!
//! Book: "The chat room".

use std::collections::HashMap;
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{
    self, Receiver, RecvTimeoutError, SyncSender, TrySendError,
};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

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

// ANCHOR: line_reader
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
// ANCHOR_END: line_reader

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

// ANCHOR: validate_nickname
/// Checks a nickname: 1 to [`MAX_NICKNAME`] characters, each a letter or a digit
/// in any script (`char::is_alphanumeric`: "João" and "李雷" are fine).
///
/// Letters and digits only is also what keeps the room honest: a nickname can
/// hold no space, no `*`, no `[` or `]`, no newline, so nobody can be named in a
/// way that makes their lines look like someone else's, or like a notice.
pub fn validate_nickname(name: &str) -> Result<(), NickError> {
    if name.is_empty() {
        return Err(NickError::Empty);
    }
    // Characters, not bytes: `len()` would count "João" as 5.
    if name.chars().count() > MAX_NICKNAME {
        return Err(NickError::TooLong);
    }
    match name.chars().find(|c| !c.is_alphanumeric()) {
        Some(c) => Err(NickError::NotAlphanumeric(c)),
        None => Ok(()),
    }
}
// ANCHOR_END: validate_nickname

// ANCHOR: room
/// Lines the room could not queue at once, because their recipient's queue
/// was full: each with the queue it is for. Whoever caused them delivers them
/// with [`deliver`], once the lock is released.
pub type Waiting = Vec<(SyncSender<String>, String)>;

/// The users who have joined, by nickname, each with the queue of lines to
/// send them. Shared by every connection's thread as `Arc<Mutex<Room>>`; each
/// method is called with the lock held, so each is one indivisible step as far
/// as the other threads can tell.
///
/// Nothing here ever waits: lines go into queues with `try_send`, which returns
/// at once. Holding the lock while waiting for one slow reader would make every
/// other user wait too. A line that finds a queue full is handed back instead
/// ([`Waiting`]), and the thread that sent it waits for that reader outside
/// the lock.
#[derive(Default)]
pub struct Room {
    members: HashMap<String, SyncSender<String>>,
}

impl Room {
    pub fn new() -> Room {
        Room::default()
    }

    /// Adds `name` to the room, in one step: checks the name is free, queues
    /// the list of who else is here for the newcomer, tells the others, and
    /// adds the newcomer. Whoever joins before this step is in the list; whoever
    /// joins after it is announced to the newcomer with `* <name> joined`.
    pub fn join(
        &mut self,
        name: &str,
        outbox: SyncSender<String>,
    ) -> Result<Waiting, NickError> {
        if self.members.contains_key(name) {
            return Err(NickError::Taken);
        }
        let others = self.names();
        let list = if others.is_empty() {
            "nobody yet".to_string()
        } else {
            others.join(", ")
        };
        // The newcomer's queue is new and empty: this cannot be full.
        let _ = outbox.try_send(format!("* in the room: {list}"));
        let waiting = self.send_to_others(name, &format!("* {name} joined"));
        self.members.insert(name.to_string(), outbox);
        Ok(waiting)
    }

    /// Removes `name` and tells the others; does nothing if `name` is not here.
    pub fn leave(&mut self, name: &str) -> Waiting {
        match self.members.remove(name) {
            Some(_) => self.send_to_others(name, &format!("* {name} left")),
            None => Waiting::new(),
        }
    }

    /// Sends `[from] text` to everyone but `from`.
    pub fn say(&mut self, from: &str, text: &str) -> Waiting {
        self.send_to_others(from, &format!("[{from}] {text}"))
    }

    /// Who is in the room, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.members.keys().cloned().collect();
        names.sort();
        names
    }

    /// Queues `line` for everyone but `from`, without ever waiting, and hands
    /// back the lines whose queue was full.
    fn send_to_others(&self, from: &str, line: &str) -> Waiting {
        let mut waiting = Waiting::new();
        for (name, outbox) in &self.members {
            if name == from {
                continue;
            }
            match outbox.try_send(line.to_string()) {
                Ok(()) => {}
                // They have not read the last QUEUE_LEN lines yet: the sender
                // will wait for them (see `deliver`).
                Err(TrySendError::Full(line)) => {
                    waiting.push((outbox.clone(), line))
                }
                // Their writer has ended: they are on their way out.
                Err(TrySendError::Disconnected(_)) => {}
            }
        }
        waiting
    }
}

/// Delivers the lines that found a full queue, waiting for each reader in turn.
/// Call it without the lock: it blocks the calling thread, and so stops reading
/// from the user who sent the line, until each reader has made room. That is
/// what slows a flooding user down to the pace of the room's readers. A reader
/// who takes nothing for [`STUCK`] has their writer give up (see
/// [`write_lines`]); the queue then ends, and `send` returns at once.
pub fn deliver(waiting: Waiting) {
    for (outbox, line) in waiting {
        let _ = outbox.send(line);
    }
}

/// Locks the room. A thread that panicked while holding the lock "poisons" it;
/// the room's data is still sound (no method leaves it half-changed), so the
/// other users carry on instead of panicking one after another.
pub fn lock(room: &Mutex<Room>) -> MutexGuard<'_, Room> {
    room.lock().unwrap_or_else(PoisonError::into_inner)
}
// ANCHOR_END: room

// ANCHOR: serve
/// Serves the chat room forever: one thread per connection, all sharing one
/// [`Room`].
pub fn serve(listener: TcpListener) -> io::Result<()> {
    let room = Arc::new(Mutex::new(Room::new()));
    loop {
        let (stream, peer) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) => {
                eprintln!("accept failed: {e}");
                continue;
            }
        };
        let room = Arc::clone(&room);
        // `thread::spawn` panics when the system refuses a new thread;
        // `Builder::spawn` returns the error, and the server goes on.
        let spawned = thread::Builder::new()
            .name(format!("chat {peer}"))
            .spawn(move || match handle_connection(stream, &room) {
                Ok(()) => println!("{peer} disconnected"),
                Err(e) => println!("{peer} gone: {e}"),
            });
        if let Err(e) = spawned {
            eprintln!("cannot serve {peer}: {e}");
        }
    }
}
// ANCHOR_END: serve

// ANCHOR: handle_connection
/// One connection, from the prompt to the goodbye.
pub fn handle_connection(
    stream: TcpStream,
    room: &Mutex<Room>,
) -> io::Result<()> {
    let mut lines = LineReader::new(stream.try_clone()?);
    let mut out = stream.try_clone()?;

    // Until the user has joined, this thread is the only one writing.
    out.write_all(format!("{PROMPT}\n").as_bytes())?;
    let name = match lines.next_line()? {
        Incoming::Line(name) => name,
        Incoming::End => return Ok(()), // gone without a word
        Incoming::TooLong => return refuse(out, NickError::TooLong),
        Incoming::NotUtf8 => {
            return refuse(out, "a nickname must be UTF-8 text")
        }
    };
    if let Err(why) = validate_nickname(&name) {
        return refuse(out, why);
    }

    // From here on, every line to this user goes through its queue and its
    // writer thread, in the order it was queued.
    let (me, outbox) = mpsc::sync_channel(QUEUE_LEN);
    let writer =
        thread::Builder::new().spawn(move || write_lines(out, outbox))?;

    let joined = lock(room).join(&name, me.clone());
    let result = match joined {
        Ok(waiting) => {
            deliver(waiting);
            println!("{name} joined");
            let result = chat(&name, &mut lines, &me, room);
            let waiting = lock(room).leave(&name);
            deliver(waiting);
            println!("{name} left");
            result
        }
        Err(why) => {
            let _ = me.try_send(format!("* cannot join: {why}"));
            Ok(())
        }
    };
    // Dropping our sender ends the queue (the room dropped its own in `leave`):
    // the writer sends what is still queued, closes our side, and stops.
    drop(me);
    let _ = writer.join();
    result
}

/// Says why the user cannot join, and closes the connection.
fn refuse(mut out: TcpStream, why: impl fmt::Display) -> io::Result<()> {
    out.write_all(format!("* cannot join: {why}\n").as_bytes())?;
    out.shutdown(Shutdown::Write)
}
// ANCHOR_END: handle_connection

// ANCHOR: chat
/// Reads the user's lines until they leave: chat lines for the room, commands
/// for the server.
fn chat(
    name: &str,
    lines: &mut LineReader<TcpStream>,
    me: &SyncSender<String>,
    room: &Mutex<Room>,
) -> io::Result<()> {
    loop {
        let text = match lines.next_line()? {
            Incoming::Line(text) => text,
            Incoming::End => return Ok(()),
            Incoming::TooLong => {
                tell(
                    me,
                    format!("* line too long (max {MAX_LINE} bytes); not sent"),
                )?;
                continue;
            }
            Incoming::NotUtf8 => {
                tell(
                    me,
                    "* that line is not valid UTF-8; not sent".to_string(),
                )?;
                continue;
            }
        };
        match text.as_str() {
            "/quit" => {
                tell(me, format!("* bye, {name}"))?;
                return Ok(());
            }
            "/who" => {
                let names = lock(room).names(); // the lock is released at the `;`
                tell(me, format!("* in the room: {}", names.join(", ")))?;
            }
            command if command.starts_with('/') => {
                tell(
                    me,
                    format!("* unknown command {command}: try /who or /quit"),
                )?;
            }
            blank if blank.trim().is_empty() => {}
            // One line of text: it cannot hold a `\n`, so it cannot pose as a
            // second line, and `[name] ` in front means it never looks like a
            // notice, even if it starts with `* `.
            // The lock is released at the end of the `let`; then wait, if
            // need be, for the readers who are behind.
            _ => {
                let waiting = lock(room).say(name, &text);
                deliver(waiting);
            }
        }
    }
}

/// Queues a line for this user only, waiting if their queue is full: a user
/// who sends commands faster than they read the answers is slowed down too.
/// It fails only once their writer has given up on them.
fn tell(me: &SyncSender<String>, line: String) -> io::Result<()> {
    me.send(line)
        .map_err(|_| io::Error::other("the client is not reading what we send"))
}
// ANCHOR_END: chat

// ANCHOR: write_lines
/// The writer thread of one user: sends each queued line, in order, until the
/// queue ends (every sender dropped) or the client cannot be written to.
///
/// It is the only place that writes to this socket once the user has joined,
/// so lines never interleave, and a write that blocks on a client who does not
/// read blocks this thread only, and for at most [`STUCK`]: a client that has
/// not taken one line in that time is stuck, and is disconnected. One that
/// reads, even slowly, takes a line now and then, and stays.
pub fn write_lines(mut stream: TcpStream, outbox: Receiver<String>) {
    for line in outbox {
        if write_within(&mut stream, format!("{line}\n").as_bytes(), STUCK)
            .is_err()
        {
            break;
        }
    }
    // Whatever stopped us, this conversation is over. Shutting down both ways
    // also wakes the reading thread if it is still waiting for a line.
    let _ = stream.shutdown(Shutdown::Both);
}

/// `write_all`, but failing once `limit` has passed. A write timeout alone
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
// ANCHOR_END: write_lines

// ANCHOR: run_client
/// What ended one side of the client.
enum Ended {
    Input(io::Result<()>),
    Server(io::Result<()>),
}

/// The interactive client: sends each line of `input` to the server at `addr`
/// and writes whatever the server sends to `output`, both at once, on two
/// threads.
///
/// It returns when the server closes the connection, or, once the input is
/// over (`/quit`, or its end, e.g. Ctrl-D), when the server has closed in
/// response, waiting at most [`QUIT_GRACE`] for that.
pub fn run_client(
    addr: SocketAddr,
    input: impl BufRead + Send + 'static,
    output: impl Write + Send + 'static,
) -> io::Result<()> {
    let stream = TcpStream::connect(addr)?;
    let (ended, first_end) = mpsc::channel();

    let from_server = stream.try_clone()?;
    let tx = ended.clone();
    thread::spawn(move || {
        let _ = tx.send(Ended::Server(print_incoming(from_server, output)));
    });
    let to_server = stream.try_clone()?;
    thread::spawn(move || {
        let _ = ended.send(Ended::Input(send_typed(input, to_server)));
    });

    match first_end.recv() {
        // The server hung up. The input thread may still be waiting for a line
        // from the keyboard: it cannot be interrupted, and ends with the program.
        Ok(Ended::Server(result)) => result,
        Ok(Ended::Input(sent)) => {
            // The user is done: give the server a moment to say goodbye and close.
            if let Err(RecvTimeoutError::Timeout) =
                first_end.recv_timeout(QUIT_GRACE)
            {
                let _ = stream.shutdown(Shutdown::Both);
                let _ = first_end.recv_timeout(QUIT_GRACE);
            }
            sent
        }
        Err(mpsc::RecvError) => Ok(()),
    }
}

/// Sends each line of `input` with a plain `\n` (a `\r` before it is dropped),
/// until `/quit` or the end of input;
/// at the end of input, shuts down writing, which any line server understands
/// as "this user is gone".
fn send_typed(
    mut input: impl BufRead,
    mut stream: TcpStream,
) -> io::Result<()> {
    let mut line = Vec::new();
    loop {
        line.clear();
        // Unbounded, but it reads our own keyboard, not a stranger's socket.
        if input.read_until(b'\n', &mut line)? == 0 {
            return stream.shutdown(Shutdown::Write);
        }
        while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            line.pop();
        }
        line.push(b'\n');
        stream.write_all(&line)?;
        if line == b"/quit\n" {
            return Ok(());
        }
    }
}

/// Copies what the server sends to `output` as it arrives, until the server
/// closes the connection.
fn print_incoming(
    mut stream: TcpStream,
    mut output: impl Write,
) -> io::Result<()> {
    let mut buf = [0u8; 4096];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        output.write_all(&buf[..n])?;
        output.flush()?;
    }
}
// ANCHOR_END: run_client
