//! The certification items: the AS-* and GPT-* requirements of the project catalogue that an
//! authorization server can be tested for on its own, and the nine items of seed 004's "Provider
//! Configuration Checklist" as PCC-1…PCC-9, each mapped to the AS/GPT items it corresponds to.
//!
//! Names, summaries and levels of AS/GPT items come from `requirements.yaml`; `how` says how the
//! certification decides them (the project catalogue's `how` describes the server-side harness).

use harness_checks::catalogue::Level;

/// One item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemDef {
    /// `AS-18`, `GPT-07`, `PCC-4`.
    pub id: &'static str,
    /// For PCC-*: the checklist's wording; AS/GPT take theirs from the catalogue.
    pub name: Option<&'static str>,
    /// For PCC-*: the level; AS/GPT take theirs from the catalogue.
    pub level: Option<Level>,
    /// For PCC-*: the AS/GPT items it covers.
    pub maps_to: &'static [&'static str],
    /// How the certification decides it.
    pub how: &'static str,
}

const fn item(id: &'static str, how: &'static str) -> ItemDef {
    ItemDef { id, name: None, level: None, maps_to: &[], how }
}

const fn pcc(
    id: &'static str,
    name: &'static str,
    level: Level,
    maps_to: &'static [&'static str],
    how: &'static str,
) -> ItemDef {
    ItemDef { id, name: Some(name), level: Some(level), maps_to, how }
}

