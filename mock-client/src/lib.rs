//! The mock ChatGPT connector client: dated behaviour profiles, the connect flow and the transcript.
//!
//! Not built yet: this crate is the home of issue #3 (profiles, connect flow, transcript).
//! It exists now so the workspace has its final shape and later work lands where readers expect it.
