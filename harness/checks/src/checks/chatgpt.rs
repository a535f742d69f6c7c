//! Will ChatGPT connect? The GPT-* requirements (research `chatgpt-behaviour-and-peers.md` §1):
//! from the probes for what concerns the server alone (GPT-01, 02, 11, 12, 13, 16, 18), and from a
//! ChatGPT profile's connect — its transcript and outcome — for the flow through the server's
//! authorization server (GPT-03..11, 14, 15, 17).
//!
//! A failed connect is attributed to exactly one GPT ID ([`attribute`]), whose finding quotes what
//! ChatGPT would show and why; the steps before it are SUCCESS, the steps after it were never
//! reached and produce nothing.

use harness_transcript::{Exchange, ExchangeKind, Failure, FailureKind, NoteKind, Phase, PrmLookup};
use serde_json::{Value, json};

use super::common::{
    View, acceptable_metadata_url, answer, bearer, body_json, client_error, join, ok, result, seqs, summary,
    www_authenticate,
};
use super::tokens::{AUDIENCE_TOKENS, kind_of};
use crate::model::{Finding, Status};
use crate::probe_record::{self as probes, CHATGPT_ORIGIN, labels};

// ── The GPT rules ──────────────────────────────────────────────────────────────────────────
// One function per requirement's decision over what the transcript shows. These checks and
// certify-idp (crate harness-certify) both call them, each wording the finding for its reader,
// so the two cannot reach different verdicts from the same observation.

/// GPT-10 (and AS-04): the AS metadata advertises S256 in `code_challenge_methods_supported`.
/// `Err` carries what it advertises instead (`Null` when the member is absent).
pub fn gpt_10_rule(metadata: &Value) -> Result<(), Value> {
    let methods = metadata.get("code_challenge_methods_supported").cloned().unwrap_or(Value::Null);
    if methods.as_array().is_some_and(|a| a.iter().any(|m| m == "S256")) { Ok(()) } else { Err(methods) }
}

/// GPT-03: the first probed metadata location that answered 200 with a JSON object lacking
/// `authorization_endpoint` or `token_endpoint` — a partial document, which breaks ChatGPT's
/// connector even when another location is complete (mgaitan/quilombo#140).
pub fn gpt_03_partial<'a>(as_probes: impl IntoIterator<Item = &'a Exchange>) -> Option<&'a Exchange> {
    as_probes.into_iter().find(|e| {
        e.method == "GET" && e.status == Some(200) && body_json(e).is_some_and(|d| d.is_object() && !complete(&d))
    })
}

/// GPT-15: a refresh-grant answer gives ChatGPT a new access token (200 with `access_token`).
/// `Err` carries the answer and its `error`, if any.
pub fn gpt_15_rule(refresh: &Exchange) -> Result<(), String> {
    let token = body_json(refresh).is_some_and(|d| d.get("access_token").and_then(Value::as_str).is_some());
    if refresh.status == Some(200) && token {
        return Ok(());
    }
    let err = body_json(refresh).and_then(|d| d.get("error").cloned()).map(|x| format!(" ({x})")).unwrap_or_default();
    Err(format!("{}{err}", answer(refresh)))
}

/// GPT-17: the first of ChatGPT's registrations that was rate-limited (429), if one was.
pub fn gpt_17_rule<'a>(registrations: impl IntoIterator<Item = &'a Exchange>) -> Result<(), &'a Exchange> {
    match registrations.into_iter().find(|e| e.status == Some(429)) {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What GPT-14 concludes about the callback ChatGPT uses, from the AS metadata and whether the
/// client used (or, for certify, would use) the stable callback without RFC 9207.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Gpt14 {
    /// RFC 9207 is advertised: ChatGPT uses the stable callback and checks `iss` (judged apart).
    Advertised,
    /// Not advertised, and ChatGPT then uses its per-connector relay. Connecting works, but the
    /// Apps submission builder rejects the relay ("Missing OAuth callback data", research
    /// 2026-07-28 §ChatGPT): a WARNING.
    PerConnectorRelay,
    /// Not advertised, and this client uses the stable callback regardless, checking `iss` only
    /// when advertised: nothing about RFC 9207 was observed, so INFO.
    StableWithoutIss,
}

impl Gpt14 {
    /// The status both the checks and certify give it (`Advertised` is decided by the `iss`).
    ///
    /// `apps_submission_judged`: the profile knows the Apps submission builder's refusal (the
    /// dual-era ChatGPT of 2026-08), so GPT-21 judges what the relay means for submission; the
    /// relay itself connects (research 2026-07-28 §3), and GPT-14 says so as INFO. The dated
    /// profiles keep their WARNING.
    pub fn status(self, apps_submission_judged: bool) -> Option<Status> {
        match self {
            Gpt14::Advertised => None,
            Gpt14::PerConnectorRelay if apps_submission_judged => Some(Status::Info),
            Gpt14::PerConnectorRelay => Some(Status::Warning),
            Gpt14::StableWithoutIss => Some(Status::Info),
        }
    }
}

/// GPT-14: whether the AS advertises RFC 9207 (`authorization_response_iss_parameter_supported:
/// true`) and, when it does not, which callback ChatGPT falls back to.
pub fn gpt_14_rule(metadata: &Value, stable_without_iss: bool) -> Gpt14 {
    if metadata.get("authorization_response_iss_parameter_supported") == Some(&Value::Bool(true)) {
        Gpt14::Advertised
    } else if stable_without_iss {
        Gpt14::StableWithoutIss
    } else {
        Gpt14::PerConnectorRelay
    }
}

// ── ChatGPT's connect steps, GPT-04…GPT-09 ─────────────────────────────────────────────────
// A failed connect is attributed to exactly one GPT ID (`gpt_blame`); each step's rule then says
// FAILURE when it is the blamed one, SUCCESS when the flow got past it, and `None` when the flow
// never reached it (the scenario checks report nothing then, certify an untestable item). The
// scenario checks and certify-idp both call these, so the same transcript gets the same status.

/// What, besides the failure itself, decides which GPT ID a failed connect breaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlameContext {
    /// The host-root PRM was fetched and is not what ChatGPT accepts (no OAuth found → GPT-01,
    /// else GPT-03).
    pub root_prm_invalid: bool,
    /// A registration request was sent.
    pub registration_sent: bool,
    /// A registration was answered 429.
    pub registration_rate_limited: bool,
    /// The client id was a metadata document URL (CIMD).
    pub cimd: bool,
    /// The failing exchange was ChatGPT's `server/discover`.
    pub failed_at_discover: bool,
    /// An MCP request after the token was refused with 401/403.
    pub mcp_auth_refused: bool,
}

impl BlameContext {
    /// A context with what a flow against the authorization server alone (certify-idp) can show.
    pub fn of_flow(registration_sent: bool, registration_rate_limited: bool, cimd: bool) -> BlameContext {
        BlameContext { registration_sent, registration_rate_limited, cimd, ..BlameContext::default() }
    }
}

