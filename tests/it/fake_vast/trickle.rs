//! Slow-drip answers: a hostile or broken server that sends its answer one
//! byte at a time. Each byte arrives well within any per-read timeout, so
//! only a total deadline per request stops the client from waiting for the
//! whole drip.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The drip never lasts longer than this, so a client without a total
/// deadline still finishes (with a truncated answer) and a failing test
/// fails in bounded time.
pub const TRICKLE_LIMIT: Duration = Duration::from_secs(30);

/// What is dripped and how fast.
#[derive(Clone, Copy, Debug)]
pub struct Trickle {
    /// Pause before each byte.
    pub every: Duration,
    /// Drip the status line and headers too (else they go at once and only
    /// the body drips).
    pub headers: bool,
}

impl Trickle {
    /// Writes `head` (status line and headers, blank line included) and
    /// `body`, dripping what `self` says. Stops quietly when the client
    /// hangs up or after [`TRICKLE_LIMIT`].
    pub fn write(&self, stream: &mut TcpStream, head: &[u8], body: &[u8]) {
        let started = Instant::now();
        let mut slow: Vec<u8> = Vec::new();
        if self.headers {
            slow.extend_from_slice(head);
        } else if stream
            .write_all(head)
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
        slow.extend_from_slice(body);
        for byte in slow {
            std::thread::sleep(self.every);
            if started.elapsed() > TRICKLE_LIMIT {
                return;
            }
            if stream
                .write_all(&[byte])
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
        }
    }
}
