//! End-to-end tests of the reference MCP server over real HTTP on 127.0.0.1, against a real mock
//! IdP: one binary, one module per area.

mod common;

mod auth;
mod faults;
mod mixed;
mod modern;
mod prm;
mod transport;
