//! The transcript: one ordered record of every HTTP exchange of a run.
//!
//! Everything downstream — checks, snapshots, reports — reads this and nothing else, so a saved
//! transcript can be re-checked offline. Each exchange names the secrets it carries by reference
//! to [`Transcript::secrets`], so redaction replaces known values, never a guess by pattern — in
//! whatever encoding the text carries them (JSON escapes, percent, form, HTML, base64: see
//! [`crate::redact`]).

use serde::{Deserialize, Serialize};
use std::fmt;

pub use crate::kind::{ExchangeKind, PrmLookup};

/// The step of the connector flow an exchange belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// PRM and AS metadata, and the unauthenticated first request.
    Discovery,
    /// DCR, or the metadata document fetch.
    Registration,
    /// The authorization request and the user's part of it.
    Authorize,
    /// The code exchange.
    Token,
    /// Authenticated MCP calls.
    Mcp,
    /// Re-authorization after a 401/403 or a tool-level challenge.
    StepUp,
    /// The refresh grant.
    Refresh,
    /// Requests the harness sends on purpose to probe the server (garbage tokens, bad headers).
    Probe,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Phase::Discovery => "discovery",
            Phase::Registration => "registration",
            Phase::Authorize => "authorize",
            Phase::Token => "token",
            Phase::Mcp => "mcp",
            Phase::StepUp => "step-up",
            Phase::Refresh => "refresh",
            Phase::Probe => "probe",
        };
        f.write_str(s)
    }
}

/// What kind of secret a value is; names the placeholder it is redacted to (`[token-1]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum SecretKind {
    /// An access token.
    Token,
    /// A refresh token.
    RefreshToken,
    /// A client secret.
    ClientSecret,
    /// An authorization code.
    Code,
    /// A PKCE verifier.
    Verifier,
    /// A PKCE challenge (derived from the verifier; volatile, not secret, redacted for stability).
    Challenge,
    /// The OAuth `state`.
    State,
    /// An RFC 7523 client assertion.
    Assertion,
    /// A client id issued by registration (volatile).
    ClientId,
    /// An MCP session id.
    SessionId,
    /// A cookie value.
    Cookie,
    /// A password typed into a login form by the form driver.
    Password,
}

impl SecretKind {
    /// The placeholder stem: `token` → `[token-1]`.
    pub fn stem(self) -> &'static str {
        match self {
            SecretKind::Token => "token",
            SecretKind::RefreshToken => "refresh-token",
            SecretKind::ClientSecret => "client-secret",
            SecretKind::Code => "code",
            SecretKind::Verifier => "verifier",
            SecretKind::Challenge => "challenge",
            SecretKind::State => "state",
            SecretKind::Assertion => "assertion",
            SecretKind::ClientId => "client-id",
            SecretKind::SessionId => "session-id",
            SecretKind::Cookie => "cookie",
            SecretKind::Password => "password",
        }
    }
}

/// A secret value the run handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Secret {
    /// Kind.
    pub kind: SecretKind,
    /// The value. Transcripts written to disk by the harness are redacted first.
    pub value: String,
}

/// One HTTP request and its response (or the error that replaced it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// Order in the run, from 1.
    pub seq: u32,
    /// Flow step.
    pub phase: Phase,
    /// Connection attempt (ChatGPT starts over, with a fresh registration, after a failure).
    pub attempt: u32,
    /// Why this request was sent, in a few words (`root PRM`, `tools/list`).
    pub label: String,
    /// What the exchange is, as a type: checks match this, never `label` (display text). Absent
    /// in transcripts saved before kinds existed: those load as [`ExchangeKind::Unknown`].
    #[serde(default, skip_serializing_if = "ExchangeKind::is_unknown")]
    pub kind: ExchangeKind,
    /// Method.
    pub method: String,
    /// Full URL.
    pub url: String,
    /// Request headers, in the order sent.
    pub request_headers: Vec<(String, String)>,
    /// Request body as text.
    pub request_body: Option<String>,
    /// Response status; `None` when no response arrived.
    pub status: Option<u16>,
    /// Response headers, in the order received.
    pub response_headers: Vec<(String, String)>,
    /// Response body as text (truncated at the body limit; see [`cut_note`]).
    pub response_body: Option<String>,
    /// Whether the body was cut at the limit.
    pub truncated: bool,
    /// Milliseconds from sending to the end of the body.
    pub duration_ms: u64,
    /// Transport error (timeout, refused, over limit) instead of a response.
    pub error: Option<String>,
    /// Indices into [`Transcript::secrets`] of the secrets this exchange carried, in any
    /// encoding: filled by [`Transcript::redacted`] (empty before).
    pub secrets: Vec<usize>,
    /// Sent only because the harness assumed its way past a failure where the profile's client
    /// stops ([`crate::Continued`]): not what that client does, so checks of its behaviour must
    /// not read it as such.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub continuation: bool,
}