/// The one GPT requirement a failed connect breaks (`None`: the target never answered).
pub fn gpt_blame(x: &Failure, c: &BlameContext) -> Option<&'static str> {
    let invalid_client = x.cause.contains("invalid_client") || x.message.contains("invalid_client");
    Some(match x.kind {
        FailureKind::NoOauth if c.root_prm_invalid => "GPT-01",
        FailureKind::NoOauth => "GPT-03",
        FailureKind::PkceNotSupported => "GPT-10",
        FailureKind::NoClient => "GPT-04",
        FailureKind::AuthMethodMismatch => "GPT-05",
        FailureKind::RegistrationFailed if c.registration_rate_limited => "GPT-17",
        FailureKind::RegistrationFailed if !c.registration_sent => "GPT-09",
        FailureKind::RegistrationFailed => "GPT-05",
        FailureKind::AuthorizeFailed if c.cimd && invalid_client => "GPT-09",
        FailureKind::AuthorizeFailed | FailureKind::StateMismatch => "GPT-06",
        FailureKind::IssMismatch => "GPT-14",
        FailureKind::TokenFailed if x.phase == Phase::Refresh => "GPT-15",
        FailureKind::TokenFailed if x.phase == Phase::StepUp => "GPT-08",
        FailureKind::TokenFailed if c.cimd && invalid_client => "GPT-09",
        FailureKind::TokenFailed => "GPT-07",
        FailureKind::DiscoverInconsistent => "GPT-19",
        FailureKind::GetProbeRefused => "GPT-20",
        FailureKind::McpFailed if c.failed_at_discover => "GPT-19",
        FailureKind::RetryLimit => "GPT-08",
        FailureKind::McpFailed if c.mcp_auth_refused => "GPT-08",
        FailureKind::McpFailed => "GPT-11",
        FailureKind::Unreachable => return None,
    })
}

/// FAILURE for the blamed ID, else SUCCESS when `passed`, else not reached.
fn step(id: &str, blamed: Option<&str>, passed: bool) -> Option<Status> {
    if blamed == Some(id) {
        Some(Status::Failure)
    } else if passed {
        Some(Status::Success)
    } else {
        None
    }
}

/// GPT-04: ChatGPT gets a client. It passes once the flow has one (static id, CIMD or DCR) or
/// sent a registration (the path exists; what the registration answered is GPT-05/GPT-17's): a
/// step before the failing one is SUCCESS.
pub fn gpt_04_rule(blamed: Option<&str>, client_obtained: bool, registration_sent: bool) -> Option<Status> {
    step("GPT-04", blamed, client_obtained || registration_sent)
}

/// GPT-05: dynamic registration accepted ChatGPT's body (a 2xx registration answer).
pub fn gpt_05_rule(blamed: Option<&str>, registration_accepted: bool) -> Option<Status> {
    step("GPT-05", blamed, registration_accepted)
}

/// GPT-06: the authorization returned a code to ChatGPT's redirect URI (also when ChatGPT then
/// refused the response for its `iss`, which is GPT-14's).
pub fn gpt_06_rule(blamed: Option<&str>, code_returned: bool) -> Option<Status> {
    step("GPT-06", blamed, code_returned)
}

/// GPT-07: the code exchange accepted ChatGPT's client authentication (200).
pub fn gpt_07_rule(blamed: Option<&str>, token_issued: bool) -> Option<Status> {
    step("GPT-07", blamed, token_issued)
}

/// What was seen of GPT-08 (the MCP server accepts the new token's audience). A connect shows the
/// MCP calls; certify-idp, which has no MCP server, shows the token's `aud`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Gpt08Seen {
    /// MCP calls with the new token succeeded.
    pub calls_succeeded: bool,
    /// The server also accepted tokens for other audiences (RS-08), so the calls prove nothing
    /// about the IdP's `aud`.
    pub server_accepts_foreign_audience: bool,
    /// The token's audience: `None` not inspected, `Some(None)` not knowable (opaque, no
    /// introspection), `Some(Some(b))` whether it contains the resource.
    pub audience_has_resource: Option<Option<bool>>,
}

impl Gpt08Seen {
    /// What MCP calls after the token exchange showed.
    pub fn calls(succeeded: bool, server_accepts_foreign_audience: bool) -> Gpt08Seen {
        Gpt08Seen { calls_succeeded: succeeded, server_accepts_foreign_audience, audience_has_resource: None }
    }
    /// What the token's `aud` showed (`None`: not knowable).
    pub fn audience(has_resource: Option<bool>) -> Gpt08Seen {
        Gpt08Seen { audience_has_resource: Some(has_resource), ..Gpt08Seen::default() }
    }
}

/// GPT-08: FAILURE when blamed (the MCP server refused the token) or when the token's `aud` lacks
/// the resource (a server that validates `aud`, as it must, refuses it); WARNING when the calls
/// worked only because the server ignores `aud`; SUCCESS when calls worked or `aud` has the
/// resource; SKIPPED when the audience cannot be known and nothing else was seen.
pub fn gpt_08_rule(blamed: Option<&str>, seen: &Gpt08Seen) -> Option<Status> {
    if blamed == Some("GPT-08") || seen.audience_has_resource == Some(Some(false)) {
        return Some(Status::Failure);
    }
    if seen.calls_succeeded {
        return Some(if seen.server_accepts_foreign_audience { Status::Warning } else { Status::Success });
    }
    match seen.audience_has_resource {
        Some(Some(true)) => Some(Status::Success),
        Some(None) => Some(Status::Skipped),
        _ => None,
    }
}

/// GPT-09: a metadata-document (CIMD) client got a token (private_key_jwt, or negotiated down to
/// none); only a refusal attributed to the document (`invalid_client`) fails it.
pub fn gpt_09_rule(blamed: Option<&str>, cimd_token_issued: bool) -> Option<Status> {
    step("GPT-09", blamed, cimd_token_issued)
}

/// The findings of ChatGPT's connect for `id`, in the order the connect reached them. The connect
/// is judged as a whole (a failure is attributed to one ID, the steps after it produce nothing),
/// once per run: the view keeps the result, and each GPT rule takes its own ID's part.
pub(super) fn connect_findings(v: &View<'_>, id: &str) -> Vec<Finding> {
    let all = v.connect_findings.get_or_init(|| {
        if v.is_chatgpt() && v.connect(Phase::Discovery).next().is_some() { connect_part(v) } else { Vec::new() }
    });
    all.iter().filter(|f| f.id == id).cloned().collect()
}

/// The GPT findings of the connect: ChatGPT's own flow, then each stretch the harness ran past a
/// stop under an assumption ([`harness_transcript::Continued`]). A later stretch only adds what the
/// earlier ones did not reach, each finding saying after which failure and under which assumption
/// it was reached; the verdict stays the first stop's.
fn connect_part(v: &View<'_>) -> Vec<Finding> {
    let outcome = &v.record.outcome;
    let continued = outcome.failure().map(|f| f.continued.as_slice()).unwrap_or_default();
    let untestable = v.record.transcript.notes.iter().find(|n| n.kind == NoteKind::CimdUntestable);
    let first_hi = continued.first().map(|c| c.from_seq).unwrap_or(u32::MAX);
    let own = Span { lo: 0, flow_lo: untestable.map(|n| n.from_seq).unwrap_or(0), hi: first_hi };
    let f = Facts::of(v, own, outcome.failure(), outcome.connected());
    let mut out = findings_of(v, &f);
    if let Some(n) = untestable
        && !out.iter().any(|x| x.id == "GPT-09")
    {
        out.push(v.skipped("GPT-09", n.text.clone(), Vec::new(), json!({"note": n.kind})));
    }
    let mut after = f.blamed.map(str::to_owned).unwrap_or_else(|| "the first failure".into());
    for (i, c) in continued.iter().enumerate() {
        let hi = continued.get(i + 1).map(|n| n.from_seq).unwrap_or(u32::MAX);
        let span = Span { lo: c.from_seq, flow_lo: c.from_seq, hi };
        let g = Facts::of(v, span, c.next.failure(), c.next.connected());
        for mut x in findings_of(v, &g) {
            if out.iter().any(|y| y.id == x.id) {
                continue;
            }
            let said = x.description.replacen("ChatGPT would fail:", "ChatGPT would then fail:", 1);
            x.description = format!("After {after} (reached only by assuming {}): {said}", c.assumed);
            if let Value::Object(m) = &mut x.details {
                m.insert("continuation".into(), json!({"after": after, "assumed": c.assumed}));
            } else {
                x.details = json!({"continuation": {"after": after, "assumed": c.assumed}});
            }
            out.push(x);
        }
        if let Some(b) = g.blamed {
            after = format!("{after}, then {b}");
        }
    }
    out
}

