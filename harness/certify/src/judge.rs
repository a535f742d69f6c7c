//! From what each run observed to the certification items: one set of checks per item and run,
//! each a [`Finding`] citing the exchanges that show it, with what to change in the IdP when it
//! fails (`details.remedy`). The rules are documented per item in [`super::catalogue::ITEMS`].

use std::collections::BTreeMap;

use mock_client::profile::{RedirectRule, RegistrationKind};
use mock_client::{Exchange, ExchangeKind, FailureKind, Phase, Transcript};
use serde_json::{Value, json};

use super::catalogue::{self, ITEMS};
use super::model::{Certification, Evidence, Item, ItemResult, ProfileRun, combine};
use super::observations::{
    CimdMode, FOREIGN_RESOURCE, Login, Observations, ProbeOutcome, RunKind, RunObs, Step, kind_name, probe,
};
use super::text::{excerpt, one_line_capped, refusal};
use super::token::Signature;
use harness_checks::checks::authorization_server::{
    CimdPart, IssObserved, as_24_rule, as_25_rule, as_26_rule, as_27_rule, as_28_rule, iss_advertised,
};
use harness_checks::checks::chatgpt::{
    BlameContext, Gpt08Seen, Gpt14, Gpt21, cimd_authorization, gpt_03_partial, gpt_04_rule, gpt_05_rule, gpt_06_rule,
    gpt_07_rule, gpt_08_rule, gpt_09_rule, gpt_10_rule, gpt_14_rule, gpt_15_rule, gpt_17_rule, gpt_21_judged,
    gpt_21_rule, gpt_blame,
};
use harness_checks::model::{Finding, Status};

const STABLE_CALLBACK: &str = "https://chatgpt.com/connector_platform_oauth_redirect";

/// Everything one run's checks need.
struct J<'a> {
    o: &'a RunObs,
    cfg: &'a Observations,
    t: &'a Transcript,
}

fn finding(id: &str, status: Status, description: impl Into<String>, exchanges: Vec<u32>) -> Finding {
    let (name, _, _) = catalogue::get(id)
        .map(catalogue::describe)
        .unwrap_or_else(|| (id.to_owned(), harness_checks::catalogue::Level::Must, String::new()));
    let spec_refs = harness_checks::catalogue::get(id).map(|r| r.spec_refs()).unwrap_or_default();
    let mut exchanges = exchanges;
    exchanges.sort_unstable();
    exchanges.dedup();
    Finding {
        id: id.to_owned(),
        name,
        status,
        description: description.into(),
        spec_refs,
        details: Value::Null,
        exchanges,
        untestable: false,
    }
}

fn with_remedy(mut f: Finding, remedy: impl Into<String>) -> Finding {
    if f.status.is_problem() {
        f.details = json!({ "remedy": remedy.into() });
    }
    f
}

fn remedy_of(f: &Finding) -> Option<&str> {
    f.details.get("remedy").and_then(Value::as_str)
}

fn is_complete(e: &Exchange) -> bool {
    e.status == Some(200)
        && e.json().is_some_and(|v| v["authorization_endpoint"].is_string() && v["token_endpoint"].is_string())
}

fn status_text(e: &Exchange) -> String {
    match (e.status, &e.error) {
        (Some(s), _) => format!("HTTP {s}"),
        (None, Some(err)) => format!("no response ({err})"),
        (None, None) => "no response".into(),
    }
}

fn audience_remedy(resource: &str) -> String {
    format!(
        "Put the RFC 8707 resource in the access token's aud: a request with resource={resource} must yield a token \
         whose aud is (or contains) \"{resource}\". Keycloak: a client scope with an audience mapper \
         (included.custom.audience = {resource}, access.token.claim = true) in the realm's default client scopes; \
         Auth0: an API whose identifier is {resource}; others: enable resource indicators (RFC 8707)."
    )
}

fn redirect_remedy() -> String {
    "Allow ChatGPT's redirect URIs for dynamically registered clients: https://chatgpt.com/connector_platform_oauth_redirect \
     and the per-connector https://chatgpt.com/connector/oauth/{callback_id} (Keycloak: add chatgpt.com — and \
     openai.com — to the client-registration policy \"Trusted Hosts\" and turn off \"host sending registration request \
     must match\", seed 003 §2.2)."
        .to_owned()
}

fn auth_method_remedy(method: &str) -> String {
    match method {
        "client_secret_basic" => "Enable client_secret_basic at the token endpoint: accept `Authorization: Basic \
            base64(urlencode(client_id):urlencode(client_secret))` alone, without also requiring client_id in the \
            form body (RFC 6749 §2.3.1)."
            .to_owned(),
        "client_secret_post" => {
            "Enable client_secret_post: accept client_id and client_secret in the form body of token requests."
                .to_owned()
        }
        "private_key_jwt" => "Accept private_key_jwt (RFC 7523) for metadata-document clients: verify the assertion \
            with the keys at the document's jwks_uri, aud = your token endpoint or issuer."
            .to_owned(),
        _ => "Accept public clients (token_endpoint_auth_method none): client_id in the body and PKCE instead of a \
              secret."
            .to_owned(),
    }
}

impl<'a> J<'a> {
    fn f(&self, id: &str, status: Status, d: impl Into<String>, ex: Vec<u32>) -> Finding {
        finding(id, status, d, ex)
    }

    fn failure(&self) -> Option<&mock_client::Failure> {
        self.o.result.as_ref().err()
    }

    /// The flow's registration requests (ChatGPT's own, not the probes').
    fn flow_registrations(&self) -> Vec<&Exchange> {
        self.t.phase(Phase::Registration).filter(|e| e.kind == ExchangeKind::Registration).collect()
    }

