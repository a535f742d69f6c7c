//! The scenario runner: scenario files, checks over transcripts, snapshots and reports.
//!
//! Not built yet: this crate is the home of issue #4 (scenario files, runner, checks, reports).
//! It exists now so the workspace has its final shape and later work lands where readers expect it.
