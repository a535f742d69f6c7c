//! End-to-end tests of the mock IdP over real HTTP on 127.0.0.1: one binary, one module per area.

mod common;

mod authorize;
mod cimd;
mod discovery;
mod minting;
mod quirks;
mod registration;
mod robustness;
mod soak;
mod token;
