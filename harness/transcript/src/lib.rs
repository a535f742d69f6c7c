//! The transcript of a connector run, as data: the ordered exchanges the mock client recorded,
//! the secrets they carry and how to redact them, and how the connect ended.
//!
//! The mock client writes this; checks, snapshots and reports read it and nothing else. It does no
//! I/O and depends on neither tokio nor reqwest, so "checks only read the transcript" holds by
//! construction: a crate that depends only on this one cannot send a request.

mod kind;
pub mod outcome;
pub mod redact;
pub mod transcript;

pub use outcome::{Continued, Failure, FailureKind, Outcome};
pub use transcript::{Exchange, ExchangeKind, Note, NoteKind, Phase, PrmLookup, Secret, SecretKind, Transcript};
