//! The scenario runner: scenario files, checks over transcripts, snapshots and reports.
//!
//! Built so far: [`reference`](mod@reference), the embedded reference MCP server (a correct
//! OAuth-protected Streamable HTTP server, and the fixture servers that break one requirement
//! each). The runner, checks and reports (issue #4) land here next.

pub mod reference;
