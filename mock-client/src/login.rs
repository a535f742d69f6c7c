//! The user's part of authorization, as a driver: follow redirects (`auto`), fill and submit HTML
//! forms (`form`), or ask a person (`manual`). Every driver stops at the redirect URI and never
//! contacts its host: the `Location` that points there is the result.

use std::collections::BTreeMap;
use tokio::io::AsyncReadExt as _;
use url::Url;

use crate::ctx::Ctx;
use crate::fail::fail;
use crate::http::Req;
use crate::options::LoginDriver;
use crate::outcome::{Failure, FailureKind};
use crate::transcript::{ExchangeKind, Phase, SecretKind};

/// Words that mark the button that grants access, in order of preference.
const APPROVE_WORDS: &[&str] = &[
    "approve",
    "allow",
    "accept",
    "authorize",
    "consent",
    "yes",
    "continue",
    "confirm",
    "sign in",
    "log in",
    "login",
    "submit",
];

fn is_redirect_target(location: &Url, redirect_uri: &Url) -> bool {
    location.scheme() == redirect_uri.scheme()
        && location.host_str() == redirect_uri.host_str()
        && location.port_or_known_default() == redirect_uri.port_or_known_default()
        && location.path() == redirect_uri.path()
}

/// Cookies per host, as a browser keeps them (name → value; attributes ignored: the flow is short).
#[derive(Default)]
struct Jar(BTreeMap<String, BTreeMap<String, String>>);