/// Every item, in report order.
pub const ITEMS: &[ItemDef] = &[
    item(
        "AS-02",
        "GET on every issuer location the profile probes (RFC 8414 `/.well-known/oauth-authorization-server{path}`, \
         OIDC `/.well-known/openid-configuration{path}` and `{path}/.well-known/openid-configuration`). SUCCESS when \
         the RFC 8414 location serves complete metadata (authorization_endpoint and token_endpoint); WARNING when \
         only an OIDC location does (MCP 2025-06-18 clients read RFC 8414 only); FAILURE when none does.",
    ),
    item(
        "AS-04",
        "The metadata's code_challenge_methods_supported must contain S256; FAILURE when it is missing or lacks S256.",
    ),
    item(
        "AS-05",
        "Profiles that use CIMD only. SUCCESS when the IdP accepts ChatGPT's metadata document at authorization; \
         WARNING when it does not advertise CIMD (ChatGPT then falls back to DCR), advertises it without an auth \
         method ChatGPT can use, or refuses the document.",
    ),
    item(
        "AS-06",
        "Profiles that use CIMD only. SUCCESS when the metadata has client_id_metadata_document_supported: true, \
         INFO otherwise (the mechanism; never failing).",
    ),
    item(
        "AS-07",
        "Profiles that use CIMD only. The harness serves the document on its own host and logs every request: \
         SUCCESS when the IdP fetched it, WARNING when it authorized the client without fetching it.",
    ),
    item(
        "AS-08",
        "Negative probe (CIMD): a document whose client_id is not its own URL is served and used as client_id. \
         SUCCESS when the authorization request is refused; FAILURE when a code is issued.",
    ),
    item(
        "AS-10",
        "Negative probe (CIMD): the authorization request names a redirect_uri the document does not list (the \
         listed one with an extra path segment). SUCCESS when refused; FAILURE when the IdP redirects there or \
         issues a code.",
    ),
    item(
        "AS-11",
        "Negative probe (CIMD): a document without redirect_uris is served and used as client_id. SUCCESS when \
         refused; FAILURE when a code is issued.",
    ),
    item(
        "AS-14",
        "SUCCESS when the metadata advertises a registration_endpoint (whether ChatGPT's body is accepted is \
         GPT-05); WARNING when it does not.",
    ),
    item(
        "AS-15",
        "Negative probe: an authorization request with the client's redirect URI plus an extra path segment \
         (catches prefix matching). SUCCESS when refused (an error page, or an error sent to the registered URI); \
         FAILURE when the IdP sends the browser to the unregistered URI or issues a code.",
    ),
    item(
        "AS-17",
        "The access token's lifetime, from expires_in, else the JWT's exp − iat, else introspection's exp. \
         SUCCESS up to 24 h; WARNING above 24 h or when no lifetime is given.",
    ),
    item(
        "AS-18",
        "Refresh twice (the second with the rotated token), then replay the first refresh token. For a public \
         client (token_endpoint_auth_method none) SUCCESS when a new refresh token is issued and the used one is \
         refused at once; when the replay is accepted at once it is replayed again after a wait (35 s, \
         --refresh-reuse-wait): refused then is a reuse window (INFO, with its length as far as observed, and \
         whether the family was revoked), accepted then or no rotation FAILURE. Confidential clients may keep \
         their refresh token (INFO). When no ChatGPT \
         profile got a public client, a public client is registered through DCR (ChatGPT's body with \
         token_endpoint_auth_method none) for this item alone.",
    ),
    item(
        "AS-20",
        "The access token's aud (JWT claims, or introspection for opaque tokens) must contain the resource \
         (WARNING when not, SHOULD); and negative probe: a fresh code exchanged for a foreign resource the user \
         never authorized must be refused or at least not bound into aud (FAILURE when the token's aud names it).",
    ),
    item(
        "AS-22",
        "Every complete metadata document fetched from the issuer's well-known locations must name exactly the \
         issuer given (RFC 8414 §3.3); FAILURE otherwise.",
    ),
    item(
        "AS-23",
        "The authorization response carries exactly one code and echoes state; the token response is 200 JSON \
         with Cache-Control: no-store, access_token and token_type Bearer; and negative probe: the used code \
         replayed must be refused.",
    ),
    item(
        "AS-24",
        "MCP 2026-07-28 / RFC 9207: iss on the main flow's successful authorization response and on the error \
         response of the code_challenge_method=plain probe. FAILURE when iss differs from the issuer byte for byte, \
         is sent without authorization_response_iss_parameter_supported: true, or is missing while advertised; \
         WARNING when neither sent nor advertised (SHOULD); a response kind that was not observed is named, never \
         passed.",
    ),
    item(
        "AS-25",
        "MCP 2026-07-28: SUCCESS when the metadata advertises client_id_metadata_document_supported and the \
         harness's document was accepted; WARNING when the document was refused, or when only DCR (deprecated) or \
         nothing is offered; INFO when advertised but no document was tried.",
    ),
    item(
        "AS-26",
        "Registration probes (once per certification, when there is a registration endpoint): the profile's DCR \
         body with application_type \"web\" must register (FAILURE if refused: 2026-07-28 clients MUST send it); the \
         same with a loopback http redirect URI shows whether OIDC's web rules are enforced (SUCCESS refused, INFO \
         accepted: the spec leaves it to the AS).",
    ),
    item(
        "AS-27",
        "MCP 2026-07-28: every complete metadata document must name exactly the issuer its well-known URL was \
         built from (byte for byte; clients MUST NOT use it otherwise); FAILURE otherwise.",
    ),
    item(
        "AS-28",
        "CIMD profiles only, from the negative probes: a document whose client_id is not its URL, a redirect_uri the \
         document does not list, a document without redirect_uris — each must be refused (FAILURE when a code is \
         issued). The SSRF rules of the fetch cannot be observed from outside and are named as not judged.",
    ),
    item(
        "GPT-03",
        "ChatGPT's discovery on the issuer: every location probed (HEAD and GET); FAILURE when a location serves a \
         partial document (no authorization or token endpoint) or none serves complete metadata.",
    ),
    item(
        "GPT-04",
        "FAILURE when the profile finds no way to obtain a client (no static client given, no CIMD, no \
         registration_endpoint); SUCCESS when it gets one.",
    ),
    item(
        "GPT-05",
        "Profiles that register with DCR: the profile's exact body (ChatGPT's redirect URIs, no scope) must be \
         accepted (2xx with a client_id) and, for the 2025-06 profile, echo the requested \
         token_endpoint_auth_method. A 429 is GPT-17's.",
    ),
    item(
        "GPT-06",
        "The profile's authorization request (its redirect URI, resource, state and scopes, PKCE S256) must end \
         with a code on the redirect URI; FAILURE with the IdP's error otherwise.",
    ),
    item(
        "GPT-07",
        "The profile's code exchange (its client authentication as sent — Basic alone, post, none or \
         private_key_jwt — its headers, and resource) must answer 200 with a Bearer access_token.",
    ),
    item(
        "GPT-08",
        "An MCP server that validates aud (as it must) accepts the token only when aud contains the resource: \
         FAILURE when the JWT's (or introspection's) aud lacks it.",
    ),
    item(
        "GPT-09",
        "Profiles that use CIMD: the document client (private_key_jwt, or none when the IdP lacks \
         private_key_jwt) must get a token; FAILURE on invalid_client at authorization or token.",
    ),
    item("GPT-10", "The metadata must list S256 in code_challenge_methods_supported, or ChatGPT refuses to continue."),
    item(
        "GPT-14",
        "When the metadata advertises authorization_response_iss_parameter_supported, the authorization response's \
         iss must equal the issuer (FAILURE otherwise). When it does not, the dated 2026 profile uses a \
         per-connector callback URI (WARNING); the 2025 profiles do not check (INFO); the dual-era profile \
         (2026-08) connects through the relay too, and what that means for Apps submission is GPT-21 (INFO).",
    ),
    item(
        "GPT-15",
        "The refresh grant with the profile's client authentication must answer 200 with a new access token, \
         twice (the second with the refresh token the first returned); FAILURE when it fails or when no refresh \
         token is issued.",
    ),
    item(
        "GPT-17",
        "Every registration the certification sends (one per profile that uses DCR, the policy probe, the \
         public-client probe): FAILURE on HTTP 429.",
    ),
    item(
        "GPT-21",
        "Profiles that record the Apps submission builder's refusal (chatgpt-2026-08-dual-era): the metadata must \
         advertise authorization_response_iss_parameter_supported: true and the authorization response must carry \
         iss equal to the metadata's issuer, or ChatGPT uses its per-connector callback, which the builder rejects \
         (\"Missing OAuth callback data\"): WARNING (a SHOULD, single source).",
    ),
    pcc(
        "PCC-1",
        "Enable dynamic client registration",
        Level::Must,
        &["AS-14", "GPT-04", "GPT-05", "GPT-17"],
        "The worst of the items it maps to.",
    ),
    pcc(
        "PCC-2",
        "Support PKCE with S256 code challenge method",
        Level::Must,
        &["AS-04", "GPT-10"],
        "The items it maps to, and two negative probes: an authorization request with code_challenge_method=plain \
         must be refused (FAILURE when a code is issued), and a fresh code exchanged with a wrong code_verifier \
         must be refused (FAILURE when a token is issued).",
    ),
    pcc(
        "PCC-3",
        "Accept resource parameter in authorization and token requests",
        Level::Must,
        &[],
        "The profile's authorization and token requests carry resource: FAILURE when either is refused with \
         invalid_target (or the flow fails on the resource), SUCCESS when both succeed.",
    ),
    pcc(
        "PCC-4",
        "Include resource in token aud claim",
        Level::Must,
        &["AS-20", "GPT-08"],
        "The worst of the items it maps to.",
    ),
    pcc(
        "PCC-5",
        "Expose discovery metadata at well-known endpoint",
        Level::Must,
        &["AS-02", "AS-22", "GPT-03"],
        "The worst of the items it maps to.",
    ),
    pcc(
        "PCC-6",
        "Allowlist ChatGPT redirect URIs",
        Level::Must,
        &[],
        "ChatGPT's redirect URI (the stable https://chatgpt.com/connector_platform_oauth_redirect, or the \
         per-connector https://chatgpt.com/connector/oauth/{id}) must be accepted at registration and \
         authorization: FAILURE when registration or authorization refuses it. INFO: what the IdP does with a \
         registration whose redirect URI is on a foreign host (https://attacker.example/callback).",
    ),
    pcc(
        "PCC-7",
        "Publish JWKS endpoint for token verification",
        Level::Must,
        &[],
        "jwks_uri is advertised and serves keys; the access token is a JWT signed by one of them (kid and alg \
         matching, signature verified) and its iss equals the issuer. WARNING for opaque tokens (MCP servers must \
         then introspect).",
    ),
    pcc(
        "PCC-8",
        "Configure token expiration (recommend 1-24 hours)",
        Level::Should,
        &["AS-17"],
        "The worst of the items it maps to.",
    ),
    pcc(
        "PCC-9",
        "Support refresh tokens for long-lived sessions",
        Level::Must,
        &["GPT-15", "AS-18"],
        "The worst of the items it maps to.",
    ),
];

