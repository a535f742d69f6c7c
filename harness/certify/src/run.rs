//! A certification end to end: [`observe`](crate::observe) the issuer, then
//! [`judge`](crate::judge) what was observed. The live run and `--rejudge` of its saved
//! observations go through the same judge.

pub use crate::observations::{CimdMode, ProbeOutcome, RunKind};
pub use crate::observe::{
    CertifyConfig, CertifyError, DEFAULT_PROFILES, DEFAULT_RESOURCE, DEFAULT_REUSE_WAIT, FOREIGN_REDIRECT,
    FOREIGN_RESOURCE, PUBLIC_RUN, Progress, UNREGISTERED_SUFFIX, Wait,
};

use crate::model::Certification;
use crate::observations::Observations;

/// Certifies the issuer: observes every profile's flow and probes (the public-client probe when
/// needed), then judges the observations into items.
pub async fn certify(cfg: &CertifyConfig) -> Result<Certification, CertifyError> {
    Ok(certify_observed(cfg).await?.1)
}

/// [`certify`], also returning what was observed (for `--save-observations`).
pub async fn certify_observed(cfg: &CertifyConfig) -> Result<(Observations, Certification), CertifyError> {
    let o = crate::observe::observe(cfg).await?;
    let c = crate::judge::certification(&o);
    Ok((o, c))
}