impl Jar {
    fn store(&mut self, host: &str, set_cookie: &str, ctx: &Ctx<'_>) {
        if let Some((name, rest)) = set_cookie.split(';').next().and_then(|c| c.split_once('=')) {
            ctx.rec.secret(SecretKind::Cookie, rest.trim());
            self.0.entry(host.to_owned()).or_default().insert(name.trim().to_owned(), rest.trim().to_owned());
        }
    }
    fn header(&self, host: &str) -> Option<String> {
        let c = self.0.get(host)?;
        (!c.is_empty()).then(|| c.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; "))
    }
}

/// Runs the driver from the authorization URL; returns the URL the IdP sent the browser back to.
pub(crate) async fn run(ctx: &Ctx<'_>, phase: Phase, auth_url: &str, redirect_uri: &str) -> Result<Url, Failure> {
    run_until(ctx, phase, auth_url, &[redirect_uri]).await
}

/// [`run`] that stops at whichever of `redirect_uris` the IdP sends the browser to first (negative
/// probes send one URI and must notice a redirect to another). The first is the one a person is
/// told to expect.
pub(crate) async fn run_until(
    ctx: &Ctx<'_>,
    phase: Phase,
    auth_url: &str,
    redirect_uris: &[&str],
) -> Result<Url, Failure> {
    let p = ctx.profile;
    let mut targets = Vec::new();
    for r in redirect_uris {
        targets.push(Url::parse(r).map_err(|e| ctx.generic(phase, format!("redirect URI `{r}` is not a URL: {e}")))?);
    }
    let Some(target) = targets.first().cloned() else {
        return Err(ctx.generic(phase, "no redirect URI to wait for".to_owned()));
    };
    if let LoginDriver::Manual = ctx.opts.login {
        return manual(ctx, phase, auth_url, &target).await;
    }
    let mut jar = Jar::default();
    let mut next = Req::get(auth_url, "authorization request").kind(ExchangeKind::Authorize);
    let max = ctx.rec.limits().max_redirects;
    for _ in 0..=max {
        let url = Url::parse(&next.url).map_err(|e| ctx.generic(phase, format!("bad URL {}: {e}", next.url)))?;
        let host = url.host_str().unwrap_or_default().to_owned();
        next = next.header("User-Agent", BROWSER_UA);
        if let Some(c) = jar.header(&host) {
            next = next.header("Cookie", c);
        }
        let r = ctx.send(phase, next).await?;
        for sc in r.headers_named("set-cookie") {
            jar.store(&host, sc, ctx);
        }
        if (300..400).contains(&r.status) {
            let loc = r
                .header("location")
                .ok_or_else(|| ctx.generic(phase, format!("HTTP {} without Location", r.status)))?;
            let loc = url.join(loc).map_err(|e| ctx.generic(phase, format!("bad Location `{loc}`: {e}")))?;
            if targets.iter().any(|t| is_redirect_target(&loc, t)) {
                return Ok(loc);
            }
            next = Req::get(loc.as_str(), "follow redirect").kind(ExchangeKind::Authorize);
            continue;
        }
        if r.status != 200 {
            let body = r.json().unwrap_or_default();
            let (err, desc) = crate::fail::oauth_error(&body, r.status);
            return Err(fail(
                p,
                FailureKind::AuthorizeFailed,
                phase,
                ctx.mcp_url.as_str(),
                &[("error", &err), ("detail", &desc)],
                format!(
                    "the authorization server answered HTTP {} at {} ({err}: {desc}) instead of redirecting back",
                    r.status, url
                ),
                Some(r.seq),
            ));
        }
        let LoginDriver::Form { fields } = &ctx.opts.login else {
            return Err(fail(
                p,
                FailureKind::AuthorizeFailed,
                phase,
                ctx.mcp_url.as_str(),
                &[("error", "interaction_required"), ("detail", "a login page")],
                format!("{url} shows a page (login or consent) and the login driver is `auto`; use --login form"),
                Some(r.seq),
            ));
        };
        let (req, passwords) =
            submit(&r.text(), &url, fields).map_err(|e| ctx.generic(phase, format!("{url}: {e}")))?;
        // What goes into a password field is a secret; very short values (a dev login's "any")
        // are left alone, as replacing them everywhere would garble every text they occur in.
        for p in passwords.iter().filter(|p| p.chars().count() >= 4) {
            ctx.rec.secret(SecretKind::Password, p);
        }
        next = req;
    }
    Err(ctx.generic(phase, format!("more than {max} redirects or pages before reaching the redirect URI")))
}

/// A browser-like User-Agent for the user's part (the real client hands this to a browser).
const BROWSER_UA: &str = "Mozilla/5.0 (connector-harness login driver)";

/// Picks the form on a page, fills it, and builds the submission; also returns the values put
/// into password fields.
fn submit(html: &str, page: &Url, values: &BTreeMap<String, String>) -> Result<(Req, Vec<String>), String> {
    let doc = scraper::Html::parse_document(html);
    let form_sel = scraper::Selector::parse("form").expect("static selector");
    let input_sel = scraper::Selector::parse("input, select, textarea, button").expect("static selector");
    let forms: Vec<_> = doc.select(&form_sel).collect();
    // Prefer a form with a field we were told to fill; else the first form.
    let form = forms
        .iter()
        .find(|f| f.select(&input_sel).any(|i| i.value().attr("name").is_some_and(|n| values.contains_key(n))))
        .or(forms.first())
        .ok_or("the page has no form to submit")?;
    let action = form.value().attr("action").unwrap_or("");
    let action = page.join(action).map_err(|e| format!("form action `{action}`: {e}"))?;
    let method = form.value().attr("method").unwrap_or("get").to_ascii_lowercase();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut buttons: Vec<(String, String, String)> = Vec::new();
    let mut passwords: Vec<String> = Vec::new();
    for el in form.select(&input_sel) {
        let v = el.value();
        let Some(name) = v.attr("name") else { continue };
        let kind = v.attr("type").unwrap_or(if v.name() == "button" { "submit" } else { "text" }).to_ascii_lowercase();
        if kind == "submit" || v.name() == "button" {
            let label = format!("{} {}", v.attr("value").unwrap_or(""), el.text().collect::<String>()).to_lowercase();
            buttons.push((name.to_owned(), v.attr("value").unwrap_or("").to_owned(), label));
            continue;
        }
        if (kind == "checkbox" || kind == "radio") && v.attr("checked").is_none() && !values.contains_key(name) {
            continue;
        }
        let value = values.get(name).cloned().unwrap_or_else(|| v.attr("value").unwrap_or("").to_owned());
        if kind == "password" && !value.is_empty() {
            passwords.push(value.clone());
        }
        pairs.push((name.to_owned(), value));
    }
    if let Some(chosen) =
        APPROVE_WORDS.iter().find_map(|w| buttons.iter().find(|b| b.2.contains(w))).or(buttons.first())
    {
        pairs.push((chosen.0.clone(), chosen.1.clone()));
    }
    let label = format!("submit form {}", action.path());
    let req = if method == "post" {
        Req::new(reqwest::Method::POST, action.as_str(), label)
            .kind(ExchangeKind::LoginForm)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("Origin", crate::http::origin(page))
            .form(&pairs)
    } else {
        let mut u = action.clone();
        u.query_pairs_mut().clear().extend_pairs(&pairs);
        Req::get(u.as_str(), label).kind(ExchangeKind::LoginForm)
    };
    Ok((req, passwords))
}

async fn manual(ctx: &Ctx<'_>, phase: Phase, auth_url: &str, target: &Url) -> Result<Url, Failure> {
    use tokio::io::AsyncBufReadExt;
    eprintln!(
        "Open this URL in a browser, sign in, and paste the URL you are sent back to (it starts with {target}):\n\n  {auth_url}\n"
    );
    let mut line = String::new();
    let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).take(64 * 1024);
    let read = tokio::time::timeout(ctx.rec.limits().flow_timeout, stdin.read_line(&mut line)).await;
    match read {
        Ok(Ok(n)) if n > 0 => {
            let u = Url::parse(line.trim())
                .map_err(|e| ctx.generic(phase, format!("the pasted text is not a URL: {e}")))?;
            if !is_redirect_target(&u, target) {
                return Err(ctx.generic(phase, format!("the pasted URL does not start with the redirect URI {target}")));
            }
            Ok(u)
        }
        _ => Err(ctx.generic(phase, "no redirect URL was pasted".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_login_form_and_picks_the_approve_button() {
        let page = Url::parse("http://127.0.0.1:1/t/authorize?x=1").unwrap();
        let html = r#"<form method="post" action="/t/login"><input type="hidden" name="request_id" value="r1">
            <input name="username"><input type="password" name="password">
            <button type="submit" name="decision" value="deny">Deny</button>
            <button type="submit" name="decision" value="approve">Allow</button></form>"#;
        let values = BTreeMap::from([("username".to_string(), "alice".to_string()), ("password".into(), "pw".into())]);
        let (r, passwords) = submit(html, &page, &values).unwrap();
        assert_eq!(passwords, ["pw"], "the password field's value is reported as a secret");
        assert_eq!(r.url, "http://127.0.0.1:1/t/login");
        let body = String::from_utf8(r.body.unwrap()).unwrap();
        assert_eq!(body, "request_id=r1&username=alice&password=pw&decision=approve");
    }

    #[test]
    fn get_forms_and_pages_without_forms() {
        let page = Url::parse("http://h/a").unwrap();
        let (r, passwords) = submit(
            r#"<form action="b"><input name="q" value="1"><input type="submit" value="Continue"></form>"#,
            &page,
            &BTreeMap::new(),
        )
        .unwrap();
        assert!(passwords.is_empty());
        assert_eq!(r.url, "http://h/b?q=1");
        assert!(submit("<p>nothing</p>", &page, &BTreeMap::new()).is_err());
    }

    #[test]
    fn redirect_target_matching_ignores_query_only() {
        let t = Url::parse("https://chatgpt.com/connector_platform_oauth_redirect").unwrap();
        assert!(is_redirect_target(
            &Url::parse("https://chatgpt.com/connector_platform_oauth_redirect?code=1").unwrap(),
            &t
        ));
        assert!(!is_redirect_target(&Url::parse("https://chatgpt.com/other?code=1").unwrap(), &t));
        assert!(!is_redirect_target(&Url::parse("https://evil.com/connector_platform_oauth_redirect").unwrap(), &t));
    }
}