fn findings_of(v: &View<'_>, f: &Facts<'_>) -> Vec<Finding> {
    [
        gpt_03(v, f),
        gpt_04(v, f),
        gpt_05(v, f),
        gpt_06(v, f),
        gpt_07(v, f),
        gpt_08(v, f),
        gpt_09(v, f),
        gpt_10(v, f),
        gpt_11(v, f),
        gpt_14(v, f),
        gpt_15(v, f),
        gpt_17(v, f),
        gpt_19(v, f),
        gpt_20(v, f),
        gpt_21(v, f),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The stretch of the transcript one [`Facts`] reads: `[lo, hi)`, with registration, authorization
/// and token read only from `flow_lo` on (after a CIMD attempt refused for the harness's own URL).
#[derive(Debug, Clone, Copy)]
struct Span {
    lo: u32,
    flow_lo: u32,
    hi: u32,
}

/// Whether a PRM answer is what ChatGPT accepts: 200, JSON, a non-empty `authorization_servers` of
/// absolute URLs (the mock client's `valid_prm`).
fn chatgpt_valid_prm(e: &Exchange) -> Result<(), String> {
    if e.status != Some(200) {
        return Err(format!("{} answered {}", e.url, answer(e)));
    }
    let d = body_json(e)
        .ok_or_else(|| format!("{} is not JSON{}", e.url, harness_transcript::transcript::cut_note(e.truncated)))?;
    let list = d
        .get("authorization_servers")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{} has no authorization_servers", e.url))?;
    if list.is_empty() || !list.iter().all(|s| s.as_str().is_some_and(|s| url::Url::parse(s).is_ok())) {
        return Err(format!("{} lists no usable authorization server", e.url));
    }
    Ok(())
}

/// The latest fetch of the host-root PRM (probe or connect).
fn root_prm<'a>(v: &View<'a>) -> Option<&'a Exchange> {
    let root = probes::root_prm_url(v.target())?;
    v.prm_fetches().into_iter().rev().find(|e| e.url == root)
}

/// The ChatGPT message of `id` for this target, in quotes, or nothing.
fn says(v: &View<'_>, id: &str) -> String {
    crate::catalogue::get(id)
        .and_then(|r| r.chatgpt_says(v.target()))
        .map(|m| format!(" ChatGPT shows: \"{m}\"."))
        .unwrap_or_default()
}

/// GPT-01: where ChatGPT looks for PRM. Reports from 2026-03/04 (kernel/kernel-mcp-server#91,
/// community 1378808) say ChatGPT strips the path and requires a valid host-root PRM; a 2026-09-23
/// capture (openai/codex#47513, single source) shows ChatGPT Desktop using the path-inserted PRM
/// with no root lookup. A missing root PRM is therefore a FAILURE only where no other location
/// serves valid PRM; otherwise a WARNING naming both sources. A profile that records the root rule
/// (the dated 2026 profiles) still fails its connect by it, which its verdict line shows.
pub(super) fn gpt_01(v: &View<'_>) -> Option<Finding> {
    let e = root_prm(v)?;
    let details = json!({"root_prm": summary(e)});
    let Err(why) = chatgpt_valid_prm(e) else {
        return Some(v.pass("GPT-01", format!("The host-root PRM {} is valid.", e.url), vec![e.seq], details));
    };
    let Some(p) = v.prm_fetches().into_iter().rev().find(|x| x.url != e.url && chatgpt_valid_prm(x).is_ok()) else {
        return Some(v.violated(
            "GPT-01",
            format!(
                "ChatGPT needs valid PRM at the host root (2026-03/04 reports) or, per a 2026-09 capture, at the path-inserted URL; {why}, and no other location served valid PRM.{}",
                says(v, "GPT-01")
            ),
            vec![e.seq],
            details,
        ));
    };
    let root_rule = profile_of(v).is_some_and(|p| p.discovery.prm_rule.value == client_profile::PrmRule::RootRequired);
    Some(v.finding(
        "GPT-01",
        Status::Warning,
        format!(
            "The sources disagree: ChatGPT before 2026-05 required the host-root PRM (kernel/kernel-mcp-server#91, 2026-03; community.openai.com 1378808, 2026-04), and {why}; a 2026-09-23 capture of ChatGPT Desktop (openai/codex#47513, single source) used the path-inserted PRM with no root lookup, and {} is valid. Serving PRM at the root too satisfies both.{}{}",
            p.url,
            says(v, "GPT-01"),
            if root_rule { " This profile records the 2026-03/04 rule, so its connect fails by it." } else { "" }
        ),
        vec![e.seq, p.seq],
        json!({"root_prm": summary(e), "valid_prm": summary(p), "sources": ["kernel/kernel-mcp-server#91", "openai/codex#47513"]}),
    ))
}

/// GPT-02: the 401's `resource_metadata` names the host-root PRM (seed 003: "ChatGPT rejects /mcp
/// suffixes"). Single-source evidence, hence a SHOULD.
pub(super) fn gpt_02(v: &View<'_>) -> Option<Finding> {
    let root = probes::root_prm_url(v.target())?;
    let challenged: Vec<&Exchange> =
        v.unauthenticated().into_iter().filter(|e| client_error(e) && bearer(e).is_some()).collect();
    if challenged.is_empty() {
        return None;
    }
    let ex = seqs(challenged.iter().copied());
    let bad = challenged.iter().find_map(|e| {
        let named = bearer(e).and_then(|c| c.param("resource_metadata").map(str::to_owned));
        match named {
            Some(u) if super::common::same_resource(&u, &root) == Some(true) => None,
            Some(u) => Some(format!("it names `{u}`")),
            None => Some(format!("it names none (`{}`)", www_authenticate(e).unwrap_or_default())),
        }
    });
    // As for GPT-01: a profile that follows the path-inserted PRM (today's) was built from a
    // 2026-09 capture that contradicts seed 003, so the finding names both sources rather than
    // stating the 2025 rule as ChatGPT's.
    let root_rule = profile_of(v).is_none_or(|p| p.discovery.prm_rule.value == client_profile::PrmRule::RootRequired);
    Some(match bad {
        Some(why) if root_rule => v.violated(
            "GPT-02",
            format!("ChatGPT expects the 401 challenge's resource_metadata to be the host-root PRM {root}; {why}."),
            ex,
            json!({"expected": root}),
        ),
        Some(why) => v.violated(
            "GPT-02",
            format!(
                "The sources disagree: seed 003 (ChatGPT, 2025-09) says ChatGPT rejects a resource_metadata with a path suffix and expects the host-root PRM {root}, and {why}; a 2026-09-23 capture of ChatGPT Desktop (openai/codex#47513, single source) fetched the path-inserted PRM (whether from the challenge was not recorded). Naming the host-root PRM, and serving it, satisfies both."
            ),
            ex,
            json!({"expected": root, "sources": ["seed 003", "openai/codex#47513"]}),
        ),
        None => v.pass("GPT-02", format!("The 401 challenge points at the host-root PRM {root}."), ex, Value::Null),
    })
}