impl Exchange {
    /// A request as it starts, before any answer: first attempt, no kind or label, no headers, body,
    /// response or secrets. Every writer of transcripts (the client, the recording proxy, the HAR
    /// import) starts here and sets what it saw, so a new field gets its empty value in one place.
    pub fn request(seq: u32, phase: Phase, method: impl Into<String>, url: impl Into<String>) -> Self {
        Exchange {
            seq,
            phase,
            attempt: 1,
            label: String::new(),
            kind: ExchangeKind::Unknown,
            method: method.into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            status: None,
            response_headers: Vec::new(),
            response_body: None,
            truncated: false,
            duration_ms: 0,
            error: None,
            secrets: Vec::new(),
            continuation: false,
        }
    }

    /// A response header, case-insensitively.
    pub fn response_header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// A request header, case-insensitively.
    pub fn request_header(&self, name: &str) -> Option<&str> {
        self.request_headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    /// The response body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        self.response_body.as_deref().and_then(|b| serde_json::from_str(b).ok())
    }
}

/// A whole run's exchanges and the secrets they carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    /// Exchanges in order.
    pub exchanges: Vec<Exchange>,
    /// Every secret value seen.
    pub secrets: Vec<Secret>,
    /// What the client decided or could not test along the way, for checks and reports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<Note>,
}

/// What a [`Note`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoteKind {
    /// The authorization server refused the harness's loopback-http metadata document URL, which
    /// ChatGPT never presents: its CIMD path is not testable here, and the flow went on without it.
    CimdUntestable,
    /// Mixed connector mode met a 401 and took the way the profile says.
    MixedMode,
    /// A dual-era client's `server/discover` was answered as a legacy server answers it, and the
    /// client fell back to `initialize` (its profile's `eras.fallback`).
    EraFallback,
    /// The Protected Resource Metadata named another authorization server than before (an AS
    /// migration); the client's credentials stay with the AS that issued them (MCP 2026-07-28 C-33).
    AuthorizationServerChanged,
    /// The message the real client showed the user, from a capture that holds it (a browser HAR
    /// of ChatGPT's connector setup: its backend's `{"detail": …}`); `text` is the message.
    ClientMessage,
}

/// A decision or limit of the client, with the transcript entry it starts at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    /// What.
    pub kind: NoteKind,
    /// One or two sentences, for the report.
    pub text: String,
    /// The first transcript entry after the decision (the exchanges from here on follow it).
    pub from_seq: u32,
}

impl Transcript {
    /// Registers a secret (once). Which exchanges carry it is found by [`Transcript::redacted`],
    /// in every encoding, when the transcript is redacted.
    pub fn add_secret(&mut self, kind: SecretKind, value: &str) {
        if value.is_empty() || self.secrets.iter().any(|s| s.value == value) {
            return;
        }
        self.secrets.push(Secret { kind, value: value.to_owned() });
    }

    /// Appends an exchange, numbering it.
    pub fn push(&mut self, mut e: Exchange) -> u32 {
        e.seq = self.exchanges.len() as u32 + 1;
        let seq = e.seq;
        self.exchanges.push(e);
        seq
    }

    /// Exchanges of one phase.
    pub fn phase(&self, p: Phase) -> impl Iterator<Item = &Exchange> {
        self.exchanges.iter().filter(move |e| e.phase == p)
    }

