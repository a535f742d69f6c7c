//! The authorization endpoint and the user's part of it: auto-approve, an HTML login and consent
//! flow with a cookie session, or a refusal.
//!
//! Error handling follows RFC 6749 §4.1.2.1: while the client or redirect URI is in doubt the
//! error is shown to the user and nothing is redirected (an open redirector otherwise); after that,
//! errors go back to the client on the redirect URI with `state` (and `iss`, RFC 9207).

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use std::sync::Arc;
use url::Url;

use crate::config::LoginMode;
use crate::error::OAuthError;
use crate::quirks::Quirk;
use crate::state::{AppState, AuthorizationRequestRecord, ClientSource, CodeRecord, PendingAuthorization};
use crate::store::truncate;

/// Field names of the login and consent forms, fixed so form drivers can be configured against them.
pub mod fields {
    /// Login form: user name.
    pub const USERNAME: &str = "username";
    /// Login form: password.
    pub const PASSWORD: &str = "password";
    /// Both forms: the pending authorization.
    pub const REQUEST_ID: &str = "request_id";
    /// Consent form: `approve` or `deny`.
    pub const DECISION: &str = "decision";
}

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "mock_idp_session";

/// How long a form-mode authorization may wait for the user.
const PENDING_TTL: i64 = 600;

fn parse_query(raw: Option<&str>) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

/// Logs the request in the authorization-request ring buffer, each name and value cut to
/// `max_logged_bytes` (and at most 100 parameters: a query is bounded by the HTTP layer, but a
/// parameter list need not be kept whole to show what a client sent).
fn record(state: &AppState, params: Vec<(String, String)>, outcome: &str) {
    let max = state.config.limits.max_logged_bytes;
    let params = params.into_iter().take(100).map(|(k, v)| (truncate(k, max), truncate(v, max))).collect();
    state.auth_requests.lock().push(AuthorizationRequestRecord { params, outcome: outcome.to_owned() });
}

/// Shown to the user when the IdP must not redirect.
fn error_page(e: &OAuthError) -> Response {
    e.clone().into_response()
}