/// GPT-11 (probe part): ChatGPT's 2025 capture sent `Accept: text/event-stream` alone (research
/// §1.6, single source), while seed 003 (a server ChatGPT connected to in September 2025) requires
/// `application/json, text/event-stream` and the current profiles send both. Refusing the one-type
/// header is therefore INFO — unless a shipped ChatGPT profile sends one type, in which case that
/// client would fail: WARNING.
pub(super) fn gpt_11_probe(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::ACCEPT_SSE_ONLY)?;
    let details = json!({"answer": summary(e)});
    let one_type_profiles = one_type_accept_profiles();
    Some(match e.status {
        Some(s) if (200..300).contains(&s) => v.pass("GPT-11", "initialize with ChatGPT's 2025 `Accept: text/event-stream` alone is served.", vec![e.seq], details),
        None => return None,
        Some(_) if one_type_profiles.is_empty() => v.info(
            "GPT-11",
            format!(
                "initialize with `Accept: text/event-stream` alone got {}. ChatGPT was captured sending that in 2025 (single source), but seed 003's server required both types and ChatGPT connected to it in September 2025, and no current ChatGPT profile sends one type, so this is not a defect.",
                answer(e)
            ),
            vec![e.seq],
            details,
        ),
        Some(_) => v.finding(
            "GPT-11",
            Status::Warning,
            format!(
                "initialize with `Accept: text/event-stream` alone got {}; the ChatGPT profile(s) {} send exactly that, so such a client would fail.{}",
                answer(e),
                one_type_profiles.join(", "),
                says(v, "GPT-11")
            ),
            vec![e.seq],
            details,
        ),
    })
}

/// The shipped ChatGPT profiles whose MCP `Accept` names one type only.
pub(crate) fn one_type_accept_profiles() -> Vec<String> {
    client_profile::builtin_names()
        .into_iter()
        .filter(|n| client_profile::is_chatgpt(n))
        .filter(|n| {
            client_profile::builtin(n).is_ok_and(|p| {
                let a = p.mcp.accept.value.to_ascii_lowercase();
                !(a.contains("application/json") && a.contains("text/event-stream"))
            })
        })
        .collect()
}

/// GPT-12: a preflight from `https://chatgpt.com` is allowed (Fetch §CORS-preflight; research §1.1).
/// `Access-Control-Allow-Headers: *` does not cover `Authorization` (Fetch), so it must be named.
pub(super) fn gpt_12(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::CORS_PREFLIGHT)?;
    let details = json!({"answer": summary(e), "headers": e.response_headers.iter().filter(|(k, _)| k.to_ascii_lowercase().starts_with("access-control-")).collect::<Vec<_>>()});
    let list = |name: &str| -> Vec<String> {
        e.response_header(name)
            .map(|h| h.split(',').map(|x| x.trim().to_ascii_lowercase()).collect())
            .unwrap_or_default()
    };
    let mut problems = Vec::new();
    if !ok(e) {
        problems.push(format!("the preflight got {}", answer(e)));
    } else {
        match e.response_header("access-control-allow-origin") {
            Some(o) if o.trim() == "*" || o.trim().eq_ignore_ascii_case(CHATGPT_ORIGIN) => {}
            Some(o) => problems.push(format!("Access-Control-Allow-Origin is `{o}`")),
            None => problems.push("there is no Access-Control-Allow-Origin".into()),
        }
        let methods = list("access-control-allow-methods");
        if !methods.iter().any(|m| m == "post" || m == "*") {
            problems.push("POST is not in Access-Control-Allow-Methods".into());
        }
        if !list("access-control-allow-headers").iter().any(|h| h == "authorization") {
            problems.push("authorization is not in Access-Control-Allow-Headers".into());
        }
    }
    Some(if problems.is_empty() {
        v.pass(
            "GPT-12",
            "A CORS preflight from https://chatgpt.com is allowed, with POST and Authorization.",
            vec![e.seq],
            details,
        )
    } else {
        v.violated(
            "GPT-12",
            format!("Expected a CORS preflight from https://chatgpt.com to be allowed; {}", join(&problems)),
            vec![e.seq],
            details,
        )
    })
}

/// GPT-13: tool-level `_meta["mcp/www_authenticate"]` challenges (Apps SDK, seed 002) are
/// well-formed, and the call works after ChatGPT re-authorizes.
pub(super) fn gpt_13(v: &View<'_>) -> Option<Finding> {
    let calls: Vec<(&Exchange, Value)> = v
        .exchanges()
        .iter()
        .filter(|e| v.is_mcp(e) && ok(e) && e.request_body.as_deref().is_some_and(|b| b.contains("\"tools/call\"")))
        .filter_map(|e| result(e).map(|r| (e, r)))
        .collect();
    let challenged: Vec<&(&Exchange, Value)> =
        calls.iter().filter(|(_, r)| r.pointer("/_meta/mcp~1www_authenticate").is_some()).collect();
    if challenged.is_empty() {
        return None;
    }
    let mut problems = Vec::new();
    for (e, r) in &challenged {
        let meta = &r["_meta"]["mcp/www_authenticate"];
        if r.get("isError") != Some(&Value::Bool(true)) {
            problems.push(format!("`{}` carries a challenge without isError: true, so ChatGPT ignores it", e.label));
        }
        let values: Vec<&str> = match meta {
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            Value::String(s) => vec![s.as_str()],
            _ => Vec::new(),
        };
        if values.is_empty() {
            problems.push(format!(
                "`{}`: _meta[\"mcp/www_authenticate\"] is {meta}, not a list of challenge strings",
                e.label
            ));
        }
        for s in values {
            match mcp_wire::challenge::bearer(s) {
                None => problems.push(format!("`{s}` is not a Bearer challenge")),
                Some(c) => match c.param("resource_metadata") {
                    None => problems.push(format!("`{s}` names no resource_metadata")),
                    Some(u) => {
                        if let Err(why) = acceptable_metadata_url(u) {
                            problems.push(why);
                        }
                    }
                },
            }
        }
    }
    // After a re-authorization (step-up) the connect retries the call: it must not be challenged again.
    let last_step_up = v.connect(Phase::StepUp).last().map(|e| e.seq);
    let first_in_connect = challenged.iter().find(|(e, _)| e.phase == Phase::Mcp).map(|(e, _)| *e);
    let mut reauthorized = None;
    if let (Some(after), Some(first)) = (last_step_up, first_in_connect) {
        let retried = calls.iter().find(|(e, _)| e.phase == Phase::Mcp && e.seq > after && e.seq > first.seq);
        if let Some((e, r)) = retried {
            if r.pointer("/_meta/mcp~1www_authenticate").is_some() {
                problems.push(format!("after ChatGPT re-authorized, `{}` was challenged again", e.label));
            } else {
                reauthorized = Some(e.seq);
            }
        }
    }
    let mut ex = seqs(challenged.iter().map(|(e, _)| *e));
    let mut ok = format!("{} tool-level challenge(s) are well-formed.", challenged.len());
    if let Some(seq) = reauthorized {
        ex.push(seq);
        ok.push_str(" ChatGPT signed in again (step-up) and the retried call was answered without a challenge.");
    }
    Some(v.verdict("GPT-13", super::common::counted(&problems), ok, ex, Value::Null))
}

/// GPT-16: a token taken from the query string leaks into access logs (seed 000; the spec forbids
/// clients to send it there, A1125 L457).
pub(super) fn gpt_16(v: &View<'_>) -> Option<Finding> {
    let tries: Vec<&Exchange> =
        [labels::QUERY_ACCESS_TOKEN, labels::QUERY_TOKEN].iter().filter_map(|l| v.probe(l)).collect();
    if tries.is_empty() {
        return None;
    }
    let ex = seqs(tries.iter().copied());
    let accepted: Vec<&Exchange> = tries.iter().copied().filter(|e| ok(e) && result(e).is_some()).collect();
    let open = v.unauthenticated().iter().any(|e| ok(e));
    Some(if let Some(e) = accepted.first() {
        if open {
            return Some(v.info("GPT-16", "Not judged: initialize is served without any token, so accepting one in the query cannot be told apart.", ex, Value::Null));
        }
        let param = if e.kind == ExchangeKind::probe(labels::QUERY_TOKEN) { "token" } else { "access_token" };
        v.violated(
            "GPT-16",
            format!(
                "A valid token sent only as `?{param}=` was accepted ({}); URLs with tokens end up in access logs and proxies — read it from the Authorization header only.",
                answer(e)
            ),
            ex,
            json!({"accepted": accepted.iter().map(|e| e.label.clone()).collect::<Vec<_>>()}),
        )
    } else {
        v.pass("GPT-16", "A token in the URL query (?access_token=, ?token=) is not accepted.", ex, Value::Null)
    })
}