/// An item by ID.
pub fn get(id: &str) -> Option<&'static ItemDef> {
    ITEMS.iter().find(|i| i.id == id)
}

/// `(name, level, summary)` of an item: the project catalogue's for AS/GPT, the checklist's for
/// PCC.
pub fn describe(def: &ItemDef) -> (String, Level, String) {
    match harness_checks::catalogue::get(def.id) {
        Some(r) => (r.name.clone(), r.level, r.summary.clone()),
        None => {
            let name = def.name.unwrap_or(def.id).to_owned();
            let summary = format!(
                "Seed 004 \"Provider Configuration Checklist\": {name}{}.",
                if def.maps_to.is_empty() { String::new() } else { format!(" (covers {})", def.maps_to.join(", ")) }
            );
            (name, def.level.unwrap_or(Level::Must), summary)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_known_and_every_mapping_points_at_an_item() {
        let wanted = [
            "AS-02", "AS-04", "AS-05", "AS-06", "AS-07", "AS-08", "AS-10", "AS-11", "AS-14", "AS-15", "AS-17", "AS-18",
            "AS-20", "AS-22", "AS-23", "AS-24", "AS-25", "AS-26", "AS-27", "AS-28", "GPT-03", "GPT-04", "GPT-05",
            "GPT-06", "GPT-07", "GPT-08", "GPT-09", "GPT-10", "GPT-14", "GPT-15", "GPT-17", "GPT-21",
        ];
        for id in wanted {
            assert!(get(id).is_some(), "{id} missing");
            assert!(harness_checks::catalogue::get(id).is_some(), "{id} not in requirements.yaml");
        }
        let pccs: Vec<&str> = ITEMS.iter().filter(|i| i.id.starts_with("PCC-")).map(|i| i.id).collect();
        assert_eq!(pccs, (1..=9).map(|n| format!("PCC-{n}")).collect::<Vec<_>>());
        assert_eq!(ITEMS.len(), wanted.len() + 9);
        for i in ITEMS {
            for m in i.maps_to {
                assert!(get(m).is_some() && !m.starts_with("PCC"), "{} maps to {m}", i.id);
            }
            let (name, _, summary) = describe(i);
            assert!(!name.is_empty() && !summary.is_empty() && !i.how.is_empty());
        }
    }

    #[test]
    fn the_checklist_items_match_seed_004() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/seeds/004_fc688418530c6c52.txt");
        let Ok(text) = std::fs::read_to_string(path) else {
            eprintln!("skipped: {path} is not present");
            return;
        };
        let section = text.split("### Provider Configuration Checklist").nth(1).expect("the checklist section");
        for (n, def) in ITEMS.iter().filter(|i| i.id.starts_with("PCC-")).enumerate() {
            let line = section.lines().find(|l| l.starts_with(&format!("{}. ", n + 1))).expect("a numbered line");
            let plain = line.replace('`', "");
            assert!(plain.contains(def.name.unwrap()), "{}: {line:?}", def.id);
        }
    }
}