    /// A copy with every secret replaced by `[kind-N]`, numbered per kind in order of first
    /// appearance. Values are replaced longest first, so a secret containing another is hidden whole.
    pub fn redacted(&self) -> Transcript {
        let r = self.redactor();
        let index: std::collections::HashMap<&str, usize> =
            self.secrets.iter().enumerate().map(|(i, s)| (s.value.as_str(), i)).collect();
        let mut t = self.clone();
        // Header names and values, URLs and bearer tokens repeat across exchanges: each text of
        // up to `MEMO_MAX` bytes is searched once per transcript.
        let mut seen: std::collections::HashMap<String, (String, Vec<usize>)> = Default::default();
        for e in &mut t.exchanges {
            // Which secrets the exchange carries, in any encoding, found while hiding them.
            let mut carried: Vec<usize> = Vec::new();
            let mut hide = |s: &str| {
                const MEMO_MAX: usize = 16 * 1024;
                let (hidden, found) = match seen.get(s) {
                    Some(hit) => hit.clone(),
                    None => {
                        let (hidden, found) = r.hide_finding(s);
                        let found: Vec<usize> = found.into_iter().filter_map(|v| index.get(v).copied()).collect();
                        if s.len() <= MEMO_MAX {
                            seen.insert(s.to_owned(), (hidden.clone(), found.clone()));
                        }
                        (hidden, found)
                    }
                };
                carried.extend(found);
                hidden
            };
            e.url = hide(&e.url);
            // Labels can quote a URL path (a login form's action holding a session id).
            e.label = hide(&e.label);
            for (k, v) in e.request_headers.iter_mut().chain(e.response_headers.iter_mut()) {
                *k = hide(k);
                *v = hide(v);
            }
            e.request_body = e.request_body.as_deref().map(&mut hide);
            e.response_body = e.response_body.as_deref().map(&mut hide);
            e.error = e.error.as_deref().map(&mut hide);
            carried.sort_unstable();
            carried.dedup();
            e.secrets = carried;
        }
        // Notes quote what the server answered (a refusal's error text may echo a code or state).
        for n in &mut t.notes {
            n.text = r.hide(&n.text);
        }
        let mut counters: std::collections::HashMap<SecretKind, usize> = Default::default();
        for s in &mut t.secrets {
            let n = counters.entry(s.kind).or_default();
            *n += 1;
            s.value = format!("[{}-{}]", s.kind.stem(), n);
        }
        t
    }
}

impl Transcript {
    /// `(value, placeholder)` for every secret, with the numbering [`Transcript::redacted`] uses.
    fn placeholders(&self) -> Vec<(String, String)> {
        let mut counters: std::collections::HashMap<SecretKind, usize> = Default::default();
        self.secrets
            .iter()
            .map(|s| {
                let n = counters.entry(s.kind).or_default();
                *n += 1;
                (s.value.clone(), format!("[{}-{}]", s.kind.stem(), n))
            })
            .collect()
    }

    /// The redactor for this transcript's secrets: build it once to hide many texts.
    pub fn redactor(&self) -> crate::redact::Redactor {
        crate::redact::Redactor::new(self.placeholders())
    }

    /// Any text (a finding's description, a decoded claim) with this transcript's secrets replaced
    /// by the same placeholders [`Transcript::redacted`] gives them, so text written next to a
    /// redacted transcript agrees with it and leaks nothing.
    pub fn redact_text(&self, text: &str) -> String {
        self.redactor().hide(text)
    }

    /// [`Transcript::redact_text`] over every string (and key) of a JSON value, so structured
    /// detail is redacted after JSON decoding, not in its serialised form.
    pub fn redact_value(&self, v: &serde_json::Value) -> serde_json::Value {
        self.redactor().hide_value(v)
    }