/// GPT-18: where served, the MCP manifest names schemaVersion 2025-06-18 (seed 003; low evidence).
pub(super) fn gpt_18(v: &View<'_>) -> Option<Finding> {
    let e = v.probe(labels::MANIFEST)?;
    let details = json!({"answer": summary(e)});
    if e.status != Some(200) {
        return Some(v.skipped("GPT-18", format!("No MCP manifest is served ({}).", answer(e)), vec![e.seq], details));
    }
    let version = body_json(e).and_then(|d| d.get("schemaVersion").cloned());
    Some(match version.as_ref().and_then(Value::as_str) {
        Some("2025-06-18") => v.pass("GPT-18", "The MCP manifest names schemaVersion 2025-06-18.", vec![e.seq], details),
        _ => v.violated(
            "GPT-18",
            format!(
                "The MCP manifest names schemaVersion {}; a 2025 report says ChatGPT assumed legacy requirements unless it is 2025-06-18.",
                version.map(|x| x.to_string()).unwrap_or_else(|| "nothing".into())
            ),
            vec![e.seq],
            details,
        ),
    })
}

/// What the connect (or one continued stretch of it) established, read once.
struct Facts<'a> {
    span: Span,
    failure: Option<&'a Failure>,
    /// The GPT ID the failure is attributed to.
    blamed: Option<&'static str>,
    connected: bool,
    /// AS metadata probes (discovery exchanges of the `as metadata` kind).
    as_probes: Vec<&'a Exchange>,
    /// The first complete AS metadata document the connect fetched.
    metadata: Option<(&'a Exchange, Value)>,
    dcr: Vec<&'a Exchange>,
    authorize: Vec<&'a Exchange>,
    /// The code exchange (not refresh, not step-up).
    token: Option<&'a Exchange>,
    refresh: Vec<&'a Exchange>,
    /// Whether the client id was a metadata document URL.
    cimd: bool,
}

impl<'a> Facts<'a> {
    fn of(v: &View<'a>, span: Span, failure: Option<&'a Failure>, connected: bool) -> Facts<'a> {
        let in_span = move |e: &&Exchange| e.seq >= span.lo && e.seq < span.hi;
        let in_flow = move |e: &&Exchange| e.seq >= span.flow_lo.max(span.lo) && e.seq < span.hi;
        let as_probes: Vec<&Exchange> = v
            .connect(Phase::Discovery)
            .filter(in_span)
            .filter(|e| matches!(e.kind, ExchangeKind::AsMetadata { .. }))
            .collect();
        let metadata = as_probes
            .iter()
            .filter(|e| e.method == "GET" && e.status == Some(200))
            .find_map(|e| body_json(e).filter(complete).map(|d| (*e, d)));
        let dcr: Vec<&Exchange> =
            v.connect(Phase::Registration).filter(in_flow).filter(|e| e.kind == ExchangeKind::Registration).collect();
        let authorize: Vec<&Exchange> = v.connect(Phase::Authorize).filter(in_flow).collect();
        let cimd = cimd_authorization(authorize.first().copied());
        let token = v.connect(Phase::Token).filter(in_flow).find(|e| e.kind.is_token("authorization_code"));
        let refresh: Vec<&Exchange> = v.connect(Phase::Refresh).filter(in_span).collect();
        let mut f =
            Facts { span, failure, blamed: None, connected, as_probes, metadata, dcr, authorize, token, refresh, cimd };
        f.blamed = failure.and_then(|x| attribute(v, &f, x));
        f
    }
}

/// Whether the flow's first authorization request names a metadata-document client (its
/// `client_id` is an http(s) URL).
pub fn cimd_authorization(first_authorize: Option<&Exchange>) -> bool {
    first_authorize.is_some_and(|e| {
        url::Url::parse(&e.url)
            .ok()
            .and_then(|u| u.query_pairs().find(|(k, _)| k == "client_id").map(|(_, v)| v.into_owned()))
            .is_some_and(|id| id.starts_with("https://") || id.starts_with("http://"))
    })
}

/// AS metadata ChatGPT can use: both endpoints present.
fn complete(d: &Value) -> bool {
    d.get("authorization_endpoint").and_then(Value::as_str).is_some()
        && d.get("token_endpoint").and_then(Value::as_str).is_some()
}

/// The one GPT requirement a failed connect breaks: [`gpt_blame`] with what this transcript shows.
fn attribute(v: &View<'_>, f: &Facts<'_>, x: &Failure) -> Option<&'static str> {
    let in_span = |e: &&Exchange| e.seq >= f.span.lo && e.seq < f.span.hi;
    let root_prm_invalid = v
        .connect(Phase::Discovery)
        .filter(in_span)
        .find(|e| e.kind == ExchangeKind::Prm { lookup: PrmLookup::Root })
        .is_some_and(|e| chatgpt_valid_prm(e).is_err());
    let refused = |e: &Exchange| matches!(e.status, Some(401 | 403));
    let at = x.seq.and_then(|s| v.exchanges().iter().find(|e| e.seq == s));
    let after_token = f.token.map(|t| t.seq).unwrap_or(0);
    let mcp_auth_refused = at.is_some_and(refused)
        || v.exchanges()
            .iter()
            .any(|e| e.phase == Phase::Mcp && e.seq > after_token && e.seq < f.span.hi && refused(e));
    let c = BlameContext {
        root_prm_invalid,
        registration_sent: !f.dcr.is_empty(),
        registration_rate_limited: f.dcr.iter().any(|e| e.status == Some(429)),
        cimd: f.cimd,
        failed_at_discover: at.is_some_and(|e| e.kind.is_mcp(DISCOVER)),
        mcp_auth_refused,
    };
    gpt_blame(x, &c)
}

/// The FAILURE for the blamed ID: what ChatGPT shows and why.
fn blame(v: &View<'_>, f: &Facts<'_>, id: &str) -> Option<Finding> {
    let x = f.failure.filter(|_| f.blamed == Some(id))?;
    // For refused MCP calls, the server's own words: its last challenge says why (e.g. the aud).
    let last_refusal = matches!(id, "GPT-08" | "GPT-11")
        .then(|| {
            v.exchanges().iter().rev().find(|e| {
                e.seq >= f.span.lo
                    && e.seq < f.span.hi
                    && matches!(e.phase, Phase::Mcp | Phase::StepUp)
                    && v.is_mcp(e)
                    && e.status.is_some_and(|s| s >= 400)
            })
        })
        .flatten()
        .map(|e| {
            format!(
                " (the MCP server's last refusal: {}{})",
                answer(e),
                www_authenticate(e).map(|w| format!(" `{w}`")).unwrap_or_default()
            )
        })
        .unwrap_or_default();
    Some(v.violated(
        id,
        format!("ChatGPT would fail: \"{}\" — because {}{last_refusal}.", x.message, x.cause.trim_end_matches('.')),
        x.seq.into_iter().collect(),
        json!({"kind": x.kind, "phase": x.phase, "message": x.message, "cause": x.cause}),
    ))
}

/// GPT-03: AS metadata is found where ChatGPT probes, and no probed location serves a partial
/// document (mgaitan/quilombo#140).
fn gpt_03(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if let Some(b) = blame(v, f, "GPT-03") {
        return Some(b);
    }
    if f.as_probes.is_empty() {
        return None;
    }
    let ex = seqs(f.as_probes.iter().copied());
    if let Some(p) = gpt_03_partial(f.as_probes.iter().copied()) {
        return Some(v.violated(
            "GPT-03",
            format!("{} serves a partial metadata document (no authorization_endpoint or token_endpoint), which breaks ChatGPT's connector even when another location is valid.{}", p.url, says(v, "GPT-03")),
            ex,
            json!({"partial": summary(p)}),
        ));
    }
    let (e, _) = f.metadata.as_ref()?;
    let found: Vec<Value> =
        f.as_probes.iter().map(|e| json!({"request": format!("{} {}", e.method, e.url), "status": e.status})).collect();
    Some(v.pass("GPT-03", format!("ChatGPT finds complete AS metadata at {}.", e.url), ex, json!({"probes": found})))
}