    /// The GPT ID the flow's failure is attributed to — the scenario checks' attribution
    /// ([`gpt_blame`]) from the same transcript, so a failure is blamed on the same step in both.
    fn blamed(&self) -> Option<&'static str> {
        let regs = self.flow_registrations();
        let cimd = cimd_authorization(self.t.phase(Phase::Authorize).next());
        let c = BlameContext::of_flow(!regs.is_empty(), regs.iter().any(|e| e.status == Some(429)), cimd);
        gpt_blame(self.failure()?, &c)
    }

    fn stopped(&self) -> String {
        if let Some((login, _)) = self.login_failure() {
            return login;
        }
        match self.failure() {
            Some(f) => format!("the flow stopped at {}: {}", f.phase, f.cause),
            None => "the flow did not get that far".into(),
        }
    }

    fn untestable(&self, id: &str, what: &str) -> Finding {
        if let Some((login, ex)) = self.login_failure() {
            // The harness could not sign in: nothing after the login says anything about the IdP.
            return self.f(id, Status::Skipped, format!("not tested: {what}; {login}"), ex);
        }
        let ex = self.failure().and_then(|f| f.seq).into_iter().collect();
        let mut f = self.f(id, Status::Failure, format!("not tested: {what}; {}", self.stopped()), ex);
        f.untestable = true;
        f
    }

    fn meta(&self) -> Option<&Value> {
        self.o.discovered.as_ref().map(|d| &d.metadata).filter(|m| !m.is_null())
    }

    fn meta_str(&self, k: &str) -> Option<&str> {
        self.meta().and_then(|m| m.get(k)).and_then(Value::as_str)
    }

    fn meta_seq(&self) -> Vec<u32> {
        let url = self.o.discovered.as_ref().map(|d| d.metadata_url.as_str()).unwrap_or_default();
        self.t.exchanges.iter().filter(|e| e.url == url && e.method == "GET").map(|e| e.seq).take(1).collect()
    }

    fn seqs(&self, phase: Phase) -> Vec<u32> {
        self.t.phase(phase).map(|e| e.seq).collect()
    }

    fn discovery_ok(&self) -> bool {
        self.o.discovered.is_some() && self.failure().is_none_or(|f| f.phase != Phase::Discovery)
    }

    /// The main flow got a code (its authorization was accepted), also when the client then
    /// refused the response (iss or state) or the code exchange failed.
    fn authorized(&self) -> bool {
        match &self.o.result {
            Ok(_) => true,
            Err(f) if f.phase == Phase::Token => true,
            Err(f) if matches!(f.kind, FailureKind::IssMismatch | FailureKind::StateMismatch) => {
                self.callback().is_some_and(|u| u.query_pairs().any(|(k, _)| k == "code"))
            }
            Err(_) => false,
        }
    }

    fn has_token(&self) -> bool {
        self.o.result.is_ok()
    }

    fn cimd_used(&self) -> bool {
        self.o.registered.as_ref().is_some_and(|c| c.kind == RegistrationKind::Cimd)
    }

    fn chatgpt_says(&self) -> String {
        self.failure().map(|f| format!("ChatGPT would show \"{}\": ", f.message)).unwrap_or_default()
    }

    /// The failure's cause, or nothing.
    fn stopped_cause(&self) -> String {
        self.failure().map(|f| f.cause.clone()).unwrap_or_default()
    }

    fn failure_seq(&self) -> Vec<u32> {
        self.failure().and_then(|f| f.seq).into_iter().collect()
    }

    fn token_seq(&self) -> Vec<u32> {
        match &self.o.result {
            Ok(a) => vec![a.token_seq],
            Err(f) if f.phase == Phase::Token => f.seq.into_iter().collect(),
            _ => vec![],
        }
    }

    /// The URL the main flow's browser was sent back to.
    fn callback(&self) -> Option<url::Url> {
        if let Ok(a) = &self.o.result {
            return Some(a.callback.clone());
        }
        let redirect = self.o.registered.as_ref()?.redirect_uri.clone();
        self.t
            .phase(Phase::Authorize)
            .filter_map(|e| e.response_header("location"))
            .filter(|l| l.starts_with(&redirect))
            .filter_map(|l| url::Url::parse(l).ok())
            .last()
    }

    fn sent_state(&self) -> Option<String> {
        let first = self.t.phase(Phase::Authorize).next()?;
        let u = url::Url::parse(&first.url).ok()?;
        u.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned())
    }

    fn registrations(&self) -> Vec<&Exchange> {
        let Some(endpoint) = self.meta_str("registration_endpoint") else { return vec![] };
        self.t.exchanges.iter().filter(|e| e.method == "POST" && e.url == endpoint).collect()
    }

    fn dcr_exchange(&self) -> Option<&Exchange> {
        self.t.phase(Phase::Registration).filter(|e| e.method == "POST").last()
    }

    fn probe_check(&self, id: &str, name: &str, what: &str, remedy: &str) -> Finding {
        let Some(p) = self.o.probes.get(name) else {
            return self.untestable(id, &format!("{what} was not sent"));
        };
        let ex = p.seqs.clone();
        match &p.outcome {
            ProbeOutcome::Pass(t) => self.f(id, Status::Success, format!("{what}: {t}"), ex),
            ProbeOutcome::Fail(t) => with_remedy(self.f(id, Status::Failure, format!("{what}: {t}"), ex), remedy),
            ProbeOutcome::Unclear(t) => with_remedy(self.f(id, Status::Warning, format!("{what}: {t}"), ex), remedy),
            ProbeOutcome::NeedsUser(t) => self.f(id, Status::Skipped, format!("{what}: {t}"), ex),
            ProbeOutcome::Info(t) => self.f(id, Status::Info, format!("{what}: {t}"), ex),
            ProbeOutcome::NotRun(t) => {
                let mut f = self.f(id, Status::Failure, format!("{what}: not tested: {t}"), ex);
                f.untestable = true;
                f
            }
        }
    }

    /// The authorization failed in the user's part: a submitted login form was refused, or
    /// nothing was pasted in manual mode — the harness's problem, not the IdP's.
    fn login_failed(&self, f: &mock_client::Failure) -> bool {
        f.phase == Phase::Authorize && self.login_failure().is_some()
    }

    /// The main flow's sign-in failed — a submitted login form answered 4xx/5xx, the login page
    /// kept coming back, or nothing usable was pasted in manual mode: one line saying where and
    /// what came back (sanitised), and the exchange that shows it. The items after the login are
    /// SKIPPED with this reason; the login itself is one finding under GPT-06.
    fn login_failure(&self) -> Option<(String, Vec<u32>)> {
        let f = self.failure().filter(|f| f.phase == Phase::Authorize)?;
        let submits: Vec<&Exchange> =
            self.t.phase(Phase::Authorize).filter(|e| e.kind == ExchangeKind::LoginForm).collect();
        let failing = f.seq.and_then(|s| self.t.exchanges.iter().find(|e| e.seq == s));
        let hint = match &self.cfg.login {
            Login::Manual => "sign in in the browser and paste the whole URL you are sent back to",
            Login::Form { fields } if fields.is_empty() => {
                "check the --login-field values (none were given; field names as in the login page's HTML)"
            }
            _ => "check the --login-field values (field names as in the login page's HTML)",
        };
        if let Some(e) = failing.filter(|e| e.kind == ExchangeKind::LoginForm && e.status.is_some_and(|s| s >= 400)) {
            let page = response_gist(e).map(|g| format!(" ({g})")).unwrap_or_default();
            return Some((
                format!("login failed at {}: {}{page} — {hint}", without_query(&e.url), status_text(e)),
                vec![e.seq],
            ));
        }
        // With no --login-field values the form driver submits the page's defaults (empty fields);
        // an error page after that submission is the sign-in failing, wherever the IdP shows it
        // (oidc-provider answers the empty login with HTTP 500 on its next page). With values given,
        // only a refused submission itself counts, so an IdP that breaks after a good sign-in is
        // still judged.
        let no_fields = matches!(&self.cfg.login, Login::Form { fields } if fields.is_empty());
        if let (true, Some(first), Some(e)) = (no_fields, submits.first(), failing)
            && e.seq > first.seq
            && e.status.is_some_and(|s| s >= 400)
        {
            let page = response_gist(e).map(|g| format!(" ({g})")).unwrap_or_default();
            return Some((
                format!(
                    "login failed: the sign-in form at {} was submitted without --login-field values, and the IdP \
                     then answered {} at {}{page} — pass --login-field NAME=VALUE for the login page's fields",
                    without_query(&first.url),
                    status_text(e),
                    without_query(&e.url)
                ),
                vec![first.seq, e.seq],
            ));
        }
        if f.cause.contains("pages before reaching the redirect URI") && submits.len() >= 2 {
            let e = submits[submits.len() - 1];
            let page = response_gist(e).map(|g| format!(" ({g})")).unwrap_or_default();
            return Some((
                format!(
                    "login failed at {}: the sign-in pages kept coming back after {} form submissions{page} — {hint}",
                    without_query(&e.url),
                    submits.len()
                ),
                submits.iter().map(|e| e.seq).collect(),
            ));
        }
        if f.cause.contains("no redirect URL was pasted") || f.cause.contains("the pasted") {
            return Some((format!("sign-in not completed: {} — {hint}", one_line_capped(&f.cause, 200)), vec![]));
        }
        None
    }

    fn cimd_gate(&self, id: &str) -> Result<(), Box<Finding>> {
        let p = &self.o.profile.name;
        match &self.o.cimd {
            CimdMode::NotInProfile => Err(Box::new(self.f(
                id,
                Status::Skipped,
                format!("{p} does not use Client ID Metadata Documents"),
                vec![],
            ))),
            CimdMode::StaticClient => Err(Box::new(self.f(
                id,
                Status::Skipped,
                format!("a static client was given, which {p} uses instead of a metadata document"),
                vec![],
            ))),
            CimdMode::Unreachable(why) | CimdMode::LoopbackRefused(why) => {
                Err(Box::new(self.f(id, Status::Skipped, why.clone(), vec![])))
            }
            CimdMode::Available => Ok(()),
        }
    }

    fn cimd_advertised(&self) -> bool {
        self.meta().and_then(|m| m.get("client_id_metadata_document_supported")) == Some(&Value::Bool(true))
    }

    // ── discovery ──────────────────────────────────────────────────────────────────────────

    fn as02(&self) -> Vec<Finding> {
        let gets: Vec<&Exchange> = self.t.phase(Phase::Discovery).filter(|e| e.method == "GET").collect();
        if gets.is_empty() {
            if let Some(f) = self.failure().filter(|f| f.kind == FailureKind::Unreachable) {
                return vec![with_remedy(
                    self.f(
                        "AS-02",
                        Status::Failure,
                        format!("the issuer did not answer: {}", f.cause),
                        self.failure_seq(),
                    ),
                    format!(
                        "Make {} reachable over https, with metadata at its well-known locations.",
                        self.cfg.issuer
                    ),
                )];
            }
            return vec![self.untestable("AS-02", "no metadata location was requested")];
        }
        let ex: Vec<u32> = gets.iter().map(|e| e.seq).collect();
        let listing = gets.iter().map(|e| format!("{} → {}", e.url, status_text(e))).collect::<Vec<_>>().join("; ");
        let rfc = gets.iter().find(|e| e.url.contains("/.well-known/oauth-authorization-server") && is_complete(e));
        let oidc = gets.iter().find(|e| e.url.contains("openid-configuration") && is_complete(e));
        let rfc_url = well_known(&self.cfg.issuer, "oauth-authorization-server");
        let f = match (rfc, oidc) {
            (Some(r), o) => self.f(
                "AS-02",
                Status::Success,
                format!(
                    "RFC 8414 metadata at {}{}",
                    r.url,
                    o.map(|o| format!(", OpenID Connect discovery at {}", o.url)).unwrap_or_default()
                ),
                ex,
            ),
            (None, Some(o)) => with_remedy(
                self.f(
                    "AS-02",
                    Status::Warning,
                    format!(
                        "only OpenID Connect discovery serves complete metadata ({}); MCP 2025-06-18 clients read \
                         RFC 8414 only ({listing})",
                        o.url
                    ),
                    ex,
                ),
                format!("Also serve the metadata at {rfc_url} (RFC 8414 §3.1)."),
            ),
            (None, None) => with_remedy(
                self.f("AS-02", Status::Failure, format!("no location serves complete metadata: {listing}"), ex),
                format!(
                    "Serve the authorization server metadata (issuer, authorization_endpoint, token_endpoint, …) at \
                     {rfc_url} (RFC 8414), and/or at {} (OpenID Connect Discovery).",
                    well_known_appended(&self.cfg.issuer)
                ),
            ),
        };
        vec![f]
    }

    fn as22(&self) -> Vec<Finding> {
        let docs: Vec<(&Exchange, String)> = self
            .t
            .phase(Phase::Discovery)
            .filter(|e| e.method == "GET" && is_complete(e))
            .map(|e| (e, e.json().and_then(|v| v["issuer"].as_str().map(str::to_owned)).unwrap_or_default()))
            .collect();
        if docs.is_empty() {
            return vec![self.untestable("AS-22", "no complete metadata document was found")];
        }
        let given = &self.cfg.issuer;
        let bad: Vec<&(&Exchange, String)> = docs.iter().filter(|(_, i)| i != given).collect();
        let ex: Vec<u32> = docs.iter().map(|(e, _)| e.seq).collect();
        if bad.is_empty() {
            return vec![self.f(
                "AS-22",
                Status::Success,
                format!("every metadata document names issuer `{given}`"),
                ex,
            )];
        }
        let named = &bad[0].1;
        let hint = if named.trim_end_matches('/') == given.trim_end_matches('/') {
            " (they differ by a trailing slash)"
        } else {
            ""
        };
        let list = bad.iter().map(|(e, i)| format!("{} names `{i}`", e.url)).collect::<Vec<_>>().join("; ");
        vec![with_remedy(
            self.f("AS-22", Status::Failure, format!("{list}, not the issuer `{given}`{hint}"), ex),
            format!(
                "Make the metadata's issuer exactly the issuer identifier clients and MCP servers are given \
                 (`{given}`: same scheme, host, port and path, trailing slash included or not) — RFC 8414 §3.3 — \
                 or configure them with `{named}`."
            ),
        )]
    }

    fn gpt03(&self) -> Vec<Finding> {
        let ex = self.seqs(Phase::Discovery);
        let mut out = Vec::new();
        match self.failure() {
            Some(f)
                if f.phase == Phase::Discovery && matches!(f.kind, FailureKind::NoOauth | FailureKind::Unreachable) =>
            {
                let remedy = if f.cause.contains("partial") {
                    "Serve complete metadata (with authorization_endpoint and token_endpoint) at every well-known \
                     location you answer with 200, or answer 404 there: ChatGPT probes them all and gives up on a \
                     partial document."
                        .to_owned()
                } else {
                    format!(
                        "Serve the metadata at {} (RFC 8414) or {} (OpenID Connect).",
                        well_known(&self.cfg.issuer, "oauth-authorization-server"),
                        well_known_appended(&self.cfg.issuer)
                    )
                };
                out.push(with_remedy(
                    self.f("GPT-03", Status::Failure, format!("{}{}", self.chatgpt_says(), f.cause), ex.clone()),
                    remedy,
                ));
            }
            _ if let Some(p) = gpt_03_partial(self.t.phase(Phase::Discovery)) => {
                // The scenario checks' GPT-03 rule: a partial document at any probed location
                // breaks ChatGPT, also when the client went on with another one.
                out.push(with_remedy(
                    self.f(
                        "GPT-03",
                        Status::Failure,
                        format!(
                            "{} serves a partial metadata document (no authorization_endpoint or token_endpoint)",
                            p.url
                        ),
                        ex.clone(),
                    ),
                    "Serve complete metadata (with authorization_endpoint and token_endpoint) at every well-known \
                     location you answer with 200, or answer 404 there: ChatGPT probes them all and gives up on a \
                     partial document.",
                ));
            }
            _ if self.o.discovered.is_some() => {
                let url = &self.o.discovered.as_ref().map(|d| d.metadata_url.clone()).unwrap_or_default();
                out.push(self.f(
                    "GPT-03",
                    Status::Success,
                    format!("ChatGPT's discovery found complete metadata at {url}; no probed location serves a partial document"),
                    ex.clone(),
                ));
            }
            _ => out.push(self.untestable("GPT-03", "discovery did not run")),
        }
        let heads: Vec<&Exchange> = self.t.phase(Phase::Discovery).filter(|e| e.method == "HEAD").collect();
        if !heads.is_empty() {
            let list = heads.iter().map(|e| format!("{} → {}", e.url, status_text(e))).collect::<Vec<_>>().join("; ");
            out.push(self.f(
                "GPT-03",
                Status::Info,
                format!("ChatGPT's HEAD probes: {list}"),
                heads.iter().map(|e| e.seq).collect(),
            ));
        }
        out
    }

    fn s256(&self, id: &str) -> Vec<Finding> {
        let Some(meta) = self.meta() else { return vec![self.untestable(id, "no metadata was found")] };
        let remedy = "Advertise \"code_challenge_methods_supported\": [\"S256\"] in the authorization server metadata \
                      (and support S256 PKCE).";
        let refuse = if id == "GPT-10" { " — ChatGPT refuses to continue" } else { "" };
        // The decision is the scenario checks' GPT-10 rule (AS-04 asks the same of the metadata).
        let f = match gpt_10_rule(meta) {
            Ok(()) => self.f(
                id,
                Status::Success,
                format!(
                    "code_challenge_methods_supported: {}",
                    meta.get("code_challenge_methods_supported").cloned().unwrap_or_default()
                ),
                self.meta_seq(),
            ),
            Err(Value::Null) => with_remedy(
                self.f(
                    id,
                    Status::Failure,
                    format!("the metadata has no code_challenge_methods_supported{refuse}"),
                    self.meta_seq(),
                ),
                remedy,
            ),
            Err(m) => with_remedy(
                self.f(
                    id,
                    Status::Failure,
                    format!("code_challenge_methods_supported is {m}, without S256{refuse}"),
                    self.meta_seq(),
                ),
                remedy,
            ),
        };
        vec![f]
    }

    // ── CIMD ───────────────────────────────────────────────────────────────────────────────

    fn as06(&self) -> Vec<Finding> {
        if let Err(f) = self.cimd_gate("AS-06") {
            return vec![*f];
        }
        if self.meta().is_none() {
            return vec![self.untestable("AS-06", "no metadata was found")];
        }
        vec![if self.cimd_advertised() {
            self.f("AS-06", Status::Success, "client_id_metadata_document_supported: true", self.meta_seq())
        } else {
            self.f("AS-06", Status::Info, "client_id_metadata_document_supported is not advertised", self.meta_seq())
        }]
    }

    fn as05(&self) -> Vec<Finding> {
        if let Err(f) = self.cimd_gate("AS-05") {
            return vec![*f];
        }
        if self.meta().is_none() {
            return vec![self.untestable("AS-05", "no metadata was found")];
        }
        let remedy = "Support Client ID Metadata Documents (MCP 2025-11-25) and advertise \
                      client_id_metadata_document_supported: true: ChatGPT prefers them to DCR, with one stable \
                      client per connector.";
        if !self.cimd_advertised() {
            return vec![with_remedy(
                self.f(
                    "AS-05",
                    Status::Warning,
                    "client_id_metadata_document_supported is not advertised: ChatGPT (2026) falls back to dynamic \
                     client registration",
                    self.meta_seq(),
                ),
                remedy,
            )];
        }
        let ex = [self.meta_seq(), self.seqs(Phase::Authorize)].concat();
        match &self.o.registered {
            Some(c) if c.kind == RegistrationKind::Cimd => {
                if self.login_failure().is_some() {
                    vec![self.untestable("AS-05", "whether the document is accepted is decided after the sign-in")]
                } else if self.authorized() {
                    vec![self.f(
                        "AS-05",
                        Status::Success,
                        format!("ChatGPT's metadata document {} was accepted at authorization", c.client_id),
                        ex,
                    )]
                } else if self.failure().is_some_and(|f| f.phase == Phase::Authorize) {
                    vec![with_remedy(
                        self.f(
                            "AS-05",
                            Status::Warning,
                            format!("CIMD is advertised, but ChatGPT's document was refused: {}", self.stopped()),
                            ex,
                        ),
                        "Accept ChatGPT's metadata document (see GPT-09).",
                    )]
                } else {
                    vec![self.untestable("AS-05", "the document was not used")]
                }
            }
            Some(c) => {
                let ours = self
                    .o
                    .profile
                    .registration
                    .cimd
                    .as_ref()
                    .map(|c| c.value.auth_methods.join(", "))
                    .unwrap_or_default();
                let theirs = self
                    .meta()
                    .and_then(|m| m.get("token_endpoint_auth_methods_supported"))
                    .cloned()
                    .unwrap_or(Value::Null);
                vec![with_remedy(
                    self.f(
                        "AS-05",
                        Status::Warning,
                        format!(
                            "CIMD is advertised, but none of the methods ChatGPT's document can use ({ours}) is in \
                             token_endpoint_auth_methods_supported ({theirs}); ChatGPT used {} instead",
                            kind_name(c.kind)
                        ),
                        self.meta_seq(),
                    ),
                    "List none (and private_key_jwt) in token_endpoint_auth_methods_supported for metadata-document clients.",
                )]
            }
            None => vec![self.untestable("AS-05", "no client was obtained")],
        }
    }

    fn cimd_used_gate(&self, id: &str) -> Result<(), Box<Finding>> {
        self.cimd_gate(id)?;
        if !self.cimd_used() {
            if self.o.registered.is_none() && !self.discovery_ok() {
                return Err(Box::new(self.untestable(id, "the flow did not reach registration")));
            }
            return Err(Box::new(self.f(
                id,
                Status::Skipped,
                "ChatGPT did not use a metadata document with this IdP (see AS-05)",
                vec![],
            )));
        }
        Ok(())
    }

    fn as07(&self) -> Vec<Finding> {
        if let Err(f) = self.cimd_used_gate("AS-07") {
            return vec![*f];
        }
        let id_url = self.o.registered.as_ref().map(|c| c.client_id.clone()).unwrap_or_default();
        let path = url::Url::parse(&id_url).map(|u| u.path().to_owned()).unwrap_or_default();
        let fetches: Vec<_> = self.o.cimd_fetches.iter().filter(|f| f.path == path && f.status == 200).collect();
        let ex = self.seqs(Phase::Authorize);
        if let Some(first) = fetches.first() {
            return vec![self.f(
                "AS-07",
                Status::Success,
                format!(
                    "the IdP fetched {id_url} ({} request(s){})",
                    fetches.len(),
                    first.user_agent.as_ref().map(|u| format!(", User-Agent {u}")).unwrap_or_default()
                ),
                ex,
            )];
        }
        vec![with_remedy(
            self.f("AS-07", Status::Warning, format!("the IdP never fetched the metadata document {id_url}"), ex),
            "Fetch the client's metadata document from its client_id URL (https, no redirects, a size and time limit) \
             and use what it says.",
        )]
    }

    fn cimd_probe(&self, id: &str, name: &str, what: &str, remedy: &str) -> Vec<Finding> {
        if let Err(f) = self.cimd_used_gate(id) {
            return vec![*f];
        }
        if !self.authorized() {
            return vec![
                self.untestable(id, "ChatGPT's own document was not accepted, so a refusal would prove nothing"),
            ];
        }
        vec![self.probe_check(id, name, what, remedy)]
    }

    // ── registration ───────────────────────────────────────────────────────────────────────

    fn as14(&self) -> Vec<Finding> {
        if self.meta().is_none() {
            return vec![self.untestable("AS-14", "no metadata was found")];
        }
        vec![match self.meta_str("registration_endpoint") {
            Some(r) => self.f(
                "AS-14",
                Status::Success,
                format!("registration_endpoint {r} (whether ChatGPT's body is accepted is GPT-05)"),
                self.meta_seq(),
            ),
            None => with_remedy(
                self.f(
                    "AS-14",
                    Status::Warning,
                    "the metadata has no registration_endpoint: clients without a pre-registered id or a metadata \
                     document cannot get a client",
                    self.meta_seq(),
                ),
                "Enable RFC 7591 dynamic client registration and advertise registration_endpoint (open, or guarded by a \
                 policy that admits ChatGPT's redirect URIs).",
            ),
        }]
    }

    fn gpt04(&self) -> Vec<Finding> {
        let regs = self.flow_registrations();
        match gpt_04_rule(self.blamed(), self.o.registered.is_some(), !regs.is_empty()) {
            Some(Status::Failure) => vec![with_remedy(
                self.f(
                    "GPT-04",
                    Status::Failure,
                    format!("{}{}", self.chatgpt_says(), self.stopped_cause()),
                    self.meta_seq(),
                ),
                "Give ChatGPT a way to get a client: dynamic client registration (advertise registration_endpoint) or \
                 Client ID Metadata Documents (advertise client_id_metadata_document_supported).",
            )],
            Some(_) => vec![match &self.o.registered {
                Some(c) => self.f(
                    "GPT-04",
                    Status::Success,
                    format!("ChatGPT got a {} client ({})", kind_name(c.kind), c.auth_method),
                    [self.seqs(Phase::Registration), self.meta_seq()].concat(),
                ),
                None => self.f(
                    "GPT-04",
                    Status::Success,
                    "a registration path exists (its answer is judged by GPT-05 / GPT-17)",
                    regs.iter().map(|e| e.seq).collect(),
                ),
            }],
            None => vec![self.untestable("GPT-04", "the flow did not reach registration")],
        }
    }

    fn gpt05(&self) -> Vec<Finding> {
        let regs = self.flow_registrations();
        let accepted = regs.iter().rev().find(|e| e.status.is_some_and(|s| (200..300).contains(&s)));
        let Some(verdict) = gpt_05_rule(self.blamed(), accepted.is_some()) else {
            return vec![match (&self.o.registered, regs.last()) {
                (_, Some(e)) if e.status == Some(429) => {
                    let mut f = self.f(
                        "GPT-05",
                        Status::Failure,
                        "not tested: the registration was rate-limited (see GPT-17)",
                        vec![e.seq],
                    );
                    f.untestable = true;
                    f
                }
                (Some(c), None) => self.f(
                    "GPT-05",
                    Status::Skipped,
                    format!("{} got its client by {}, not DCR", self.o.profile.name, kind_name(c.kind)),
                    vec![],
                ),
                (None, None) if self.failure().is_some_and(|f| f.kind == FailureKind::NoClient) => self.f(
                    "GPT-05",
                    Status::Skipped,
                    "no DCR was attempted (no registration_endpoint; see GPT-04)",
                    vec![],
                ),
                _ => self.untestable("GPT-05", "the flow did not reach registration"),
            }];
        };
        let e = match (verdict, accepted, regs.last()) {
            (Status::Failure, _, Some(e)) | (_, Some(e), _) => *e,
            _ => {
                return vec![with_remedy(
                    self.f(
                        "GPT-05",
                        Status::Failure,
                        format!("{}{}", self.chatgpt_says(), self.stopped_cause()),
                        self.failure_seq(),
                    ),
                    format!("Accept ChatGPT's registration request as {} sends it.", self.o.profile.name),
                )];
            }
        };
        let body = e.request_body.clone().unwrap_or_default();
        let requested = serde_json::from_str::<Value>(&body)
            .ok()
            .and_then(|v| v["token_endpoint_auth_method"].as_str().map(str::to_owned));
        let v = e.json().unwrap_or(Value::Null);
        let echoed = v["token_endpoint_auth_method"].as_str().unwrap_or("client_secret_basic (omitted)").to_owned();
        let ex = vec![e.seq];
        if verdict == Status::Success {
            return vec![self.f(
                "GPT-05",
                Status::Success,
                format!(
                    "ChatGPT's registration body was accepted (HTTP {}): token_endpoint_auth_method {echoed} (asked: {})",
                    e.status.unwrap_or_default(),
                    requested.as_deref().unwrap_or("none given, so client_secret_basic")
                ),
                ex,
            )];
        }
        if let Some(f) = self.failure().filter(|f| f.kind == FailureKind::AuthMethodMismatch) {
            let req = requested.clone().unwrap_or_default();
            return vec![with_remedy(
                self.f("GPT-05", Status::Failure, format!("{}{}", self.chatgpt_says(), f.cause), ex),
                format!(
                    "Honour the token_endpoint_auth_method ChatGPT asks for ({req}) and echo it in the registration \
                     response, instead of substituting {echoed}."
                ),
            )];
        }
        let err = v["error"].as_str().unwrap_or("").to_owned();
        let desc = v["error_description"].as_str().unwrap_or("").to_owned();
        let redirect_problem = e.status == Some(403)
            || err == "invalid_redirect_uri"
            || desc.to_lowercase().contains("redirect")
            || desc.to_lowercase().contains("host");
        let remedy = if redirect_problem {
            redirect_remedy()
        } else {
            format!("Accept ChatGPT's registration body as sent: {body}")
        };
        vec![with_remedy(
            self.f(
                "GPT-05",
                Status::Failure,
                format!("{}the registration answered {}: {err} {desc}", self.chatgpt_says(), status_text(e)),
                ex,
            ),
            remedy,
        )]
    }

    fn gpt17(&self) -> Vec<Finding> {
        let regs = self.registrations();
        if regs.is_empty() {
            return vec![self.f("GPT-17", Status::Skipped, "no registration was sent in this run", vec![])];
        }
        let ex: Vec<u32> = regs.iter().map(|e| e.seq).collect();
        if let Err(e) = gpt_17_rule(regs.iter().copied()) {
            let retry = e.response_header("retry-after").map(|r| format!(" (Retry-After: {r})")).unwrap_or_default();
            return vec![with_remedy(
                self.f(
                    "GPT-17",
                    Status::Failure,
                    format!(
                        "registration #{} of this run answered 429{retry}",
                        regs.iter().position(|x| x.seq == e.seq).unwrap_or(0) + 1
                    ),
                    ex,
                ),
                "Raise or lift the registration rate limit for ChatGPT's registrations: ChatGPT registers a new \
                 client on every connection attempt, and many users share its egress IPs.",
            )];
        }
        vec![self.f(
            "GPT-17",
            Status::Success,
            format!("{} registration(s) in this run, none rate-limited", regs.len()),
            ex,
        )]
    }

    // ── authorization ──────────────────────────────────────────────────────────────────────

    fn gpt06(&self) -> Vec<Finding> {
        let ex = self.seqs(Phase::Authorize);
        if let Some((login, seqs)) = self.login_failure() {
            // One finding for the sign-in: not the IdP's fault, but nothing after it was tested.
            let mut f = self.f("GPT-06", Status::Failure, login, [ex, seqs].concat());
            f.untestable = true;
            return vec![f];
        }
        let code = self.authorized()
            || self.callback().is_some_and(|u| u.query_pairs().any(|(k, v)| k == "code" && !v.is_empty()));
        match gpt_06_rule(self.blamed(), code) {
            None if self.o.registered.is_none() => vec![self.untestable("GPT-06", "no client was obtained")],
            None if self.blamed() == Some("GPT-09") => {
                vec![self.untestable("GPT-06", "ChatGPT's metadata document was refused (GPT-09)")]
            }
            None => vec![self.untestable("GPT-06", "the flow did not reach authorization")],
            Some(Status::Failure) => self.gpt06_failure(ex),
            Some(_) if self.failure().is_some_and(|f| f.kind == FailureKind::IssMismatch) => {
                vec![self.f("GPT-06", Status::Success, "a code was issued (its iss is judged by GPT-14)", ex)]
            }
            Some(_) => {
                let redirect = self.o.registered.as_ref().map(|c| c.redirect_uri.as_str()).unwrap_or(STABLE_CALLBACK);
                let scopes = match &self.o.result {
                    Ok(a) if !a.scopes.is_empty() => a.scopes.join(" "),
                    Ok(_) => "(none)".into(),
                    Err(_) => "the profile's".into(),
                };
                vec![self.f(
                    "GPT-06",
                    Status::Success,
                    format!(
                        "a code was issued for redirect_uri {redirect}, resource {}, scopes {scopes}, PKCE S256 and ChatGPT's state",
                        self.cfg.resource
                    ),
                    ex,
                )]
            }
        }
    }

    /// GPT-06 blamed: what the authorization refused, and what to change.
    fn gpt06_failure(&self, ex: Vec<u32>) -> Vec<Finding> {
        let Some(f) = self.failure() else { return vec![] };
        match f.kind {
            FailureKind::StateMismatch => vec![with_remedy(
                self.f("GPT-06", Status::Failure, format!("{}{}", self.chatgpt_says(), f.cause), ex),
                "Send state back unchanged on the redirect to the client.",
            )],
            _ if f.cause.contains("login driver is `auto`") => vec![self.untestable(
                "GPT-06",
                "the IdP shows a sign-in page; rerun with --login form and --login-field NAME=VALUE (or --login manual)",
            )],
            _ => {
                let remedy = if f.cause.contains("invalid_scope") {
                    let scopes = self.meta().and_then(|m| m.get("scopes_supported")).cloned().unwrap_or(Value::Null);
                    format!(
                        "Let a client registered without scope request the scopes your metadata lists ({scopes}): \
                         ChatGPT registers without scope and then asks for scopes_supported. Or list in \
                         scopes_supported only the scopes a new client may get."
                    )
                } else if f.cause.contains("invalid_target") {
                    format!("Accept the RFC 8707 resource parameter ({}) on authorization requests.", self.cfg.resource)
                } else if f.cause.contains("instead of redirecting back") {
                    format!(
                        "Accept ChatGPT's authorization request; if the error page is about the redirect URI, allow {} \
                         for the client. {}",
                        self.o.registered.as_ref().map(|c| c.redirect_uri.as_str()).unwrap_or(STABLE_CALLBACK),
                        redirect_remedy()
                    )
                } else {
                    "Accept ChatGPT's authorization request as sent (see the exchange).".to_owned()
                };
                vec![with_remedy(
                    self.f("GPT-06", Status::Failure, format!("{}{}", self.chatgpt_says(), f.cause), [ex, self.failure_seq()].concat()),
                    remedy,
                )]
            }
        }
    }

    fn as15(&self, id: &str, remedy: &str) -> Vec<Finding> {
        if !self.authorized() || self.o.registered.is_none() {
            return vec![
                self.untestable(
                    id,
                    "the client's own authorization was not accepted, so a refusal would prove nothing",
                ),
            ];
        }
        vec![self.probe_check(
            id,
            probe::REDIRECT,
            &format!(
                "an authorization request with redirect_uri {}{}",
                self.o.registered.as_ref().map(|c| c.redirect_uri.trim_end_matches('/')).unwrap_or_default(),
                super::observations::UNREGISTERED_SUFFIX
            ),
            remedy,
        )]
    }

    fn as23(&self) -> Vec<Finding> {
        if !self.authorized() && !self.failure().is_some_and(|f| f.kind == FailureKind::StateMismatch) {
            return vec![self.untestable("AS-23", "the flow did not get an authorization response")];
        }
        let mut out = Vec::new();
        let ex = self.seqs(Phase::Authorize).last().copied().into_iter().collect::<Vec<_>>();
        if let Some(f) = self.failure().filter(|f| f.kind == FailureKind::StateMismatch) {
            out.push(with_remedy(
                self.f("AS-23", Status::Failure, format!("the authorization response: {}", f.cause), ex.clone()),
                "Send state back unchanged on the authorization response.",
            ));
        } else if let Some(cb) = self.callback() {
            let codes = cb.query_pairs().filter(|(k, v)| k == "code" && !v.is_empty()).count();
            let state = cb.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned());
            let echoed = state.is_some() && state == self.sent_state();
            out.push(if codes == 1 && echoed {
                self.f(
                    "AS-23",
                    Status::Success,
                    "the authorization response carries one code and echoes state",
                    ex.clone(),
                )
            } else {
                with_remedy(
                    self.f(
                        "AS-23",
                        Status::Failure,
                        format!(
                            "the authorization response carries {codes} code(s) and {} state",
                            if echoed { "echoes" } else { "does not echo" }
                        ),
                        ex.clone(),
                    ),
                    "Send exactly one code and the client's state unchanged on the redirect back.",
                )
            });
        }
        if self.has_token() {
            let seq = self.token_seq();
            let e = self.t.exchanges.iter().find(|e| seq.contains(&e.seq));
            if let Some(e) = e {
                let v = e.json().unwrap_or(Value::Null);
                let cache = e.response_header("cache-control").unwrap_or("").to_ascii_lowercase();
                let ct = e.response_header("content-type").unwrap_or("").to_ascii_lowercase();
                let mut missing = Vec::new();
                if e.status != Some(200) {
                    missing.push(format!("status {}", status_text(e)));
                }
                if !ct.contains("json") {
                    missing.push(format!("Content-Type `{ct}` is not JSON"));
                }
                if !cache.contains("no-store") {
                    missing.push("no Cache-Control: no-store".to_owned());
                }
                if !v["access_token"].is_string() {
                    missing.push("no access_token".into());
                }
                if !v["token_type"].as_str().is_some_and(|t| t.eq_ignore_ascii_case("bearer")) {
                    missing.push(format!("token_type {}", v["token_type"]));
                }
                out.push(if missing.is_empty() {
                    self.f("AS-23", Status::Success, "the token response is 200 JSON with Cache-Control: no-store, access_token and token_type Bearer", seq)
                } else {
                    with_remedy(
                        self.f("AS-23", Status::Failure, format!("the token response: {}", missing.join("; ")), seq),
                        "Answer token requests with 200, application/json, Cache-Control: no-store (and Pragma: no-cache), \
                         access_token and token_type Bearer (OAuth 2.1 §3.2.3).",
                    )
                });
            }
            out.push(self.probe_check(
                "AS-23",
                probe::CODE_REPLAY,
                "the used authorization code replayed",
                "Make authorization codes single-use: refuse a second redemption with invalid_grant (and revoke what \
                 the code produced, OAuth 2.1 §4.1.2).",
            ));
        }
        out
    }

    // ── token ──────────────────────────────────────────────────────────────────────────────

    fn gpt07(&self) -> Vec<Finding> {
        let method = self.o.registered.as_ref().map(|c| c.auth_method.clone()).unwrap_or_default();
        match (gpt_07_rule(self.blamed(), self.has_token()), &self.o.result) {
            (Some(Status::Failure), Err(f)) => {
                let remedy = if f.cause.contains("invalid_target") {
                    format!("Accept the RFC 8707 resource parameter ({}) on token requests.", self.cfg.resource)
                } else {
                    auth_method_remedy(&method)
                };
                vec![with_remedy(
                    self.f(
                        "GPT-07",
                        Status::Failure,
                        format!("{}{}", self.chatgpt_says(), f.cause),
                        self.failure_seq(),
                    ),
                    remedy,
                )]
            }
            (Some(_), Ok(a)) => vec![self.f(
                "GPT-07",
                Status::Success,
                format!(
                    "200 with a Bearer access token for {method} client authentication{}, resource {}",
                    if method == "client_secret_basic" { " (Basic alone, no client_id in the body)" } else { "" },
                    self.cfg.resource
                ),
                vec![a.token_seq],
            )],
            _ if !self.authorized() => vec![self.untestable("GPT-07", "no authorization code was obtained")],
            _ if self.blamed() == Some("GPT-09") => vec![
                self.untestable("GPT-07", "the metadata-document client was refused at the token endpoint (GPT-09)"),
            ],
            _ => vec![self.untestable("GPT-07", "the flow stopped before the code exchange")],
        }
    }

    fn gpt09(&self) -> Vec<Finding> {
        if let Err(f) = self.cimd_used_gate("GPT-09") {
            return vec![*f];
        }
        if self.login_failure().is_some() {
            return vec![self.untestable("GPT-09", "the metadata-document client's token request")];
        }
        let method = self.o.registered.as_ref().map(|c| c.auth_method.clone()).unwrap_or_default();
        match (gpt_09_rule(self.blamed(), self.has_token()), &self.o.result) {
            (Some(Status::Failure), Err(f)) => vec![with_remedy(
                self.f(
                    "GPT-09",
                    Status::Failure,
                    format!("{}{}", self.chatgpt_says(), f.cause),
                    [self.seqs(Phase::Authorize), self.failure_seq()].concat(),
                ),
                "Read token_endpoint_auth_methods_supported of ChatGPT's metadata document (it lists none and \
                 private_key_jwt) and use a method you support — or support private_key_jwt with the document's \
                 jwks_uri. Never answer invalid_client to a valid document.",
            )],
            (Some(_), Ok(a)) => {
                let first =
                    self.o.profile.registration.cimd.as_ref().and_then(|c| c.value.auth_methods.first().cloned());
                let negotiated = first.as_deref().is_some_and(|m| m != method);
                vec![self.f(
                    "GPT-09",
                    Status::Success,
                    format!(
                        "the metadata-document client got a token with {method}{}",
                        if negotiated {
                            format!(" (negotiated down from {})", first.unwrap_or_default())
                        } else {
                            String::new()
                        }
                    ),
                    vec![a.token_seq],
                )]
            }
            (_, Err(f)) if matches!(f.kind, FailureKind::IssMismatch | FailureKind::StateMismatch) => {
                vec![self.untestable(
                    "GPT-09",
                    "the document was accepted, but the authorization response was refused (GPT-14 / AS-23)",
                )]
            }
            (_, Err(f)) if matches!(f.phase, Phase::Authorize | Phase::Token) => vec![self.untestable(
                "GPT-09",
                &format!(
                    "the flow failed for a reason other than the metadata document (no invalid_client; see {})",
                    self.blamed().unwrap_or("the flow's verdict")
                ),
            )],
            _ => vec![self.untestable("GPT-09", "the flow did not reach authorization")],
        }
    }

    fn token_view_gate(&self, id: &str) -> Result<&super::token::TokenView, Box<Finding>> {
        match &self.o.token {
            Some(v) if self.has_token() => Ok(v),
            _ => Err(Box::new(self.untestable(id, "no access token was issued"))),
        }
    }

    fn audience(&self, id: &str) -> Finding {
        let v = match self.token_view_gate(id) {
            Ok(v) => v,
            Err(f) => return *f,
        };
        let res = &self.cfg.resource;
        let ex = [self.token_seq(), self.o.token_seqs.clone()].concat();
        let gpt = id == "GPT-08";
        let consequence = if gpt {
            format!(
                " — an MCP server that validates aud (as it must) rejects the token, and ChatGPT shows \"{}\"",
                harness_checks::catalogue::get("GPT-08").and_then(|r| r.chatgpt_says("")).unwrap_or_default()
            )
        } else {
            String::new()
        };
        // `None`: the audience cannot be known (opaque, not introspected).
        let has = v.audience_knowable().then(|| v.audience().is_some_and(|aud| aud.iter().any(|a| a == res)));
        let status = if gpt {
            // GPT-08's one rule, fed the token's aud (certification has no MCP server to call).
            gpt_08_rule(self.blamed(), &Gpt08Seen::audience(has)).unwrap_or(Status::Skipped)
        } else {
            match has {
                None => Status::Skipped,
                Some(true) => Status::Success,
                Some(false) => Status::Warning,
            }
        };
        match (status, v.audience()) {
            (Status::Skipped, _) => self.f(
                id,
                Status::Skipped,
                "the access token is opaque and could not be introspected: its audience is unknown",
                ex,
            ),
            (Status::Success, Some(aud)) => {
                self.f(id, Status::Success, format!("aud {aud:?} contains the resource {res}"), ex)
            }
            (status, Some(aud)) => with_remedy(
                self.f(id, status, format!("aud {aud:?} does not contain the resource {res}{consequence}"), ex),
                audience_remedy(res),
            ),
            (status, None) => with_remedy(
                self.f(id, status, format!("the access token has no aud{consequence}"), ex),
                audience_remedy(res),
            ),
        }
    }

    fn as20(&self) -> Vec<Finding> {
        let mut out = vec![self.audience("AS-20")];
        if self.has_token() {
            let mut f = self.probe_check(
                "AS-20",
                probe::FOREIGN_RESOURCE,
                &format!("a fresh code exchanged for the foreign resource {FOREIGN_RESOURCE}"),
                "Refuse (invalid_target) a token request for a resource the authorization did not include, or at \
                 least never put such a resource in aud (RFC 8707 §2.2).",
            );
            if f.status == Status::Warning {
                f.status = Status::Info;
            }
            out.push(f);
        }
        out
    }

    fn as17(&self) -> Vec<Finding> {
        let v = match self.token_view_gate("AS-17") {
            Ok(v) => v,
            Err(f) => return vec![*f],
        };
        let ex = self.token_seq();
        let expires_in =
            self.t.exchanges.iter().find(|e| ex.contains(&e.seq)).and_then(|e| e.json()).and_then(|j| {
                j["expires_in"].as_i64().or_else(|| j["expires_in"].as_str().and_then(|s| s.parse().ok()))
            });
        let (secs, source) = match (expires_in, v.lifetime()) {
            (Some(s), _) => (s, "expires_in".to_owned()),
            (None, Some(l)) => (l, "exp − iat".to_owned()),
            (None, None) => {
                return vec![with_remedy(
                    self.f(
                        "AS-17",
                        Status::Warning,
                        "the token response has no expires_in and the token no exp/iat",
                        ex,
                    ),
                    "Return expires_in with every access token, and keep lifetimes within 24 hours.",
                )];
            }
        };
        let human = human_secs(secs);
        vec![if secs <= 86_400 {
            self.f("AS-17", Status::Success, format!("access tokens live {human} ({source} {secs})"), ex)
        } else {
            with_remedy(
                self.f(
                    "AS-17",
                    Status::Warning,
                    format!("access tokens live {human} ({source} {secs}): more than 24 hours"),
                    ex,
                ),
                "Issue access tokens that expire within 24 hours (one hour is common; ChatGPT refreshes them).",
            )
        }]
    }

    fn pcc7(&self) -> Vec<Finding> {
        let Some(_) = self.meta() else { return vec![self.untestable("PCC-7", "no metadata was found")] };
        let mut out = Vec::new();
        let Some(jwks) = self.meta_str("jwks_uri") else {
            return vec![with_remedy(
                self.f("PCC-7", Status::Failure, "the metadata has no jwks_uri", self.meta_seq()),
                "Publish the token-signing public keys as a JWKS and advertise its URL as jwks_uri.",
            )];
        };
        let v = match self.token_view_gate("PCC-7") {
            Ok(v) => v,
            Err(f) => return vec![*f],
        };
        let ex = [self.token_seq(), self.o.token_seqs.clone()].concat();
        if !v.is_jwt() {
            out.push(with_remedy(
                self.f(
                    "PCC-7",
                    Status::Warning,
                    format!(
                        "the access token is opaque: an MCP server cannot verify it with the JWKS ({jwks}) and must \
                         introspect it{}",
                        self.meta_str("introspection_endpoint").map(|i| format!(" at {i}")).unwrap_or_default()
                    ),
                    ex,
                ),
                "Issue JWT access tokens (RFC 9068) for the resource, signed with a key published in the JWKS — or \
                 make sure every MCP server introspects (RFC 7662).",
            ));
            return out;
        }
        let alg = v.header.as_ref().and_then(|h| h.get("alg")).and_then(Value::as_str).unwrap_or("?").to_owned();
        out.push(match v.signature.clone().unwrap_or(Signature::NotChecked("not checked".into())) {
            Signature::Verified { kid, alg } => self.f(
                "PCC-7",
                Status::Success,
                format!("the access token ({alg}, kid {kid:?}) verifies against the JWKS at {jwks}"),
                ex.clone(),
            ),
            Signature::NoKey(why) | Signature::Invalid(why) | Signature::NotChecked(why) => with_remedy(
                self.f(
                    "PCC-7",
                    Status::Failure,
                    format!("the access token ({alg}) does not verify against {jwks}: {why}"),
                    ex.clone(),
                ),
                "Sign access tokens with a key published at jwks_uri (matching kid and alg), and keep retired keys \
                 there until their tokens expire.",
            ),
        });
        let given = &self.cfg.issuer;
        out.push(match v.issuer() {
            Some(i) if i == given => {
                self.f("PCC-7", Status::Success, format!("the token's iss is the issuer `{given}`"), ex)
            }
            other => with_remedy(
                self.f("PCC-7", Status::Failure, format!("the token's iss is {other:?}, not the issuer `{given}`"), ex),
                format!(
                    "Issue tokens whose iss is exactly the issuer identifier (`{given}`), as MCP servers compare it."
                ),
            ),
        });
        out
    }

    // ── refresh ────────────────────────────────────────────────────────────────────────────

    fn refresh_seqs(&self) -> Vec<u32> {
        let Some(r) = &self.o.refresh else { return vec![] };
        [&r.first, &r.second, &r.replay, &r.late_replay, &r.newest_after]
            .iter()
            .filter_map(|s| s.as_ref().and_then(|s| s.seq))
            .collect()
    }

    /// Whether a refresh failed ChatGPT, by the scenario checks' GPT-15 rule over its exchange
    /// (the client's own refusal when no answer was recorded); what it answered.
    fn refresh_refused(&self, step: &Step) -> Option<String> {
        let answer = step.seq.and_then(|q| self.t.exchanges.iter().find(|e| e.seq == q));
        match (answer.map(gpt_15_rule), &step.result) {
            (Some(Ok(())), _) | (None, Ok(_)) => None,
            (_, Err(f)) => Some(refusal(f)),
            (Some(Err(got)), Ok(_)) => Some(got),
        }
    }

    fn gpt15(&self) -> Vec<Finding> {
        let Ok(a) = &self.o.result else { return vec![self.untestable("GPT-15", "no tokens were issued")] };
        let method = a.client.auth_method.clone();
        let ex = [vec![a.token_seq], self.refresh_seqs()].concat();
        let remedy = format!(
            "Issue a refresh token to clients registered with grant_types [authorization_code, refresh_token] (also \
             without offline_access), and accept the refresh grant with the client's {method} authentication."
        );
        let Some(r) = &self.o.refresh else { return vec![self.untestable("GPT-15", "no refresh was attempted")] };
        let Some(first) = &r.first else {
            let says = harness_checks::catalogue::get("GPT-15").and_then(|r| r.chatgpt_says("")).unwrap_or_default();
            return vec![with_remedy(
                self.f(
                    "GPT-15",
                    Status::Failure,
                    format!(
                        "no refresh token was issued: ChatGPT's connection ends with the access token (\"{says}\")"
                    ),
                    ex,
                ),
                remedy,
            )];
        };
        if let Some(got) = self.refresh_refused(first) {
            return vec![with_remedy(
                self.f("GPT-15", Status::Failure, format!("the refresh grant answered {got}"), ex),
                remedy,
            )];
        }
        if let Some(got) = r.second.as_ref().and_then(|s| self.refresh_refused(s)) {
            return vec![with_remedy(
                self.f(
                    "GPT-15",
                    Status::Failure,
                    format!("the second refresh, with the refresh token the first returned, answered {got}"),
                    ex,
                ),
                remedy,
            )];
        }
        vec![self.f(
            "GPT-15",
            Status::Success,
            format!(
                "refreshed twice with {method} client authentication{}",
                if r.rotated == Some(true) { "; the refresh token was rotated" } else { "" }
            ),
            ex,
        )]
    }

    fn as18(&self) -> Vec<Finding> {
        let public_run = self.o.kind == RunKind::PublicClient;
        let Some(c) = &self.o.registered else {
            return vec![if public_run {
                self.f(
                    "AS-18",
                    Status::Skipped,
                    format!("no public client could be registered: {}", self.stopped()),
                    self.seqs(Phase::Registration),
                )
            } else {
                self.untestable("AS-18", "no client was obtained")
            }];
        };
        let public = c.auth_method == "none";
        let who = if public { "public client".to_owned() } else { format!("confidential client ({})", c.auth_method) };
        let ex = self.refresh_seqs();
        let remedy = "Rotate refresh tokens for public clients (token_endpoint_auth_method none): return a new refresh \
                      token on every refresh and refuse a used one (better: revoke the grant on reuse), OAuth 2.1 §4.3.1.";
        let not_tested = |why: String| -> Finding {
            if public && !public_run {
                self.untestable("AS-18", &why)
            } else {
                self.f("AS-18", Status::Skipped, format!("not tested: {why}"), ex.clone())
            }
        };
        let Ok(_) = &self.o.result else {
            return vec![not_tested(format!("the {who} got no token; {}", self.stopped()))];
        };
        let Some(r) = &self.o.refresh else { return vec![not_tested("no refresh was attempted".into())] };
        let Some(first) = &r.first else { return vec![not_tested("no refresh token was issued (see GPT-15)".into())] };
        if first.result.is_err() {
            return vec![not_tested("the refresh grant failed (see GPT-15)".into())];
        }
        let judged = |ok: bool, text: String| -> Finding {
            if !public {
                self.f(
                    "AS-18",
                    Status::Info,
                    format!("{who}: {text} (rotation is required for public clients only)"),
                    ex.clone(),
                )
            } else if ok {
                self.f("AS-18", Status::Success, format!("{who}: {text}"), ex.clone())
            } else {
                with_remedy(self.f("AS-18", Status::Failure, format!("{who}: {text}"), ex.clone()), remedy)
            }
        };
        if r.rotated != Some(true) {
            return vec![judged(false, "the refresh grant handed back the same refresh token (no rotation)".into())];
        }
        match r.replay.as_ref().map(|s| &s.result) {
            Some(Err(f)) => vec![judged(
                true,
                format!("a new refresh token on every refresh, and the used one is refused ({})", refusal(f)),
            )],
            Some(Ok(again)) if public => vec![self.reuse_window(r, again, remedy)],
            Some(Ok(_)) => vec![judged(false, "rotated, but the used refresh token still works".into())],
            None => vec![not_tested("the used refresh token was not replayed".into())],
        }
    }

    /// AS-18 for a public client whose used refresh token was accepted again at once: a reuse
    /// window (INFO, with its length as far as observed) when a replay after the wait is refused;
    /// FAILURE when the used token still works after it.
    fn reuse_window(
        &self,
        r: &super::observations::RefreshObs,
        again: &super::observations::TokensObs,
        remedy: &str,
    ) -> Finding {
        let ex = self.refresh_seqs();
        let first_rt = r.first.as_ref().and_then(|s| s.result.as_ref().ok()).and_then(|t| t.refresh_token.clone());
        let handed = match (&again.refresh_token, &first_rt) {
            (Some(a), Some(b)) if a == b => "the refresh token the first refresh had returned",
            (Some(_), _) => "a new refresh token",
            (None, _) => "no refresh token",
        };
        let waited = r.waited;
        let Some(late) = &r.late_replay else {
            return self.f(
                "AS-18",
                Status::Skipped,
                format!(
                    "public client: rotated, and the used refresh token was accepted again at once ({handed}); it \
                     was not replayed after a wait, so a reuse window cannot be told from reuse without limit"
                ),
                ex,
            );
        };
        match &late.result {
            Ok(_) => with_remedy(
                self.f(
                    "AS-18",
                    Status::Failure,
                    format!(
                        "public client: rotated, but the used refresh token still works — accepted at once \
                         ({handed}) and again {waited} s later (a documented reuse window longer than {waited} s \
                         can be confirmed with a longer --refresh-reuse-wait)"
                    ),
                    ex,
                ),
                remedy,
            ),
            Err(f) => {
                let family = match r.newest_after.as_ref().map(|s| &s.result) {
                    Some(Err(_)) => "; the newest refresh token was refused too (the family was revoked)",
                    Some(Ok(_)) => "; the newest refresh token still works (the family was not revoked)",
                    None => "",
                };
                self.f(
                    "AS-18",
                    Status::Info,
                    format!(
                        "public client: rotation with a reuse window of at most {waited} s — the used refresh token \
                         was accepted again at once ({handed}) and refused {waited} s later ({}){family}. A short \
                         documented window (Auth0's reuse interval, Okta's grace period) is common; OAuth 2.1 \
                         §4.3.1 asks for none",
                        refusal(f)
                    ),
                    ex,
                )
            }
        }
    }

    // ── checklist items with checks of their own ──────────────────────────────────────────

    fn pcc2(&self) -> Vec<Finding> {
        if !self.authorized() {
            return vec![self.untestable("PCC-2", "the client's own authorization was not accepted")];
        }
        let mut out = vec![self.probe_check(
            "PCC-2",
            probe::PLAIN,
            "an authorization request with code_challenge_method=plain",
            "Refuse code_challenge_method=plain (support S256 only) and do not advertise plain.",
        )];
        if self.has_token() {
            out.push(self.probe_check(
                "PCC-2",
                probe::VERIFIER,
                "a fresh code exchanged with a wrong code_verifier",
                "Verify the code_verifier at the token endpoint: BASE64URL(SHA256(code_verifier)) must equal the \
                 code_challenge of the authorization request; refuse with invalid_grant otherwise.",
            ));
        }
        out
    }

    fn pcc3(&self) -> Vec<Finding> {
        let res = &self.cfg.resource;
        let remedy = format!("Accept the RFC 8707 resource parameter ({res}) on authorization and token requests.");
        match self.failure() {
            Some(f) if f.cause.contains("invalid_target") => vec![with_remedy(
                self.f(
                    "PCC-3",
                    Status::Failure,
                    format!("resource={res} was refused at {}: {}", f.phase, f.cause),
                    self.failure_seq(),
                ),
                remedy,
            )],
            _ if self.has_token() => vec![self.f(
                "PCC-3",
                Status::Success,
                format!("resource={res} was accepted on the authorization and the token request"),
                [self.seqs(Phase::Authorize).first().copied().into_iter().collect(), self.token_seq()].concat(),
            )],
            _ => vec![self.untestable("PCC-3", "the flow did not reach the token request")],
        }
    }

    fn pcc6(&self) -> Vec<Finding> {
        let mut out = Vec::new();
        let redirect = self
            .o
            .registered
            .as_ref()
            .map(|c| c.redirect_uri.clone())
            .unwrap_or_else(|| self.o.profile.redirect_uri.value.stable.clone());
        let dcr_refused = self.dcr_exchange().filter(|e| {
            let v = e.json().unwrap_or(Value::Null);
            let desc = v["error_description"].as_str().unwrap_or("").to_lowercase();
            e.status.is_some_and(|s| (400..500).contains(&s) && s != 429)
                && (e.status == Some(403)
                    || v["error"] == "invalid_redirect_uri"
                    || desc.contains("redirect")
                    || desc.contains("host"))
        });
        let page_refused = self.failure().filter(|f| {
            f.phase == Phase::Authorize
                && f.cause.contains("instead of redirecting back")
                && !(self.cimd_used() && f.cause.contains("invalid_client"))
                && !self.login_failed(f)
        });
        if let Some(e) = dcr_refused {
            out.push(with_remedy(
                self.f(
                    "PCC-6",
                    Status::Failure,
                    format!("the registration with ChatGPT's redirect URI {redirect} was refused ({})", status_text(e)),
                    vec![e.seq],
                ),
                redirect_remedy(),
            ));
        } else if let Some(f) = page_refused {
            out.push(with_remedy(
                self.f(
                    "PCC-6",
                    Status::Failure,
                    format!(
                        "the authorization request with ChatGPT's redirect URI {redirect} got an error page: {}",
                        f.cause
                    ),
                    self.failure_seq(),
                ),
                redirect_remedy(),
            ));
        } else if self.authorized() {
            out.push(
                self.f(
                    "PCC-6",
                    Status::Success,
                    format!(
                        "ChatGPT's redirect URI {redirect} was accepted{}",
                        if self.dcr_exchange().is_some() {
                            " at registration and authorization"
                        } else {
                            " at authorization"
                        }
                    ),
                    [self.seqs(Phase::Registration), self.seqs(Phase::Authorize).last().copied().into_iter().collect()]
                        .concat(),
                ),
            );
        } else {
            out.push(self.untestable("PCC-6", "the flow did not reach the redirect back"));
        }
        if self.o.probes.contains_key(probe::FOREIGN_REGISTRATION) {
            out.push(self.probe_check(
                "PCC-6",
                probe::FOREIGN_REGISTRATION,
                &format!(
                    "a registration with a redirect URI on a foreign host ({})",
                    super::observations::FOREIGN_REDIRECT
                ),
                "",
            ));
        }
        out
    }

    // ── MCP 2026-07-28 (AS-24…AS-28): each judged by its one rule in harness-checks ───────────

    fn as24(&self) -> Vec<Finding> {
        let Some(meta) = self.meta() else { return vec![self.untestable("AS-24", "no metadata was found")] };
        let iss = |u: &url::Url| u.query_pairs().find(|(k, _)| k == "iss").map(|(_, v)| v.into_owned());
        let success = self.callback().filter(|u| u.query_pairs().any(|(k, _)| k == "code")).map(|u| iss(&u));
        let error = self.o.error_callback.as_ref().map(iss);
        // RFC 9207 §2.4: compared with the issuer of the metadata (AS-27 judges that one).
        let issuer = meta.get("issuer").and_then(Value::as_str).unwrap_or(&self.cfg.issuer);
        let (status, d) = as_24_rule(&IssObserved {
            issuer,
            advertised: iss_advertised(meta),
            on_success: success.as_ref().map(Option::as_deref),
            on_error: error.as_ref().map(Option::as_deref),
        });
        let mut ex = self.meta_seq();
        ex.extend(self.seqs(Phase::Authorize).last());
        if error.is_some() {
            ex.extend(self.o.probes.get(probe::PLAIN).and_then(|p| p.seqs.last()));
        }
        let f = self.f("AS-24", status, d, ex);
        if matches!(status, Status::Failure | Status::Warning) {
            return vec![with_remedy(
                f,
                format!(
                    "Send iss={issuer} (byte for byte the metadata's issuer) on every authorization response, \
                     error responses included, and advertise authorization_response_iss_parameter_supported: true \
                     (RFC 9207; MCP 2026-07-28)."
                ),
            )];
        }
        vec![f]
    }

    fn as25(&self) -> Vec<Finding> {
        let Some(meta) = self.meta() else { return vec![self.untestable("AS-25", "no metadata was found")] };
        // The document counts as refused only when the IdP refused the authorization itself: a
        // failed sign-in, a refused `iss` or `state`, or no answer says nothing about CIMD.
        let exercised = match self.failure() {
            _ if !self.cimd_used() => None,
            _ if self.authorized() => Some(Ok(())),
            Some(f)
                if f.phase == Phase::Authorize
                    && self.login_failure().is_none()
                    && !matches!(
                        f.kind,
                        FailureKind::IssMismatch | FailureKind::StateMismatch | FailureKind::Unreachable
                    ) =>
            {
                Some(Err(self.stopped()))
            }
            _ => None,
        };
        let (status, d) = as_25_rule(meta, exercised);
        let f = self.f("AS-25", status, d, self.meta_seq());
        if status == Status::Warning {
            return vec![with_remedy(
                f,
                "Support Client ID Metadata Documents (advertise client_id_metadata_document_supported: true and \
                 accept https client_id URLs); MCP 2026-07-28 deprecates Dynamic Client Registration.",
            )];
        }
        vec![f]
    }

    /// Only the run that sent the registration probes judges AS-26.
    fn as26(&self) -> Option<Vec<Finding>> {
        let typed = self.o.probes.get(probe::APPLICATION_TYPE_WEB)?;
        if let ProbeOutcome::NotRun(why) = &typed.outcome {
            return Some(vec![self.f("AS-26", Status::Skipped, format!("not tested: {why}"), typed.seqs.clone())]);
        }
        let loopback = self.o.probes.get(probe::APPLICATION_TYPE_WEB_LOOPBACK);
        // Probe outcomes: the typed body registered (Pass) or was refused (Fail); the web client with
        // a loopback redirect was refused (Pass) or registered (Info).
        let typed_result = match &typed.outcome {
            ProbeOutcome::Pass(_) => Some(Ok(())),
            ProbeOutcome::Fail(t) => Some(Err(t.clone())),
            _ => None,
        };
        let loopback_result = loopback.and_then(|p| match &p.outcome {
            ProbeOutcome::Pass(t) => Some(Err(t.clone())),
            ProbeOutcome::Info(_) => Some(Ok(())),
            _ => None,
        });
        let (status, d) = as_26_rule(typed_result, loopback_result);
        let mut ex = typed.seqs.clone();
        ex.extend(loopback.iter().flat_map(|p| p.seqs.clone()));
        let f = self.f("AS-26", status, d, ex);
        Some(vec![if status == Status::Failure {
            with_remedy(
                f,
                "Accept application_type in registration requests (OIDC Dynamic Client Registration §2; RFC 7591 \
                 §2 says unknown members are ignored, never refused).",
            )
        } else {
            f
        }])
    }

    fn as27(&self) -> Vec<Finding> {
        let docs: Vec<&Exchange> =
            self.t.phase(Phase::Discovery).filter(|e| e.method == "GET" && is_complete(e)).collect();
        if docs.is_empty() {
            return vec![self.untestable("AS-27", "no complete metadata document was found")];
        }
        let given = &self.cfg.issuer;
        let ex: Vec<u32> = docs.iter().map(|e| e.seq).collect();
        let bad: Vec<String> = docs
            .iter()
            .filter_map(|e| {
                let named = e.json().and_then(|v| v["issuer"].as_str().map(str::to_owned));
                as_27_rule(given, named.as_deref()).err().map(|why| format!("{} {why}", e.url))
            })
            .collect();
        if bad.is_empty() {
            return vec![self.f(
                "AS-27",
                Status::Success,
                format!("every metadata document names issuer `{given}`, byte for byte"),
                ex,
            )];
        }
        vec![with_remedy(
            self.f(
                "AS-27",
                Status::Failure,
                format!("{}: a 2026-07-28 client must not use this metadata", bad.join("; ")),
                ex,
            ),
            format!("Serve metadata whose issuer is exactly `{given}`, the base its well-known URL is built from."),
        )]
    }

    fn as28(&self) -> Vec<Finding> {
        if let Err(f) = self.cimd_used_gate("AS-28") {
            return vec![*f];
        }
        if !self.authorized() {
            return vec![
                self.untestable("AS-28", "ChatGPT's own document was not accepted, so a refusal would prove nothing"),
            ];
        }
        let part = |rule: &'static str, name: &str| {
            let p = self.o.probes.get(name);
            let outcome = p.and_then(|p| match &p.outcome {
                ProbeOutcome::Pass(t) => Some(Ok(t.clone())),
                ProbeOutcome::Fail(t) => Some(Err(t.clone())),
                _ => None,
            });
            (CimdPart { rule, outcome }, p.map(|p| p.seqs.clone()).unwrap_or_default())
        };
        let parts = [
            part("client_id equals the document URL", probe::CIMD_ID_MISMATCH),
            part("redirect_uri checked against the document", probe::REDIRECT),
            part("a document without redirect_uris refused", probe::CIMD_NO_REDIRECTS),
        ];
        let ex: Vec<u32> = parts.iter().flat_map(|(_, s)| s.clone()).collect();
        let parts: Vec<CimdPart> = parts.into_iter().map(|(p, _)| p).collect();
        let (status, d) = as_28_rule(&parts);
        let f = self.f("AS-28", status, d, ex);
        if status == Status::Failure {
            return vec![with_remedy(
                f,
                "Validate metadata documents (draft-ietf-oauth-client-id-metadata-document-02): client_id equal to \
                 the URL, redirect_uri among the document's redirect_uris, required fields present.",
            )];
        }
        vec![f]
    }

    fn gpt14(&self) -> Vec<Finding> {
        let Some(meta) = self.meta() else { return vec![self.untestable("GPT-14", "no metadata was found")] };
        let stable_without_iss = self.o.profile.redirect_uri.value.rule == RedirectRule::Stable;
        let verdict = gpt_14_rule(meta, stable_without_iss);
        let issuer = meta.get("issuer").and_then(Value::as_str).unwrap_or_default().to_owned();
        let ex = [self.meta_seq(), self.seqs(Phase::Authorize).last().copied().into_iter().collect()].concat();
        let remedy = format!(
            "Send iss={issuer} (exactly the metadata's issuer) on every authorization response and advertise \
             authorization_response_iss_parameter_supported: true (RFC 9207)."
        );
        let relay = self
            .o
            .registered
            .as_ref()
            .map(|c| c.redirect_uri.as_str())
            .unwrap_or("https://chatgpt.com/connector/oauth/{id}")
            .to_owned();
        if let Some(status) = verdict.status(gpt_21_judged(&self.o.profile)) {
            return vec![if verdict == Gpt14::PerConnectorRelay && status == Status::Info {
                self.f(
                    "GPT-14",
                    status,
                    format!(
                        "RFC 9207 is not advertised, so ChatGPT uses its per-connector callback ({relay}), and \
                         connecting works; what that means for Apps submission is GPT-21"
                    ),
                    ex,
                )
            } else if verdict == Gpt14::PerConnectorRelay {
                with_remedy(
                    self.f(
                        "GPT-14",
                        status,
                        format!(
                            "RFC 9207 is not advertised, so ChatGPT uses a per-connector callback ({relay}) instead \
                             of the stable {STABLE_CALLBACK}: every connector brings a new redirect URI"
                        ),
                        ex,
                    ),
                    remedy,
                )
            } else {
                self.f("GPT-14", status, "RFC 9207 is not advertised (this profile uses the stable callback and checks iss only when advertised)", ex)
            }];
        }
        if let Some(f) = self.failure().filter(|f| f.kind == FailureKind::IssMismatch) {
            return vec![with_remedy(
                self.f("GPT-14", Status::Failure, format!("{}{}", self.chatgpt_says(), f.cause), ex),
                remedy,
            )];
        }
        let Some(cb) = self.callback() else {
            return vec![self.untestable("GPT-14", "no authorization response was received")];
        };
        match cb.query_pairs().find(|(k, _)| k == "iss").map(|(_, v)| v.into_owned()) {
            Some(i) if i == issuer => {
                vec![self.f(
                    "GPT-14",
                    Status::Success,
                    format!("advertised, and the authorization response carries iss={i}"),
                    ex,
                )]
            }
            other => vec![with_remedy(
                self.f(
                    "GPT-14",
                    Status::Failure,
                    format!("advertised, but the authorization response's iss is {other:?}"),
                    ex,
                ),
                remedy,
            )],
        }
    }

    /// GPT-21, for the profiles that judge it (the dual-era ChatGPT, which knows the Apps submission
    /// builder's refusal): the scenario checks' rule over the metadata and the callback's `iss`.
    fn gpt21(&self) -> Option<Vec<Finding>> {
        if !gpt_21_judged(&self.o.profile) {
            return None;
        }
        let Some(meta) = self.meta() else { return Some(vec![self.untestable("GPT-21", "no metadata was found")]) };
        let Some(cb) = self.callback().filter(|u| u.query_pairs().any(|(k, _)| k == "code")) else {
            return Some(vec![self.untestable("GPT-21", "no authorization response with a code was received")]);
        };
        let iss = cb.query_pairs().find(|(k, _)| k == "iss").map(|(_, v)| v.into_owned());
        let ex = [self.meta_seq(), self.seqs(Phase::Authorize).last().copied().into_iter().collect()].concat();
        // A SHOULD (single source): its violation is a WARNING, as in the scenario check.
        let violated = harness_checks::catalogue::get("GPT-21").map(|r| r.violation()).unwrap_or(Status::Warning);
        let says = harness_checks::catalogue::get("GPT-21")
            .and_then(|r| r.chatgpt_says(""))
            .map(|m| format!(" (\"{m}\")"))
            .unwrap_or_default();
        let remedy = format!(
            "Advertise authorization_response_iss_parameter_supported: true and send iss={} (exactly the metadata's \
             issuer) on every authorization response (RFC 9207), so ChatGPT uses its stable callback.",
            meta.get("issuer").and_then(Value::as_str).unwrap_or(&self.cfg.issuer)
        );
        Some(vec![match gpt_21_rule(meta, iss.as_deref()) {
            Gpt21::Stable => self.f(
                "GPT-21",
                Status::Success,
                "RFC 9207 is advertised and the authorization response carries the metadata's issuer as iss: ChatGPT \
                 uses its stable callback, as Apps submission needs",
                ex,
            ),
            Gpt21::NotAdvertised => with_remedy(
                self.f(
                    "GPT-21",
                    violated,
                    format!(
                        "authorization_response_iss_parameter_supported: true is not advertised, so ChatGPT uses its \
                         per-connector callback: connecting works, but the Apps submission builder rejects it{says}"
                    ),
                    ex,
                ),
                remedy,
            ),
            Gpt21::IssNotReturned(got) => with_remedy(
                self.f(
                    "GPT-21",
                    violated,
                    format!(
                        "RFC 9207 is advertised, but the authorization response's iss is {}, not the metadata's issuer, \
                         so the Apps submission builder gets no stable callback{says}",
                        got.map(|g| format!("`{g}`")).unwrap_or_else(|| "absent".into())
                    ),
                    ex,
                ),
                remedy,
            ),
            _ => return None,
        }])
    }

    /// Every item's checks for this run (PCC items with mappings get theirs later).
    fn all(&self) -> BTreeMap<&'static str, Vec<Finding>> {
        let mut m: BTreeMap<&'static str, Vec<Finding>> = BTreeMap::new();
        if self.o.kind == RunKind::PublicClient {
            m.insert("AS-18", self.as18());
            m.insert("GPT-17", self.gpt17());
            return m;
        }
        m.insert("AS-02", self.as02());
        m.insert("AS-04", self.s256("AS-04"));
        m.insert("AS-05", self.as05());
        m.insert("AS-06", self.as06());
        m.insert("AS-07", self.as07());
        m.insert(
            "AS-08",
            self.cimd_probe(
                "AS-08",
                probe::CIMD_ID_MISMATCH,
                "a metadata document whose client_id is not its URL",
                "Refuse a client metadata document whose client_id differs from the URL it was fetched from.",
            ),
        );
        m.insert("AS-10", {
            match self.cimd_used_gate("AS-10") {
                Err(f) => vec![*f],
                Ok(()) => self.as15(
                    "AS-10",
                    "Allow only the redirect_uris the client's metadata document lists, compared exactly.",
                ),
            }
        });
        m.insert(
            "AS-11",
            self.cimd_probe(
                "AS-11",
                probe::CIMD_NO_REDIRECTS,
                "a metadata document without redirect_uris",
                "Validate client metadata documents: refuse one without redirect_uris (or without client_id or \
                 client_name).",
            ),
        );
        m.insert("AS-14", self.as14());
        m.insert(
            "AS-15",
            self.as15(
                "AS-15",
                "Compare redirect_uri character for character with the registered URIs (no prefix or pattern \
                 matching), and answer a mismatch with an error page — never a redirect to the unregistered URI.",
            ),
        );
        m.insert("AS-17", self.as17());
        m.insert("AS-18", self.as18());
        m.insert("AS-20", self.as20());
        m.insert("AS-22", self.as22());
        m.insert("AS-23", self.as23());
        m.insert("AS-24", self.as24());
        m.insert("AS-25", self.as25());
        if let Some(f) = self.as26() {
            m.insert("AS-26", f);
        }
        m.insert("AS-27", self.as27());
        m.insert("AS-28", self.as28());
        m.insert("GPT-03", self.gpt03());
        m.insert("GPT-04", self.gpt04());
        m.insert("GPT-05", self.gpt05());
        m.insert("GPT-06", self.gpt06());
        m.insert("GPT-07", self.gpt07());
        m.insert("GPT-08", vec![self.audience("GPT-08")]);
        m.insert("GPT-09", self.gpt09());
        m.insert("GPT-10", self.s256("GPT-10"));
        m.insert("GPT-14", self.gpt14());
        m.insert("GPT-15", self.gpt15());
        m.insert("GPT-17", self.gpt17());
        if let Some(f) = self.gpt21() {
            m.insert("GPT-21", f);
        }
        m.insert("PCC-2", self.pcc2());
        m.insert("PCC-3", self.pcc3());
        m.insert("PCC-6", self.pcc6());
        m.insert("PCC-7", self.pcc7());
        m
    }
}

