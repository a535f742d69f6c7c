//! Deliberate faults of the 2026-07-28 path: each breaks exactly one requirement of
//! `REQUIREMENTS.md` (H-21…H-44, RS-21…RS-28), so a probe can be proved able to fail. Kept apart
//! from [`crate::Fault`] until the harness judges these IDs (the scenario-check fault test runs
//! every `Fault` through checks that exist).

use serde::{Deserialize, Serialize};

crate::faults::faults! {
    /// One deliberate misbehaviour of the reference server's 2026-07-28 path, `snake_case` in
    /// config files (`modern_faults: [no_result_type]`).
    ModernFault;
    /// H-21: the `MCP-Protocol-Version` header may differ from `_meta` protocolVersion.
    /// Switch: `modern::validate`.
    VersionHeaderMismatchAccepted => ["H-21"],
    /// H-24: a request without `MCP-Protocol-Version` is served (as if 2026-07-28) instead of
    /// 400 -32020. Switch: `modern::validate`.
    MissingVersionHeaderAccepted => ["H-24"],
    /// H-22: an unsupported version is answered 400 with -32600 and no `data.supported`.
    /// Switch: `modern::validate`.
    UnsupportedVersionWithoutList => ["H-22"],
    /// H-23: an unknown method is answered HTTP 200 (the JSON-RPC -32601 kept).
    /// Switch: `modern::dispatch`.
    UnknownMethodAs200 => ["H-23"],
    /// H-25: `Mcp-Method` is not checked (missing or different from the body's method).
    /// Switch: `modern::validate`.
    MethodHeaderIgnored => ["H-25"],
    /// H-25: `Mcp-Name` is not checked on `tools/call` / `resources/read`.
    /// Switch: `modern::validate`.
    NameHeaderIgnored => ["H-25"],
    /// H-26: an `=?base64?…?=` `Mcp-Name` is compared undecoded, so a correct encoded name is
    /// refused with -32020. Switch: `modern::header_value`.
    Base64NameNotDecoded => ["H-26"],
    /// H-27: the `Mcp-Param-Region` header of `run_query` (its `region` is marked `x-mcp-header`)
    /// is not compared with the body. Switch: `modern::tools::param_headers`.
    ParamHeaderIgnored => ["H-27"],
    /// H-40: `tools/list` is refused (400 -32600) unless the same user called `server/discover`
    /// first — state carried between requests. Switch: `modern::dispatch`.
    DiscoverRequiredFirst => ["H-40"],
    /// H-28: `Mcp-Method` is compared ignoring case (values are case-sensitive).
    /// Switch: `modern::validate`.
    MethodHeaderCaseInsensitive => ["H-28"],
    /// H-32: a modern request is answered with a freshly minted `Mcp-Session-Id`.
    /// Switch: `modern::post`.
    SessionIdOnModernResponses => ["H-32"],
    /// H-32: GET of the MCP endpoint opens an SSE stream (a 2025 server's standalone stream, one
    /// keep-alive comment, then held open) instead of 405. Switch: `transport::handle`.
    GetServesStream => ["H-32"],
    /// H-32: DELETE of the MCP endpoint is answered 200 (as if it ended a session) instead of 405
    /// on a 2026-07-28-only server. Switch: `transport::handle`.
    DeleteAccepted => ["H-32"],
    /// H-32: a 2026-07-28 request carrying `Last-Event-ID` is answered as an SSE stream that first
    /// replays the previous answer the server sent (resumption), then the request's own result.
    /// Switch: `modern::post`.
    ReplaysOnLastEventId => ["H-32"],
    /// H-32: `tools/list` results go out as SSE events carrying ids (`ev-1`, `ev-2`, …), and a
    /// 2026-07-28 request whose `Last-Event-ID` is one of them replays the previous answer before
    /// its own; an id the server never issued is ignored — a server that resumes only for ids it
    /// knows, which a probe sending an invented id cannot see. Switch: `modern::post`.
    ResumesIssuedEventIds => ["H-32"],
    /// H-33: a request without `_meta` clientCapabilities (or protocolVersion, when the header is
    /// there) is served instead of 400 -32602. Switch: `modern::validate`.
    MissingMetaAccepted => ["H-33"],
    /// H-34: a tool needing the elicitation capability runs although the request did not declare
    /// it (instead of 400 -32021). Switch: `modern::tools`.
    MissingCapabilityIgnored => ["H-34"],
    /// H-35: results carry no `resultType`. Switch: `modern::complete`.
    NoResultType => ["H-35"],
    /// H-36: `server/discover` is an unknown method (404 -32601) although 2026-07-28 is served.
    /// Switch: `modern::dispatch`.
    NoDiscover => ["H-36"],
    /// H-37: list, read and discover results carry no `ttlMs` / `cacheScope`.
    /// Switch: `modern::cached`.
    NoCachingHints => ["H-37"],
    /// H-38: results carry no `_meta["io.modelcontextprotocol/serverInfo"]`.
    /// Switch: `modern::complete`.
    NoServerInfoMeta => ["H-38"],
    /// H-39: an unknown resource is answered with the 2025 code -32002 instead of -32602.
    /// Switch: `modern::tools::read_resource`.
    ResourceNotFoundAs32002 => ["H-39"],
    /// H-41 (modern-only era): `initialize` is refused without naming the supported versions.
    /// Switch: `modern::refuse_initialize`.
    InitializeErrorWithoutVersions => ["H-41"],
    /// H-44: `tools/list` order changes from call to call. Switch: `modern::tools::list`.
    ToolOrderVaries => ["H-44"],
    /// RS-21: the PRM lists `offline_access` in `scopes_supported`. Switch: `prm::document`.
    OfflineAccessAdvertised => ["RS-21"],
    /// RS-22: a tool needing two scopes the token lacks is challenged one scope at a time.
    /// Switch: `modern::tools::call`.
    OneScopeAtATime => ["RS-22"],
    /// RS-24: the parent scope `mcp` does not satisfy `mcp:read` / `mcp:write`.
    /// Switch: `modern::tools::effective`.
    ScopeHierarchyIgnored => ["RS-24"],
    /// RS-25: a state handle is served to whoever presents it, as its owner.
    /// Switch: `modern::handles`.
    HandleActsAsOwner => ["RS-25"],
    /// RS-26: state handles are sequential (`cursor-1`, `cursor-2`, …), guessable.
    /// Switch: `modern::handles`.
    PredictableHandles => ["RS-26"],
    /// RS-27: the caller's own notes (`resources/read notes://me`) are marked `cacheScope: public`.
    /// Switch: `modern::tools::read_resource`.
    PrivateResultMarkedPublic => ["RS-27"],
    /// RS-28: the PRM `resource` has a trailing slash the endpoint URL does not have.
    /// Switch: `prm::document`.
    PrmResourceTrailingSlash => ["RS-28"],
    /// GPT-19: `server/discover` declares no `tools` capability although `tools/list` and
    /// `tools/call` serve tools — an answer contradicted by what the server then serves, which the
    /// dual-era ChatGPT refuses (HTTP 424). Switch: `modern::discover`.
    DiscoverInconsistent => ["GPT-19"],
    /// H-29: a `tools/call` of `confirm_action` declaring the elicitation capability is answered
    /// as an SSE stream carrying an independent `elicitation/create` request before the result,
    /// instead of an `input_required` result. Switch: `modern::stream_prelude`.
    RequestOnResponseStream => ["H-29"],
    /// H-44: every `tools/call` is answered as an SSE stream with a `notifications/message` log
    /// before the result, although the request's `_meta` has no logLevel.
    /// Switch: `modern::stream_prelude`.
    LogWithoutLogLevel => ["H-44"],
}