/// GPT-04: ChatGPT can get a client (static id, CIMD or DCR); else "Failed to resolve OAuth client".
fn gpt_04(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if gpt_04_rule(f.blamed, !f.authorize.is_empty(), !f.dcr.is_empty())? == Status::Failure {
        return blame(v, f, "GPT-04");
    }
    let Some(first) = f.authorize.first() else {
        return Some(v.pass(
            "GPT-04",
            "ChatGPT finds a registration path (dynamic registration); what the registration answered is judged by GPT-05 / GPT-17.",
            seqs(f.dcr.iter().copied()),
            Value::Null,
        ));
    };
    let how = if f.cimd {
        "a Client ID Metadata Document"
    } else if !f.dcr.is_empty() {
        "dynamic registration"
    } else {
        "a pre-registered client"
    };
    Some(v.pass("GPT-04", format!("ChatGPT gets a client through {how}."), vec![first.seq], Value::Null))
}

/// GPT-05: DCR accepts ChatGPT's body and echoes its auth method (gts360/django-oauth-toolkit-dcr#1).
fn gpt_05(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    let accepted = f.dcr.iter().rev().find(|e| ok(e));
    if gpt_05_rule(f.blamed, accepted.is_some())? == Status::Failure {
        return blame(v, f, "GPT-05");
    }
    let e = accepted?;
    let method =
        body_json(e).and_then(|d| d.get("token_endpoint_auth_method").and_then(Value::as_str).map(str::to_owned));
    Some(v.pass(
        "GPT-05",
        format!(
            "Dynamic registration accepts ChatGPT's body ({}; token_endpoint_auth_method {}).",
            answer(e),
            method.unwrap_or_else(|| "not echoed".into())
        ),
        vec![e.seq],
        Value::Null,
    ))
}

/// Whether the authorization sent the browser back to the client's redirect URI with a code.
fn callback_has_code(f: &Facts<'_>) -> bool {
    let Some(redirect) = f.authorize.first().and_then(|e| redirect_of(e)) else { return false };
    f.authorize
        .iter()
        .filter_map(|e| e.response_header("location"))
        .filter(|l| l.starts_with(&redirect))
        .filter_map(|l| url::Url::parse(l).ok())
        .any(|u| u.query_pairs().any(|(k, v)| k == "code" && !v.is_empty()))
}

/// GPT-06: authorization accepts ChatGPT's request (redirect URI, resource, state, scopes).
fn gpt_06(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if gpt_06_rule(f.blamed, f.token.is_some() || callback_has_code(f))? == Status::Failure {
        return blame(v, f, "GPT-06");
    }
    let Some(t) = f.token else {
        return Some(v.pass(
            "GPT-06",
            "The authorization request returns a code to ChatGPT's redirect URI (whether ChatGPT accepts the response's iss is GPT-14).",
            seqs(f.authorize.iter().copied()),
            Value::Null,
        ));
    };
    Some(v.pass(
        "GPT-06",
        "The authorization request returns a code to ChatGPT's redirect URI.",
        seqs(f.authorize.iter().copied().chain([t])),
        Value::Null,
    ))
}

/// The code exchange, when it was answered 200.
fn token_issued<'a>(f: &Facts<'a>) -> Option<&'a Exchange> {
    f.token.filter(|e| e.status == Some(200))
}

/// GPT-07: the code exchange accepts ChatGPT's client authentication as sent.
fn gpt_07(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if gpt_07_rule(f.blamed, token_issued(f).is_some())? == Status::Failure {
        return blame(v, f, "GPT-07");
    }
    let t = token_issued(f)?;
    let auth = if t.request_header("authorization").is_some_and(|a| a.starts_with("Basic")) {
        "client_secret_basic"
    } else if t.request_body.as_deref().is_some_and(|b| b.contains("client_assertion=")) {
        "private_key_jwt"
    } else if t.request_body.as_deref().is_some_and(|b| b.contains("client_secret=")) {
        "client_secret_post"
    } else {
        "none"
    };
    Some(v.pass(
        "GPT-07",
        format!("The token endpoint accepts ChatGPT's {auth} client authentication."),
        vec![t.seq],
        Value::Null,
    ))
}

/// GPT-08: MCP calls with the new token succeed (Keycloak's missing audience mapper, seed 003). A
/// server that ignores `aud` lets ChatGPT in without proving the IdP stamps the right audience.
fn gpt_08(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    let loose: Vec<&Exchange> = v
        .probes_prefixed(labels::NEGATIVE_TOKEN_PREFIX)
        .into_iter()
        .filter(|e| kind_of(e).is_some_and(|k| AUDIENCE_TOKENS.contains(&k)) && ok(e))
        .collect();
    let calls = seqs(v.connect(Phase::Mcp).filter(|e| e.seq >= f.span.lo && e.seq < f.span.hi));
    match gpt_08_rule(f.blamed, &Gpt08Seen::calls(f.connected, !loose.is_empty()))? {
        Status::Failure => blame(v, f, "GPT-08"),
        Status::Warning => {
            let mut ex = calls;
            ex.extend(seqs(loose.iter().copied()));
            Some(v.finding(
                "GPT-08",
                Status::Warning,
                "ChatGPT connects, but only because the server also accepts tokens issued for other audiences (RS-08): whether the IdP puts this server in aud is unproven, and ChatGPT will get 401s once the audience is validated.",
                ex,
                Value::Null,
            ))
        }
        _ => Some(v.pass(
            "GPT-08",
            "After the token exchange, ChatGPT's MCP calls succeed with the token.",
            calls,
            Value::Null,
        )),
    }
}

/// GPT-09: a metadata-document client is accepted with private_key_jwt or negotiated down to none.
fn gpt_09(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    let t = token_issued(f).filter(|_| f.cimd);
    if gpt_09_rule(f.blamed, t.is_some())? == Status::Failure {
        return blame(v, f, "GPT-09");
    }
    let t = t?;
    let method = if t.request_body.as_deref().is_some_and(|b| b.contains("client_assertion=")) {
        "private_key_jwt"
    } else {
        "none"
    };
    Some(v.pass(
        "GPT-09",
        format!("ChatGPT's Client ID Metadata Document is accepted ({method} at the token endpoint)."),
        vec![t.seq],
        Value::Null,
    ))
}

/// GPT-10: `code_challenge_methods_supported` includes S256 ("or ChatGPT will refuse").
fn gpt_10(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if let Some(b) = blame(v, f, "GPT-10") {
        return Some(b);
    }
    let (e, d) = f.metadata.as_ref()?;
    Some(match gpt_10_rule(d) {
        Ok(()) => {
            v.pass("GPT-10", "The AS advertises S256 in code_challenge_methods_supported.", vec![e.seq], Value::Null)
        }
        Err(methods) => v.violated(
            "GPT-10",
            format!("Expected code_challenge_methods_supported to include S256; it is {methods}."),
            vec![e.seq],
            Value::Null,
        ),
    })
}

