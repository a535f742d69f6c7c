//! What the harness's two loopback servers share — the mock IdP (`mock-idp`) and the reference
//! MCP server (`reference-server`) — so each writes only what makes it that server:
//!
//! - [`bind_loopback`]: bind 127.0.0.1 (never another interface: these servers hold test secrets), run an
//!   axum router, and the [`Served`] handle's bound address and graceful, bounded shutdown;
//! - [`read_body`]: buffer a request body under a size limit and a deadline, with the reason when it
//!   could not be;
//! - [`buffer_and_record`]: the request-log middleware step: buffer, run the handler, hand the exchange to
//!   the server's own log.
//!
//! Locks are `parking_lot`'s, which do not poison, so no server needs a recovery helper.

mod body;
mod record;
mod serve;
#[cfg(feature = "test-client")]
pub mod test_client;

pub use body::{BodyError, BodyLimits, read_body};
pub use record::{Exchange, LoggedRequest, buffer_and_record};
pub use serve::{BindError, Bound, SHUTDOWN_GRACE, Served, bind_loopback};
