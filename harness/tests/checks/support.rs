//! A run as the runner will do it: mock IdP, reference server, connect, probes, checks.

use harness::checks;
use harness::model::{Finding, RunRecord, Status};
use harness::probes::{self, Probe, ProbeContext};
use harness::reference::{Era, ModernFault, ReferenceHandle, ReferenceServer};
use mock_client::{Client, ConnectOptions, Outcome, profile};
use mock_idp::{IdpHandle, MockIdp};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Changes the reference server's builder (adds a fault, points it elsewhere).
pub type ServerFn = Box<dyn FnOnce(ReferenceServer, &IdpHandle) -> ReferenceServer + Send>;

/// What to run.
pub struct Setup {
    pub idp: MockIdp,
    pub server: ServerFn,
    pub profile: &'static str,
    /// Refresh the token after connecting (exercises GPT-15).
    pub refresh: bool,
    /// Move the IdP's clock this far before refreshing (expires the refresh token).
    pub expire_refresh: Option<i64>,
    /// Run every probe (connect-only when false).
    pub probes: bool,
    /// Also run the `modern` probe (2026-07-28), which is not in `Probe::ALL` yet.
    pub modern: bool,
    /// Probes run after all others (e.g. `modern_auth`, not in `Probe::ALL` either).
    pub extra: Vec<Probe>,
}

impl Setup {
    pub fn new(profile: &'static str) -> Setup {
        Setup {
            idp: MockIdp::builder(),
            server: Box::new(|b, _| b),
            profile,
            refresh: false,
            expire_refresh: None,
            probes: true,
            modern: false,
            extra: Vec::new(),
        }
    }
    pub fn server(mut self, f: impl FnOnce(ReferenceServer, &IdpHandle) -> ReferenceServer + Send + 'static) -> Setup {
        self.server = Box::new(f);
        self
    }
    /// The 2026-07-28 checks' run: `profile` with the `modern` probe against a reference server
    /// in `era`, with `fault` (none: the faultless server).
    pub fn modern(profile: &'static str, era: Era, fault: Option<ModernFault>) -> Setup {
        let mut setup = Setup::new(profile);
        setup.modern = true;
        setup.server(move |b, _| {
            let b = b.era(era);
            match fault {
                Some(f) => b.modern_fault(f),
                None => b,
            }
        })
    }
}

/// A judged run: the record and its findings under each spec version.
pub struct Judged {
    pub record: RunRecord,
    pub by_version: Vec<(&'static str, Vec<Finding>)>,
}

impl Judged {
    /// FAILURE/WARNING findings by ID, the worst over both versions.
    pub fn problems(&self) -> BTreeMap<String, Finding> {
        let mut out: BTreeMap<String, Finding> = BTreeMap::new();
        for (_, list) in &self.by_version {
            for f in list.iter().filter(|f| f.status.is_problem()) {
                let worse = out.get(&f.id).is_none_or(|x| f.status.severity() > x.status.severity());
                if worse {
                    out.insert(f.id.clone(), f.clone());
                }
            }
        }
        out
    }

    /// The 2025-11-25 finding for an ID.
    pub fn get(&self, id: &str) -> Option<&Finding> {
        self.by_version[0].1.iter().find(|f| f.id == id)
    }

    /// Every finding under a version, one line each, for failure messages.
    pub fn dump(&self) -> String {
        let mut s = format!("outcome: {:?}\n", self.record.outcome);
        for (v, list) in &self.by_version {
            s.push_str(&format!("-- {v}\n"));
            for f in list {
                s.push_str(&format!("{:<7} {:?} {}\n", f.id, f.status, f.description));
            }
        }
        s
    }
}

pub async fn run(setup: Setup) -> Judged {
    let idp = Arc::new(setup.idp.start().await.expect("mock IdP starts"));
    let builder = ReferenceServer::builder().issuer(idp.issuer()).jwks_uri(idp.jwks_uri());
    let server: ReferenceHandle = (setup.server)(builder, &idp).start().await.expect("reference server starts");
    let rewrite_idp = idp.clone();
    let opts = ConnectOptions {
        cimd_rewrite: Some(Arc::new(move |from: &str, to: &str| rewrite_idp.add_fetch_rewrite(from, to))),
        ..Default::default()
    };
    let mut client = Client::new(profile::builtin(setup.profile).expect("builtin profile"), opts);
    let outcome = client.connect(server.url()).await.expect("the harness can connect");
    if setup.refresh && outcome.connected() {
        if let Some(secs) = setup.expire_refresh {
            idp.advance_clock(secs);
        }
        let _ = client.refresh().await;
    }
    if setup.probes {
        let token = client.access_token().map(str::to_owned);
        let session = client.session_id().map(str::to_owned);
        let version = match &outcome {
            Outcome::Connected { protocol_version, .. } => protocol_version.clone(),
            Outcome::Failed(_) | Outcome::NotAttempted => None,
        };
        let ctx = ProbeContext {
            rec: client.recorder(),
            target: server.url(),
            idp: Some(&idp),
            issuer: None,
            token: token.as_deref(),
            session_id: session.as_deref(),
            protocol_version: version.as_deref(),
            user_agent: "connector-harness-test",
        };
        let modern = [Probe::Modern];
        let extra: &[Probe] = if setup.modern { &modern } else { &[] };
        for p in Probe::ALL.iter().chain(extra).chain(&setup.extra) {
            let before = client.recorder().transcript().exchanges.len();
            probes::run(p, &ctx).await.unwrap_or_else(|e| panic!("probe {p}: {e}"));
            let sent = client.recorder().transcript().exchanges.len() - before;
            assert!(
                sent <= p.max_requests(),
                "probe {p} sent {sent} requests, more than its bound {}",
                p.max_requests()
            );
        }
    }
    client.finish().await;
    let record = RunRecord {
        target: server.url().to_owned(),
        profile: setup.profile.to_owned(),
        profile_display: client.profile().display.clone(),
        spec_version: mcp_wire::SpecVersion::V2025_11_25,
        outcome,
        // Checks judge the unredacted run, as the runner does (RS-16 weighs the session ids).
        transcript: client.transcript(),
    };
    let mut by_version = Vec::new();
    for v in ["2025-11-25", "2025-06-18"] {
        let r = RunRecord { spec_version: mcp_wire::SpecVersion::parse(v).unwrap(), ..record.clone() };
        by_version.push((v, checks::run(&r)));
    }
    let j = Judged { record, by_version };
    if std::env::var_os("CHECKS_DUMP").is_some() {
        eprintln!("{}", j.dump());
    }
    j
}

/// The status of `id` under 2025-11-25, or `None`.
pub fn status(j: &Judged, id: &str) -> Option<Status> {
    j.get(id).map(|f| f.status)
}
