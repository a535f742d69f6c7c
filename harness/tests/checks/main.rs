//! Proves every check can pass and can fail, end to end: a real mock IdP, the reference MCP server
//! (correct, or with one `Fault`), a ChatGPT-profile connect, every probe, then the checks over the
//! redacted transcript — judged under both spec versions.
//!
//! - `reference`: the correct server raises no FAILURE or WARNING, and every server-side check
//!   reports SUCCESS (so none of them is silently not running).
//! - `faults`: for every `Fault`, its requirement IDs fail and nothing else newly fails, except the
//!   IDs listed (with the reason) in the table.
//! - `quirks`: IdP quirks and server misconfigurations make the connect-based GPT checks fail.
//! - `check_command`: `check` with and without `--trusted-idp`, and against a silent server.
//! - `isolation`: probes on connections of their own give the same findings run after run.
//! - `tool_challenge`: ChatGPT's re-authorization on a tool-level challenge (GPT-13, seed 002).
//! - `dual_era`: the dual-era ChatGPT of 2026-08 (GPT-19…21, GPT-11 on a modern-only server).

mod check_command;
mod dual_era;
mod faults;
mod isolation;
mod modern;
mod quirks;
mod reference;
mod support;
mod tool_challenge;
