//! Scenario files: the format, loading (with fragments and matrices), and selection.
//!
//! A scenario reads aloud as what it proves. The model is pure data with no I/O beyond reading
//! files; the [`crate::runner`] executes it.

mod load;
mod model;
mod select;

pub(crate) use load::load_embedded;
pub use load::{LoadError, load_dir, load_file, load_str};
pub use model::{
    ClientSettings, CommandTarget, Expect, ExpectedOutcome, HttpMethod, JUDGED_SPECS, Loaded, Login, MatrixEntry,
    Planned, RawRequest, RawStep, ReferenceTarget, Scenario, SendToken, SpecVersion, Step, TargetSpec,
};
pub use select::matches;