/// Builds the redirect back to the client, keeping the redirect URI's own query (RFC 6749 §3.1.2).
fn redirect(state: &AppState, redirect_uri: &str, params: &[(&str, &str)], client_state: Option<&str>) -> Response {
    let mut url = match Url::parse(redirect_uri) {
        Ok(u) => u,
        Err(_) => return OAuthError::invalid_request("redirect URI is not absolute").into_response(),
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
        if let Some(s) = client_state {
            q.append_pair("state", s);
        }
        // RFC 9207 §2 and MCP 2026-07-28 (AS-24): `iss` on every authorization response, errors included.
        let is_error = params.iter().any(|(k, _)| *k == "error");
        let omitted = state.config.has(Quirk::IssParameterOmitted)
            || state.config.has(Quirk::IssParameterNotAdvertised)
            || (is_error && state.config.has(Quirk::IssOmittedOnErrors));
        if !omitted {
            if state.config.has(Quirk::IssParameterWrong) {
                q.append_pair("iss", "https://wrong-issuer.example");
            } else {
                q.append_pair("iss", &state.issuer);
            }
        }
    }
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(url.as_str()) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// How long a redeemed code is remembered after issue: as long as anything it produced can live,
/// so a replay still revokes those tokens (RFC 6749 §4.1.2). Unredeemed codes go when they expire.
pub(crate) fn code_retention(state: &AppState) -> i64 {
    let c = &state.config;
    c.code_ttl.max(c.access_token_ttl).max(c.refresh_token_ttl) as i64
}

fn issue_code(state: &AppState, p: &PendingAuthorization, sub: &str) -> String {
    let code = crate::random::token(32);
    let now = state.now();
    let record = CodeRecord {
        code: code.clone(),
        client_id: p.client_id.clone(),
        redirect_uri: p.redirect_uri.clone(),
        redirect_uri_sent: p.redirect_uri_sent,
        scope: p.scope.clone(),
        resources: p.resources.clone(),
        code_challenge: p.code_challenge.clone(),
        code_challenge_method: p.code_challenge_method.clone(),
        sub: sub.to_owned(),
        issued_at: now,
        redeemed: false,
    };
    let mut codes = state.codes.lock();
    codes.insert(code.clone(), record);
    if codes.sweep_due() {
        let (ttl, keep) = (state.config.code_ttl as i64, code_retention(state));
        codes.retain(|c| now - c.issued_at <= if c.redeemed { keep } else { ttl });
    }
    code
}

fn approve(state: &AppState, p: &PendingAuthorization, sub: &str) -> Response {
    let code = issue_code(state, p, sub);
    redirect(state, &p.redirect_uri, &[("code", &code)], p.state.as_deref())
}

fn deny(state: &AppState, p: &PendingAuthorization) -> Response {
    redirect(
        state,
        &p.redirect_uri,
        &[("error", "access_denied"), ("error_description", "the user denied the request")],
        p.state.as_deref(),
    )
}

/// `GET /authorize`.
pub(crate) async fn authorize(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let params = parse_query(raw.as_deref());
    let one = |name: &str| -> Result<Option<String>, OAuthError> {
        let mut it = params.iter().filter(|(k, _)| k == name);
        let first = it.next().map(|(_, v)| v.clone());
        if it.next().is_some() {
            return Err(OAuthError::invalid_request(format!("parameter `{name}` is repeated")));
        }
        Ok(first)
    };

    // Phase 1: errors shown to the user, never redirected.
    let pre = async {
        let client_id = one("client_id")?.ok_or_else(|| OAuthError::invalid_request("client_id is required"))?;
        let client = match crate::client_auth::lookup(&state, &client_id).await {
            Some(Ok(c)) => c,
            Some(Err(e)) => return Err(OAuthError { status: StatusCode::BAD_REQUEST, ..e }),
            None => {
                return Err(OAuthError {
                    status: StatusCode::BAD_REQUEST,
                    ..OAuthError::invalid_client(format!("unknown client `{client_id}`"), false)
                });
            }
        };
        let sent = one("redirect_uri")?;
        let redirect_uri = match &sent {
            Some(r) if client.redirect_uris.contains(r) => r.clone(),
            Some(r)
                if client.source == ClientSource::MetadataDocument
                    && state.config.has(Quirk::CimdRedirectUrisNotChecked)
                    && crate::registration::check_redirect_uri(r).is_ok() =>
            {
                r.clone()
            }
            Some(r) => {
                return Err(OAuthError::invalid_request(format!(
                    "redirect_uri `{r}` is not registered for this client (exact match required)"
                )));
            }
            None if client.redirect_uris.len() == 1 => client.redirect_uris[0].clone(),
            None => return Err(OAuthError::invalid_request("redirect_uri is required: the client has several")),
        };
        Ok((client, redirect_uri, sent.is_some()))
    };
    let (client, redirect_uri, redirect_uri_sent) = match pre.await {
        Ok(x) => x,
        Err(e) => {
            record(&state, params, e.error);
            return error_page(&e);
        }
    };
    let client_state = params.iter().find(|(k, _)| k == "state").map(|(_, v)| v.clone());

    // Phase 2: errors go back to the client.
    let checked = (|| {
        match one("response_type")?.as_deref() {
            Some("code") => {}
            Some(other) => {
                return Err(("unsupported_response_type", format!("response_type `{other}` is not supported")));
            }
            None => return Err(("invalid_request", "response_type is required".into())),
        }
        let challenge =
            one("code_challenge")?.ok_or(("invalid_request", "code_challenge is required (PKCE)".to_owned()))?;
        let method = one("code_challenge_method")?.unwrap_or_else(|| "plain".into());
        match method.as_str() {
            "S256" => {}
            "plain" if state.config.has(Quirk::PlainPkceAllowed) => {}
            "plain" => return Err(("invalid_request", "code_challenge_method must be S256 (plain is refused)".into())),
            other => return Err(("invalid_request", format!("code_challenge_method `{other}` is not supported"))),
        }
        if !crate::pkce::well_formed(&challenge) {
            return Err(("invalid_request", "code_challenge must be 43-128 characters of [A-Za-z0-9-._~]".into()));
        }
        let resources: Vec<String> = params.iter().filter(|(k, _)| k == "resource").map(|(_, v)| v.clone()).collect();
        for r in &resources {
            check_resource(&state, r).map_err(|e| ("invalid_target", e))?;
        }
        let scope: Vec<String> = one("scope")?
            .map(|s| s.split(' ').filter(|x| !x.is_empty()).map(str::to_owned).collect())
            .unwrap_or_default();
        if let Some(bad) = scope.iter().find(|s| !state.config.scopes_supported.contains(s)) {
            return Err(("invalid_scope", format!("scope `{bad}` is not supported")));
        }
        if let Some(allowed) = &client.allowed_scopes
            && let Some(bad) = scope.iter().find(|s| !allowed.contains(s))
        {
            return Err((
                "invalid_scope",
                format!("scope `{bad}` is not allowed for this client (allowed: {})", allowed.join(" ")),
            ));
        }
        Ok(PendingAuthorization {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            redirect_uri_sent,
            state: client_state.clone(),
            scope,
            resources,
            code_challenge: challenge,
            code_challenge_method: method,
            created_at: state.now(),
        })
    })()
    .map_err(|e: (&'static str, String)| e);
    let pending = match checked {
        Ok(p) => p,
        Err((code, desc)) => {
            record(&state, params, code);
            return redirect(
                &state,
                &redirect_uri,
                &[("error", code), ("error_description", &desc)],
                client_state.as_deref(),
            );
        }
    };

    match state.config.login {
        LoginMode::AutoApprove => {
            record(&state, params, "code");
            let sub = state.config.users.first().map(|u| u.username.clone()).unwrap_or_else(|| "user".into());
            approve(&state, &pending, &sub)
        }
        LoginMode::Deny => {
            record(&state, params, "access_denied");
            deny(&state, &pending)
        }
        LoginMode::Form => {
            record(&state, params, "login_page");
            let id = crate::random::token(16);
            let logged_in = session_user(&state, &headers).is_some();
            {
                let mut logins = state.logins.lock();
                let now = state.now();
                if logins.pending.sweep_due() {
                    logins.pending.retain(|p| p.created_at > now - PENDING_TTL);
                }
                // Beyond the cap the oldest pending authorization is forgotten.
                logins.pending.insert(id.clone(), pending.clone());
            }
            if logged_in { consent_page(&state, &id, &pending) } else { login_page(&state, &id, None) }
        }
    }
}

impl From<OAuthError> for (&'static str, String) {
    fn from(e: OAuthError) -> Self {
        (e.error, e.description)
    }
}

/// A `resource` must be an absolute URI without a fragment (RFC 8707 §2), and one of the
/// configured resources when the IdP has a list.
pub(crate) fn check_resource(state: &AppState, r: &str) -> Result<(), String> {
    let u = Url::parse(r).map_err(|_| format!("resource `{r}` is not an absolute URI"))?;
    if u.fragment().is_some() {
        return Err(format!("resource `{r}` has a fragment"));
    }
    if !state.config.resources.is_empty() && !state.config.resources.iter().any(|x| x == r) {
        return Err(format!("resource `{r}` is not known to this authorization server"));
    }
    Ok(())
}

/// Text from the client (its ID, scope, resource, redirect host) made safe to print: control
/// characters become spaces. Escaping `&<>"` is maud's job, by construction.
fn clean(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

fn page(title: &str, body: Markup) -> Response {
    let html = html! {
        (DOCTYPE)
        html lang="en" {
            head { meta charset="utf-8"; title { (title) } }
            body { h1 { (title) } (body) }
        }
    };
    let mut r = Html(html.into_string()).into_response();
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The pages must not be framed (clickjacking on consent: RFC 9700 §4.16).
    r.headers_mut().insert("x-frame-options", HeaderValue::from_static("DENY"));
    r
}

fn login_page(state: &AppState, id: &str, error: Option<&str>) -> Response {
    page(
        "Sign in to mock-idp",
        html! {
            @if let Some(e) = error { p.error role="alert" { (clean(e)) } }
            form method="post" action={ (state.config.issuer_path) "/login" } {
                input type="hidden" name=(fields::REQUEST_ID) value=(clean(id));
                label { "Username " input type="text" name=(fields::USERNAME) autocomplete="username"; }
                label { "Password " input type="password" name=(fields::PASSWORD) autocomplete="current-password"; }
                button type="submit" { "Sign in" }
            }
        },
    )
}

fn consent_page(state: &AppState, id: &str, p: &PendingAuthorization) -> Response {
    // MCP 2025-11-25 (AS-13): show the redirect URI's host clearly.
    let host = Url::parse(&p.redirect_uri).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_default();
    page(
        "Authorize access",
        html! {
            p {
                "Client " code { (clean(&p.client_id)) } " asks for " code { (clean(&p.scope.join(" "))) }
                " on " code { (clean(&p.resources.join(" "))) } "."
            }
            p { "You will be sent back to " strong { (clean(&host)) } "." }
            form method="post" action={ (state.config.issuer_path) "/consent" } {
                input type="hidden" name=(fields::REQUEST_ID) value=(clean(id));
                button type="submit" name=(fields::DECISION) value="approve" { "Allow" }
                button type="submit" name=(fields::DECISION) value="deny" { "Deny" }
            }
        },
    )
}

fn session_user(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .map(str::trim);
    let sid =
        cookies.filter_map(|c| c.split_once('=')).find(|(k, _)| *k == SESSION_COOKIE).map(|(_, v)| v.to_owned())?;
    state.logins.lock().sessions.get(&sid).cloned()
}

fn form_of(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

fn field<'a>(form: &'a [(String, String)], k: &str) -> Option<&'a str> {
    form.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str())
}

fn take_pending(state: &AppState, id: &str, remove: bool) -> Option<PendingAuthorization> {
    let mut logins = state.logins.lock();
    let now = state.now();
    let p = logins.pending.get(id).filter(|p| p.created_at > now - PENDING_TTL).cloned();
    if remove || p.is_none() {
        logins.pending.remove(id);
    }
    p
}

/// `POST /login`.
pub(crate) async fn login(State(state): State<Arc<AppState>>, body: axum::body::Bytes) -> Response {
    let form = form_of(&body);
    let id = field(&form, fields::REQUEST_ID).unwrap_or_default().to_owned();
    let Some(pending) = take_pending(&state, &id, false) else {
        return page(
            "Sign-in expired",
            html! { p { "This authorization request is unknown or has expired. Start again from the application." } },
        )
        .map_status(StatusCode::BAD_REQUEST);
    };
    let (u, p) =
        (field(&form, fields::USERNAME).unwrap_or_default(), field(&form, fields::PASSWORD).unwrap_or_default());
    if !state.config.users.iter().any(|x| x.username == u && x.password == p) {
        return login_page(&state, &id, Some("Invalid username or password.")).map_status(StatusCode::UNAUTHORIZED);
    }
    let sid = crate::random::token(24);
    {
        // Beyond the cap the oldest session is forgotten (its user signs in again).
        state.logins.lock().sessions.insert(sid.clone(), u.to_owned());
    }
    let mut r = consent_page(&state, &id, &pending);
    if let Ok(v) = HeaderValue::from_str(&format!("{SESSION_COOKIE}={sid}; Path=/; HttpOnly; SameSite=Lax")) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}

/// `POST /consent`.
pub(crate) async fn consent(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let form = form_of(&body);
    let id = field(&form, fields::REQUEST_ID).unwrap_or_default().to_owned();
    let Some(user) = session_user(&state, &headers) else {
        return page("Not signed in", html! { p { "Sign in first." } }).map_status(StatusCode::UNAUTHORIZED);
    };
    let Some(pending) = take_pending(&state, &id, true) else {
        return page("Request expired", html! { p { "This authorization request is unknown or has expired." } })
            .map_status(StatusCode::BAD_REQUEST);
    };
    match field(&form, fields::DECISION) {
        Some("approve") => approve(&state, &pending, &user),
        _ => deny(&state, &pending),
    }
}

trait MapStatus {
    fn map_status(self, s: StatusCode) -> Response;
}
impl MapStatus for Response {
    fn map_status(mut self, s: StatusCode) -> Response {
        *self.status_mut() = s;
        self
    }
}