/// GPT-11 (connect part): initialize as ChatGPT sends it succeeds, and notifications are taken.
/// Era-aware: a refusal that names only 2026-07-28 versions (a modern-only server) fails this
/// profile's 2025 handshake, but ChatGPT since 2026-08 reaches such a server through
/// `server/discover` (GPT-19), so that is a WARNING saying both, not a confident FAILURE.
fn gpt_11(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if f.blamed == Some("GPT-11")
        && let Some(x) = f.failure
        && let Some(e) = x.seq.and_then(|s| v.exchanges().iter().find(|e| e.seq == s))
        && e.kind.is_mcp("initialize")
        && let Some(modern) = modern_only_refusal(e)
    {
        return Some(v.finding(
            "GPT-11",
            Status::Warning,
            format!(
                "This profile's ChatGPT (2025 initialize handshake only) would fail: \"{}\" — because initialize got {} naming only {modern}: the server speaks MCP 2026-07-28 only. ChatGPT since 2026-08 sends server/discover first and connects to such a server through the 2026-07-28 path (profile chatgpt-2026-08-dual-era, GPT-19); a ChatGPT that still opens with initialize cannot.",
                x.message,
                answer(e)
            ),
            vec![e.seq],
            json!({"kind": x.kind, "message": x.message, "cause": x.cause, "era": "modern"}),
        ));
    }
    if let Some(b) = blame(v, f, "GPT-11") {
        return Some(b);
    }
    if f.connected
        && let Some(d) = v
            .connect(Phase::Mcp)
            .filter(|e| e.seq >= f.span.lo && e.seq < f.span.hi)
            .find(|e| e.kind.is_mcp(DISCOVER) && ok(e))
        && !v.connect(Phase::Mcp).any(|e| e.seq > d.seq && e.seq < f.span.hi && e.kind.is_mcp("initialize"))
    {
        return Some(v.info(
            "GPT-11",
            "Not used: ChatGPT connected through server/discover (MCP 2026-07-28), which has no initialize; GPT-19 judges that path.",
            vec![d.seq],
            Value::Null,
        ));
    }
    let init = v
        .connect(Phase::Mcp)
        .filter(|e| e.seq >= f.span.lo && e.seq < f.span.hi)
        .find(|e| e.kind.is_mcp("initialize") && ok(e))?;
    Some(v.pass(
        "GPT-11",
        "initialize with ChatGPT's clientInfo, protocol version and Accept succeeds.",
        vec![init.seq],
        Value::Null,
    ))
}

/// GPT-14: the stable callback is used only with RFC 9207 advertised and an exact `iss`.
fn gpt_14(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if let Some(b) = blame(v, f, "GPT-14") {
        return Some(b);
    }
    let t = f.token?;
    let first = f.authorize.first()?;
    let stable = first.url.contains("connector_platform_oauth_redirect");
    let meta = f.metadata.as_ref().map(|(_, d)| d.clone()).unwrap_or(Value::Null);
    let verdict = gpt_14_rule(&meta, stable);
    let ex = vec![first.seq, t.seq];
    let details = json!({"stable_callback": stable, "iss_advertised": verdict == Gpt14::Advertised});
    let judged = judges_gpt_21(v);
    Some(match verdict {
        Gpt14::Advertised => v.pass(
            "GPT-14",
            "The AS implements RFC 9207 (advertised, exact iss), so ChatGPT uses its stable callback.",
            ex,
            details,
        ),
        Gpt14::StableWithoutIss => v.info(
            "GPT-14",
            "RFC 9207 is not advertised; this profile uses the stable callback regardless and checks iss only when advertised, and the callback was accepted.",
            ex,
            details,
        ),
        Gpt14::PerConnectorRelay if verdict.status(judged) == Some(Status::Info) => v.info(
            "GPT-14",
            format!(
                "RFC 9207 is not advertised, so ChatGPT uses its per-connector callback ({}), and connecting works; what that means for Apps submission is GPT-21.",
                redirect_of(first).unwrap_or_else(|| "https://chatgpt.com/connector/oauth/{id}".into())
            ),
            ex,
            details,
        ),
        Gpt14::PerConnectorRelay => v.finding(
            "GPT-14",
            Status::Warning,
            format!(
                "RFC 9207 is not advertised, so ChatGPT uses its per-connector callback ({}): connecting works, but the Apps submission builder rejects it (\"Missing OAuth callback data\"). Advertise authorization_response_iss_parameter_supported: true and send an exact iss.",
                redirect_of(first).unwrap_or_else(|| "https://chatgpt.com/connector/oauth/{id}".into())
            ),
            ex,
            details,
        ),
    })
}

/// The `redirect_uri` an authorization request carried.
fn redirect_of(e: &Exchange) -> Option<String> {
    url::Url::parse(&e.url).ok()?.query_pairs().find(|(k, _)| k == "redirect_uri").map(|(_, v)| v.into_owned())
}

/// GPT-15: the refresh grant works (research §1.7: "Your <App> connection has expired").
fn gpt_15(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if let Some(b) = blame(v, f, "GPT-15") {
        return Some(b);
    }
    let e = f.refresh.last()?;
    Some(match gpt_15_rule(e) {
        Ok(()) => v.pass(
            "GPT-15",
            "The refresh grant returns a new access token.",
            seqs(f.refresh.iter().copied()),
            Value::Null,
        ),
        Err(got) => v.violated(
            "GPT-15",
            format!("Expected the refresh grant to return a new access token; it got {got}.{}", says(v, "GPT-15")),
            seqs(f.refresh.iter().copied()),
            json!({"answer": summary(e)}),
        ),
    })
}

/// GPT-17: DCR is not rate-limited below one registration per attempt (research §1.1).
fn gpt_17(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if let Some(b) = blame(v, f, "GPT-17") {
        return Some(b);
    }
    if f.dcr.is_empty() {
        return None;
    }
    let ex = seqs(f.dcr.iter().copied());
    Some(match gpt_17_rule(f.dcr.iter().copied()) {
        Err(e) => v.violated(
            "GPT-17",
            format!(
                "Dynamic registration answered 429{}; ChatGPT registers a new client on every attempt from shared addresses.",
                e.response_header("retry-after").map(|r| format!(" (Retry-After {r})")).unwrap_or_default()
            ),
            ex,
            Value::Null,
        ),
        Ok(()) => v.pass("GPT-17", "Dynamic registration is not rate-limited.", ex, Value::Null),
    })
}

// ── The dual-era ChatGPT (2026-08): GPT-19, GPT-20, GPT-21 ─────────────────────────────────

/// The method a dual-era client opens with.
const DISCOVER: &str = "server/discover";

/// The run's profile, when it is a shipped one or a readable file (the checks read facts such as
/// whether the profile knows the Apps submission builder's message).
fn profile_of(v: &View<'_>) -> Option<client_profile::Profile> {
    client_profile::load(&v.record.profile).ok()
}

/// The JSON-RPC error code of an answer, if it carries one.
fn error_code(e: &Exchange) -> Option<i64> {
    super::common::rpc_error(e).and_then(|x| x.get("code").and_then(Value::as_i64))
}

/// GPT-19: whether what the server served after `server/discover` contradicts the discover
/// answer (`mcp_wire::discover::contradiction`, the same reading the mock client refuses by).
/// `None` when the discover answer was no `server/discover` result (a legacy server's error).
pub fn gpt_19_rule(discover: &Exchange, served: &Exchange, version: &str) -> Option<Result<(), String>> {
    let promise = super::common::result(discover).and_then(|r| mcp_wire::discover::Promise::of(&r))?;
    let method = match &served.kind {
        ExchangeKind::Mcp { method } => method.as_str(),
        _ => "the next request",
    };
    let message =
        super::common::messages(served).into_iter().find(|m| m.get("result").is_some() || m.get("error").is_some());
    let answer = mcp_wire::discover::Served { method, status: served.status.unwrap_or(0), message: message.as_ref() };
    Some(match mcp_wire::discover::contradiction(&promise, version, answer) {
        None => Ok(()),
        Some(why) => Err(why),
    })
}