/// `scheme://host:port/path` of a URL (queries of login pages carry session state).
fn without_query(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut u) => {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => one_line_capped(u, 160),
    }
}

/// What a response said, in a few words: an HTML page's title, else the start of its body.
fn response_gist(e: &Exchange) -> Option<String> {
    let x = excerpt(e);
    let (_, rest) = x.split_once(" → ")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit()).trim();
    let rest = rest.strip_prefix('(').and_then(|r| r.strip_suffix(')')).unwrap_or(rest);
    (!rest.is_empty()).then(|| one_line_capped(rest, 160))
}

fn human_secs(s: i64) -> String {
    if s % 3600 == 0 && s >= 3600 {
        format!("{} h", s / 3600)
    } else if s % 60 == 0 && s >= 60 {
        format!("{} min", s / 60)
    } else {
        format!("{s} s")
    }
}

/// `{origin}/.well-known/{name}{path}` for an issuer (RFC 8414 §3.1).
fn well_known(issuer: &str, name: &str) -> String {
    match url::Url::parse(issuer) {
        Ok(u) => format!("{}/.well-known/{name}{}", u.origin().ascii_serialization(), u.path().trim_end_matches('/')),
        Err(_) => format!("{issuer}/.well-known/{name}"),
    }
}

fn well_known_appended(issuer: &str) -> String {
    format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/'))
}

