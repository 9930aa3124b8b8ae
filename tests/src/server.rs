//! The learner's server, started in-process on a free port.

use std::io;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::thread;

use crate::client::Fate;

use crate::client::Client;
use crate::failure::Failure;
use crate::panics::{self, MANAGED};

/// A learner's server running on a thread of the test process, on `127.0.0.1:0`.
///
/// The harness binds the listener and hands it over, so the check knows the
/// address before the server runs and never waits for it to start: a client
/// may connect at once, the kernel queues the connection until the server
/// calls `accept`.
pub struct Server {
    addr: SocketAddr,
    name: String,
    stopped: Arc<Fate>,
}

impl Server {
    /// Starts `serve` with a fresh listener; `name` is how failures call it,
    /// e.g. `"echo::serve"`.
    ///
    /// A server is meant to run forever. If it returns or panics, the reason is
    /// kept and reported by every client failure that follows, since "connection
    /// refused" alone would not tell a learner what happened.
    pub fn start<F>(name: &str, serve: F) -> Server
    where
        F: FnOnce(TcpListener) -> io::Result<()> + Send + 'static,
    {
        let listener = TcpListener::bind("127.0.0.1:0").expect("binding 127.0.0.1:0 failed");
        Self::start_with(name, listener, serve)
    }

    /// Like [`Server::start`], with a listener the check prepared itself.
    pub fn start_with<F>(name: &str, listener: TcpListener, serve: F) -> Server
    where
        F: FnOnce(TcpListener) -> io::Result<()> + Send + 'static,
    {
        let addr = listener.local_addr().expect("a bound listener has an address");
        let stopped = Arc::new(Fate::default());
        let record = Arc::clone(&stopped);
        let who = name.to_string();
        thread::Builder::new()
            .name(format!("{MANAGED}server"))
            .spawn(move || {
                let why = match panics::catch(move || serve(listener)) {
                    Ok(Ok(())) => format!(
                        "`{who}` returned Ok(()): a server should keep accepting clients, \
                         in a loop that does not end"
                    ),
                    Ok(Err(e)) => format!(
                        "`{who}` returned an error: {e}\n(one client's error must not end the server: \
                         handle it inside the accept loop, print it, and accept the next client)"
                    ),
                    Err(caught) => format!("`{who}` stopped: {}", caught.describe()),
                };
                record.set(why);
            })
            .expect("the harness could not start the server thread");
        Server { addr, name: name.to_string(), stopped }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// A new client connected to this server.
    pub fn connect(&self) -> Client {
        Client::connect_watching(self.addr, Some(Arc::clone(&self.stopped)))
    }

    /// Why the server thread ended, if it has.
    pub fn stopped(&self) -> Option<String> {
        self.stopped.get()
    }

    /// Fails the check if the server thread has ended.
    pub fn assert_running(&self, after: &str) {
        if let Some(why) = self.stopped() {
            Failure::new(format!("the server stopped after {after}")).field("server", why).fail();
        }
    }
}