    /// The outcome with its texts (the client's message, the cause, tool names) redacted: a
    /// failure often quotes what the server answered, and the server may echo a secret.
    pub fn redact_outcome(&self, o: &crate::Outcome) -> crate::Outcome {
        use crate::Outcome;
        let r = self.redactor();
        match o {
            Outcome::Connected { tools, protocol_version } => Outcome::Connected {
                tools: tools.iter().map(|t| r.hide(t)).collect(),
                protocol_version: protocol_version.as_deref().map(|p| r.hide(p)),
            },
            Outcome::Failed(f) => {
                let mut f = f.clone();
                f.message = r.hide(&f.message);
                f.cause = r.hide(&f.cause);
                // What the harness met past the first stop quotes the server as well.
                for c in &mut f.continued {
                    c.assumed = r.hide(&c.assumed);
                    c.next = self.redact_outcome(&c.next);
                }
                Outcome::Failed(f)
            }
            Outcome::NotAttempted => Outcome::NotAttempted,
        }
    }
}

/// What to add where a body that was cut at the harness's size limit did not parse: then the
/// server sent more than the harness reads, which is the finding — not (only) malformed JSON.
pub fn cut_note(truncated: bool) -> &'static str {
    if truncated { " (the body exceeded the harness's size limit and was cut there)" } else { "" }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ex(url: &str, body: &str) -> Exchange {
        Exchange {
            seq: 0,
            phase: Phase::Token,
            attempt: 1,
            label: "t".into(),
            kind: ExchangeKind::Token { grant: "authorization_code".into() },
            method: "POST".into(),
            url: url.into(),
            request_headers: vec![("authorization".into(), {
                use base64::Engine;
                format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("cid:s3cr3t+x"))
            })],
            request_body: Some(body.into()),
            status: Some(200),
            response_headers: vec![],
            response_body: Some("{\"access_token\":\"AT-123\"}".into()),
            truncated: false,
            duration_ms: 1,
            error: None,
            secrets: vec![],
            continuation: false,
        }
    }

    #[test]
    fn redaction_is_exact_and_covers_encodings_and_basic() {
        let mut t = Transcript::default();
        t.push(ex("http://x/cb?code=C%2FD", "code=C%2FD&client_secret=s3cr3t%2Bx"));
        t.add_secret(SecretKind::Code, "C/D");
        t.add_secret(SecretKind::ClientSecret, "s3cr3t+x");
        t.add_secret(SecretKind::Token, "AT-123");
        let r = t.redacted();
        assert_eq!(r.exchanges[0].secrets, vec![0, 1, 2]);
        let text = serde_json::to_string(&r).unwrap();
        for s in ["C/D", "C%2FD", "s3cr3t", "AT-123"] {
            assert!(!text.contains(s), "{s} leaked: {text}");
        }
        assert!(text.contains("[code-1]") && text.contains("[client-secret-1]") && text.contains("[token-1]"));
        assert!(r.exchanges[0].request_headers[0].1.contains("[client-secret-1]"));
    }

    #[test]
    fn free_text_is_redacted_with_the_transcript_placeholders() {
        let mut t = Transcript::default();
        t.add_secret(SecretKind::Token, "aaa");
        t.add_secret(SecretKind::ClientId, "c/1");
        assert_eq!(
            t.redact_text("aud of aaa for c/1 and c%2F1"),
            "aud of [token-1] for [client-id-1] and [client-id-1]"
        );
    }

    #[test]
    fn placeholders_are_numbered_per_kind_in_order() {
        let mut t = Transcript::default();
        t.add_secret(SecretKind::Token, "aaa");
        t.add_secret(SecretKind::Token, "bbb");
        t.add_secret(SecretKind::Token, "aaa");
        t.push(ex("http://x/?a=aaa&b=bbb", ""));
        let r = t.redacted();
        assert_eq!(r.exchanges[0].url, "http://x/?a=[token-1]&b=[token-2]");
        assert_eq!(r.secrets.len(), 2);
    }

    #[test]
    fn an_exchange_saved_without_kind_loads_as_unknown() {
        let mut v = serde_json::to_value(ex("https://as.example/token", "grant_type=authorization_code")).unwrap();
        assert_eq!(v["kind"]["type"], "token");
        v.as_object_mut().unwrap().remove("kind");
        let back: Exchange = serde_json::from_value(v).unwrap();
        assert_eq!(back.kind, ExchangeKind::Unknown);
    }
}