/// GPT-19: ChatGPT's `server/discover` is answered consistently with what the server then serves,
/// or as a legacy server whose answer sends ChatGPT to `initialize`.
fn gpt_19(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if let Some(b) = blame(v, f, "GPT-19") {
        return Some(b);
    }
    if !f.connected {
        return None;
    }
    let mcp: Vec<&Exchange> =
        v.connect(Phase::Mcp).filter(|e| e.seq >= f.span.lo && e.seq < f.span.hi && !e.continuation).collect();
    let discover = mcp.iter().copied().find(|e| e.kind.is_mcp(DISCOVER))?;
    let next = mcp.iter().copied().find(|e| e.seq > discover.seq && matches!(e.kind, ExchangeKind::Mcp { .. }))?;
    let code = error_code(discover).map(|c| format!(" (JSON-RPC {c})")).unwrap_or_default();
    let details = json!({"discover": summary(discover), "next": summary(next)});
    if next.kind.is_mcp("initialize") {
        return Some(v.pass(
            "GPT-19",
            format!(
                "server/discover got {}{code}, which ChatGPT reads as a legacy server: it falls back to initialize, which {}.",
                answer(discover),
                if ok(next) { "succeeds" } else { "is answered" }
            ),
            vec![discover.seq, next.seq],
            details,
        ));
    }
    let version = profile_of(v).and_then(|p| p.eras).map(|e| e.version()).unwrap_or(mcp_wire::SpecVersion::NEWEST);
    Some(match gpt_19_rule(discover, next, version.as_str())? {
        Ok(()) => v.pass(
            "GPT-19",
            format!(
                "server/discover ({}) agrees with what the server then serves: {} answered {}.",
                version.as_str(),
                label_method(next),
                answer(next)
            ),
            vec![discover.seq, next.seq],
            details,
        ),
        Err(why) => v.violated(
            "GPT-19",
            format!("ChatGPT refuses such a server at connector creation (HTTP 424): {why}.{}", says(v, "GPT-19")),
            vec![discover.seq, next.seq],
            details,
        ),
    })
}

/// The versions an `initialize` refusal names when they are all 2026-07-28 or later (a
/// modern-only server's -32022 with `data.supported`, H-41), as text.
fn modern_only_refusal(e: &Exchange) -> Option<String> {
    let err = super::common::rpc_error(e)?;
    let supported: Vec<&str> = err.pointer("/data/supported")?.as_array()?.iter().filter_map(Value::as_str).collect();
    let modern = |s: &&str| mcp_wire::SpecVersion::parse(s).is_some_and(mcp_wire::SpecVersion::is_stateless);
    (!supported.is_empty() && supported.iter().all(modern)).then(|| supported.join(", "))
}

/// The MCP method of an exchange, for text.
fn label_method(e: &Exchange) -> String {
    match &e.kind {
        ExchangeKind::Mcp { method } => method.clone(),
        _ => e.label.clone(),
    }
}

/// GPT-20: ChatGPT's GET probe of the MCP URL (2026-08, single source) gets an event stream or
/// 405. A 404 is what ChatGPT refused ("MCP SSE probe returned 404"); other answers were never
/// reported refused, so they are INFO.
fn gpt_20(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if let Some(b) = blame(v, f, "GPT-20") {
        return Some(b);
    }
    let e =
        v.connect(Phase::Mcp).find(|e| e.seq >= f.span.lo && e.seq < f.span.hi && e.kind == ExchangeKind::GetProbe)?;
    let sse = e
        .response_header("content-type")
        .is_some_and(|c| c.trim().to_ascii_lowercase().starts_with("text/event-stream"));
    let details = json!({"answer": summary(e)});
    Some(match e.status {
        Some(405) => v.pass("GPT-20", "ChatGPT's GET probe of the MCP URL gets 405 (no server-initiated stream).", vec![e.seq], details),
        Some(s) if (200..300).contains(&s) && sse => {
            v.pass("GPT-20", "ChatGPT's GET probe of the MCP URL gets an event stream.", vec![e.seq], details)
        }
        Some(_) | None => v.info(
            "GPT-20",
            format!(
                "ChatGPT's GET probe of the MCP URL got {}; only a 404 is known to be refused (tunnel-client#35, single source), and 2026-07-28 names 405 (H-32).",
                answer(e)
            ),
            vec![e.seq],
            details,
        ),
    })
}

/// What GPT-21 concludes about Apps submission from the AS metadata and the callback's `iss`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Gpt21 {
    /// RFC 9207 advertised and the callback's `iss` is the metadata issuer: the stable callback
    /// works, as the submission builder needs.
    Stable,
    /// Not advertised: ChatGPT uses its per-connector relay, which the builder rejects.
    NotAdvertised,
    /// Advertised, but the callback's `iss` (given) is not the metadata issuer.
    IssNotReturned(Option<String>),
}

/// GPT-21: whether the Apps submission builder gets the stable callback it needs (RFC 9207 `iss`
/// advertised and returned exactly, postiz-app#2092).
pub fn gpt_21_rule(metadata: &Value, callback_iss: Option<&str>) -> Gpt21 {
    if gpt_14_rule(metadata, false) != Gpt14::Advertised {
        return Gpt21::NotAdvertised;
    }
    match (metadata.get("issuer").and_then(Value::as_str), callback_iss) {
        (Some(i), Some(c)) if i == c => Gpt21::Stable,
        (_, c) => Gpt21::IssNotReturned(c.map(str::to_owned)),
    }
}

/// Whether the run's profile knows the Apps submission builder's refusal (judges GPT-21).
fn judges_gpt_21(v: &View<'_>) -> bool {
    profile_of(v).is_some_and(|p| gpt_21_judged(&p))
}

/// Whether a profile judges GPT-21: it records the Apps submission builder's refusal ("Missing
/// OAuth callback data", the dual-era ChatGPT of 2026-08). The checks and certify both ask this.
pub fn gpt_21_judged(p: &client_profile::Profile) -> bool {
    p.messages.missing_callback_data.is_some()
}

/// The `iss` of the callback the authorization answered with, if any.
fn callback_iss(f: &Facts<'_>) -> Option<String> {
    let redirect = f.authorize.first().and_then(|e| redirect_of(e))?;
    f.authorize
        .iter()
        .filter_map(|e| e.response_header("location"))
        .filter(|l| l.starts_with(&redirect))
        .filter_map(|l| url::Url::parse(l).ok())
        .next_back()
        .and_then(|u| u.query_pairs().find(|(k, _)| k == "iss").map(|(_, v)| v.into_owned()))
}

/// GPT-21: Apps submission needs the stable callback, so RFC 9207 advertised and `iss` returned.
fn gpt_21(v: &View<'_>, f: &Facts<'_>) -> Option<Finding> {
    if !judges_gpt_21(v) {
        return None;
    }
    let t = f.token?;
    let (m, meta) = f.metadata.as_ref()?;
    let ex = vec![m.seq, t.seq];
    let iss = callback_iss(f);
    Some(match gpt_21_rule(meta, iss.as_deref()) {
        Gpt21::Stable => v.pass(
            "GPT-21",
            "RFC 9207 is advertised and the callback carries the exact iss: ChatGPT uses its stable callback, as Apps submission needs.",
            ex,
            Value::Null,
        ),
        Gpt21::NotAdvertised => v.violated(
            "GPT-21",
            format!(
                "The AS does not advertise authorization_response_iss_parameter_supported: true, so ChatGPT uses its per-connector callback; connecting works, but the Apps submission builder rejects it.{} Advertise RFC 9207 and return an exact iss.",
                says(v, "GPT-21")
            ),
            ex,
            Value::Null,
        ),
        Gpt21::IssNotReturned(got) => v.violated(
            "GPT-21",
            format!(
                "RFC 9207 is advertised but the callback's iss is {}, not the metadata issuer.{}",
                got.map(|g| format!("`{g}`")).unwrap_or_else(|| "absent".into()),
                says(v, "GPT-21")
            ),
            ex,
            Value::Null,
        ),
    })
}
