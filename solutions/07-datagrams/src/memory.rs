//! The server's memory of which sequence numbers each address has sent, so
//! that a repeated request is acknowledged again but delivered only once.
//!
//! Whatever arrives, it stays bounded: at most [`MAX_ADDRESSES`] addresses
//! (the least recently heard is forgotten first when a new one comes) and at
//! most [`WINDOW`] numbers per address (the oldest forgotten first).
//! Book: "Datagrams › Once only: remembering what was delivered".

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

/// The most addresses remembered at once.
pub const MAX_ADDRESSES: usize = 10_000;
/// The most sequence numbers remembered per address.
pub const WINDOW: usize = 64;

/// What [`Memory::record`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// This address had not sent this number (that is remembered): deliver it.
    First,
    /// This address sent this number before: acknowledge it, do not deliver it again.
    Again,
}

/// How much a [`Memory`] holds, for the checks and the curious.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Size {
    /// Entries in `peers`: addresses remembered.
    pub addresses: usize,
    /// Entries in `by_age` (one per address, when the two are kept in step).
    pub ages: usize,
    /// Sequence numbers remembered, all addresses together.
    pub numbers: usize,
}

/// Which numbers each address has sent: bounded in addresses and in numbers.
#[derive(Debug)]
pub struct Memory {
    max_addresses: usize,
    window: usize,
    /// What each remembered address has sent, and when it was last heard.
    peers: HashMap<SocketAddr, Peer>,
    /// Every remembered address under the time it was last heard, so that the
    /// first entry is the least recently heard: `by_age.pop_first()` finds it
    /// without looking at all 10,000. One entry per entry of `peers`.
    by_age: BTreeMap<u64, SocketAddr>,
    /// Counts the calls to `record`: the "time" of `by_age`, no clock needed.
    clock: u64,
}

/// What is remembered about one address.
#[derive(Debug)]
struct Peer {
    /// The numbers it sent, oldest first; at most `window` of them.
    numbers: VecDeque<u64>,
    /// The `clock` of its latest datagram: its key in `by_age`.
    heard: u64,
}

impl Default for Memory {
    fn default() -> Self {
        Memory::new()
    }
}

impl Memory {
    /// A memory with the course's limits: [`MAX_ADDRESSES`] and [`WINDOW`].
    pub fn new() -> Memory {
        Memory::with_limits(MAX_ADDRESSES, WINDOW)
    }

    /// A memory with other limits (the checks use small ones).
    pub fn with_limits(max_addresses: usize, window: usize) -> Memory {
        assert!(
            max_addresses > 0 && window > 0,
            "a memory must hold at least one address and one number"
        );
        Memory {
            max_addresses,
            window,
            peers: HashMap::new(),
            by_age: BTreeMap::new(),
            clock: 0,
        }
    }

    /// How much it holds now.
    pub fn size(&self) -> Size {
        Size {
            addresses: self.peers.len(),
            ages: self.by_age.len(),
            numbers: self.peers.values().map(|p| p.numbers.len()).sum(),
        }
    }

    /// True when `from` is remembered to have sent `seq`.
    pub fn remembers(&self, from: SocketAddr, seq: u64) -> bool {
        self.peers.get(&from).is_some_and(|peer| peer.numbers.contains(&seq))
    }

    // ANCHOR: record
    /// Notes that `from` sent number `seq`, and says whether it had before.
    ///
    /// `from` becomes the most recently heard address. A new address, when
    /// the memory is full, first makes room by forgetting the least recently
    /// heard one; a new number, when the address's window is full, pushes out
    /// its oldest number.
    pub fn record(&mut self, from: SocketAddr, seq: u64) -> Seen {
        self.clock += 1;
        let now = self.clock;
        if let Some(peer) = self.peers.get_mut(&from) {
            // Heard again: move it to the young end of `by_age`.
            self.by_age.remove(&peer.heard);
            peer.heard = now;
        } else {
            if self.peers.len() >= self.max_addresses {
                if let Some((_, oldest)) = self.by_age.pop_first() {
                    self.peers.remove(&oldest);
                }
            }
            self.peers
                .insert(from, Peer { numbers: VecDeque::new(), heard: now });
        }
        self.by_age.insert(now, from);

        let peer = self.peers.get_mut(&from).expect("inserted above");
        if peer.numbers.contains(&seq) {
            return Seen::Again;
        }
        if peer.numbers.len() >= self.window {
            peer.numbers.pop_front();
        }
        peer.numbers.push_back(seq);
        Seen::First
    }
    // ANCHOR_END: record

    // ANCHOR: forget
    /// Forgets everything about `from` (it said `!DISCONNECT`).
    pub fn forget(&mut self, from: SocketAddr) {
        if let Some(peer) = self.peers.remove(&from) {
            self.by_age.remove(&peer.heard);
        }
    }
    // ANCHOR_END: forget
}