/// The PCC check standing for a mapped item's result in one run.
fn mapped_check(pcc: &str, mapped: &str, r: &[Finding]) -> Finding {
    let status = combine(r.iter().map(|f| f.status));
    let worst = r.iter().filter(|f| f.status == status).find(|f| f.status != Status::Info).or(r.first());
    let mut exchanges: Vec<u32> = r.iter().flat_map(|f| f.exchanges.clone()).collect();
    exchanges.sort_unstable();
    exchanges.dedup();
    let mut f = finding(
        pcc,
        status,
        format!("{mapped}: {}", worst.map(|w| w.description.as_str()).unwrap_or("no result")),
        exchanges,
    );
    f.untestable = status == Status::Failure && r.iter().filter(|f| f.status == Status::Failure).all(|f| f.untestable);
    if let Some(rem) = worst.and_then(remedy_of) {
        f.details = json!({ "remedy": rem, "covers": mapped });
    } else {
        f.details = json!({ "covers": mapped });
    }
    f
}

/// Judges every run and assembles the certification.
///
/// Pure: reads only the observations (already redacted), so a saved certification judged again
/// gives the same items.
pub fn certification(cfg: &Observations) -> Certification {
    let runs = &cfg.runs;
    let mut notes = cfg.notes.clone();
    let mut per_run: Vec<BTreeMap<&'static str, Vec<Finding>>> = Vec::new();
    for o in runs {
        let j = J { o, cfg, t: &o.transcript };
        let mut m = j.all();
        for def in ITEMS.iter().filter(|d| !d.maps_to.is_empty()) {
            let mut checks: Vec<Finding> = m.get(def.id).cloned().unwrap_or_default();
            for mapped in def.maps_to {
                if let Some(r) = m.get(mapped) {
                    checks.push(mapped_check(def.id, mapped, r));
                }
            }
            if !checks.is_empty() {
                m.insert(def.id, checks);
            }
        }
        per_run.push(m);
    }

    let mut items = Vec::new();
    for def in ITEMS {
        let (name, level, summary) = catalogue::describe(def);
        let mut results = Vec::new();
        for (i, o) in runs.iter().enumerate() {
            let Some(checks) = per_run[i].get(def.id) else { continue };
            let status = combine(checks.iter().map(|c| c.status));
            let untestable = status == Status::Failure
                && checks.iter().filter(|c| c.status == Status::Failure).all(|c| c.untestable);
            let mut seqs: Vec<u32> = checks.iter().flat_map(|c| c.exchanges.clone()).collect();
            seqs.sort_unstable();
            seqs.dedup();
            let evidence = seqs
                .iter()
                .filter_map(|s| o.transcript.exchanges.iter().find(|e| e.seq == *s))
                .map(|e| Evidence { seq: e.seq, excerpt: excerpt(e) })
                .collect();
            results.push(ItemResult { run: o.key.clone(), status, untestable, checks: checks.clone(), evidence });
        }
        let status = combine(results.iter().map(|r| r.status));
        let untestable =
            status == Status::Failure && results.iter().filter(|r| r.status == Status::Failure).all(|r| r.untestable);
        let mut remedies: Vec<String> = Vec::new();
        for r in &results {
            for c in r.checks.iter().filter(|c| c.status.is_problem() && !c.untestable) {
                if let Some(rem) = remedy_of(c).filter(|r| !r.is_empty())
                    && !remedies.iter().any(|x| x == rem)
                {
                    remedies.push(rem.to_owned());
                }
            }
        }
        items.push(Item {
            id: def.id.to_owned(),
            name,
            level,
            summary,
            how: def.how.to_owned(),
            maps_to: def.maps_to.iter().map(|s| s.to_string()).collect(),
            status,
            untestable,
            results,
            remedies,
        });
    }

    let profile_runs: Vec<ProfileRun> = runs
        .iter()
        .map(|o| {
            let failure = o.result.as_ref().err().cloned();
            ProfileRun {
                key: o.key.clone(),
                profile: o.profile.name.clone(),
                display: o.profile.display.clone(),
                purpose: o.purpose.clone(),
                verdict: o.verdict_line(),
                failure,
                client: o.registered.as_ref().map(|c| format!("{} {}", kind_name(c.kind), c.auth_method)),
                cimd_fetches: o.cimd_fetches.clone(),
                transcript: o.transcript.clone(),
                duration_ms: o.duration_ms,
            }
        })
        .collect();

    let status = combine(items.iter().map(|i| i.status));
    let failing: Vec<&str> =
        items.iter().filter(|i| i.status == Status::Failure && !i.untestable).map(|i| i.id.as_str()).collect();
    let untested = items.iter().filter(|i| i.untestable).count();
    let warning: Vec<&str> = items.iter().filter(|i| i.status == Status::Warning).map(|i| i.id.as_str()).collect();
    let verdict = match (failing.is_empty(), warning.is_empty()) {
        (true, true) => format!("{} works with ChatGPT's connector flow: every applicable item passes", cfg.issuer),
        (true, false) => format!(
            "{} works with ChatGPT's connector flow, with {} warning(s): {}",
            cfg.issuer,
            warning.len(),
            warning.join(", ")
        ),
        (false, _) => format!("{} fails {} item(s): {}", cfg.issuer, failing.len(), failing.join(", ")),
    };
    let verdict = match (untested, failing.is_empty()) {
        (0, _) => verdict,
        (n, true) => format!("{}: {n} item(s) could not be tested (an earlier step failed)", cfg.issuer),
        (n, false) => format!("{verdict}; {n} more could not be tested"),
    };
    // A sign-in the harness could not pass comes first: until it works, the rest says little.
    let logins: Vec<(String, String)> = runs
        .iter()
        .filter_map(|o| {
            let j = J { o, cfg, t: &o.transcript };
            j.login_failure().map(|(l, _)| (o.key.clone(), l))
        })
        .collect();
    let verdict = match logins.first() {
        None => verdict,
        Some((_, text)) => {
            let skipped = items
                .iter()
                .filter(|i| i.results.iter().any(|r| r.checks.iter().any(|c| c.description.contains(text.as_str()))))
                .count();
            notes.insert(
                0,
                format!(
                    "The harness could not sign in ({} of {} flow(s)): {text}. The items after the sign-in are \
                     SKIPPED for that reason, and GPT-06 carries the finding.",
                    logins.len(),
                    runs.len()
                ),
            );
            format!("{} not certified: {text}; {skipped} item(s) untested or only partly tested", cfg.issuer)
        }
    };
    if items.iter().any(|i| i.results.iter().any(|r| r.checks.iter().any(|c| c.untestable))) {
        notes.push(
            "Items marked \"not tested\" failed only because an earlier step of the same flow failed; fix the first \
             failure and run again."
                .to_owned(),
        );
    }
    let mut cert = Certification {
        kind: "connector-harness idp certification".to_owned(),
        harness_version: env!("CARGO_PKG_VERSION").to_owned(),
        started_at: cfg.started_at.clone(),
        duration_ms: cfg.duration_ms,
        issuer: cfg.issuer.clone(),
        resource: cfg.resource.clone(),
        login: cfg.login.describe(),
        status,
        verdict,
        runs: profile_runs,
        items,
        notes,
        totals: Default::default(),
    };
    cert.totals = cert.totals();
    cert
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_locations_of_issuers() {
        assert_eq!(
            well_known("https://idp.example/tenant1", "oauth-authorization-server"),
            "https://idp.example/.well-known/oauth-authorization-server/tenant1"
        );
        assert_eq!(
            well_known("https://idp.example/", "oauth-authorization-server"),
            "https://idp.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            well_known_appended("https://idp.example/t/"),
            "https://idp.example/t/.well-known/openid-configuration"
        );
        assert_eq!(human_secs(3600), "1 h");
        assert_eq!(human_secs(90), "90 s");
        assert_eq!(human_secs(300), "5 min");
    }

    #[test]
    fn server_text_is_one_clean_line() {
        assert_eq!(one_line_capped("Invalid\x1b[31m  password\n\r\tplease", 80), "Invalid\\x1b[31m password please");
        assert_eq!(one_line_capped(&"x".repeat(300), 10), format!("{}… (300 bytes)", "x".repeat(10)));
        assert_eq!(without_query("http://127.0.0.1:1/login?session=abc#f"), "http://127.0.0.1:1/login");
    }

    #[test]
    fn excerpts_are_one_line_and_summarise_html() {
        let mut e = Exchange {
            seq: 3,
            phase: Phase::Token,
            attempt: 1,
            label: "x".into(),
            kind: Default::default(),
            method: "POST".into(),
            url: "http://127.0.0.1:1/token".into(),
            request_headers: vec![],
            request_body: None,
            status: Some(400),
            response_headers: vec![],
            response_body: Some("{\"error\":\n \"invalid_grant\"}".into()),
            truncated: false,
            duration_ms: 1,
            error: None,
            secrets: vec![],
            continuation: false,
        };
        assert_eq!(excerpt(&e), "POST http://127.0.0.1:1/token → 400 {\"error\": \"invalid_grant\"}");
        e.response_body = Some("<!DOCTYPE html><html><head><title>oops! something went wrong</title>".into());
        assert_eq!(excerpt(&e), "POST http://127.0.0.1:1/token → 400 (HTML page: \"oops! something went wrong\")");
        e.status = None;
        e.error = Some("connection failed".into());
        assert_eq!(excerpt(&e), "POST http://127.0.0.1:1/token → no response: connection failed");
    }
}
