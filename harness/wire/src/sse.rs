//! A bounded Server-Sent Events parser (WHATWG HTML §9.2.6), enough for Streamable HTTP:
//! `data:` lines joined with `\n`, `event:` and `id:` fields, comments ignored, events with empty
//! data skipped (the priming event MCP 2025-11-25 servers send first).

/// One event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `event:` (default `message`).
    pub event: String,
    /// `data:` lines joined by `\n`.
    pub data: String,
    /// `id:`, if any.
    pub id: Option<String>,
}

/// Parse limits: at most this many events and this much data per event.
pub const MAX_EVENTS: usize = 1000;
/// Largest single event's data.
pub const MAX_EVENT_BYTES: usize = 1024 * 1024;

/// Parses a complete stream body. Lines may end in CRLF, LF or CR.
pub fn parse(body: &str) -> Result<Vec<Event>, String> {
    let mut events = Vec::new();
    // Per the spec: each `data:` appends its value and a newline; dispatch strips the last newline
    // and skips the event when the buffer is empty.
    let mut data = String::new();
    let mut event = String::new();
    let mut id = None;
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    let normalised = body.replace("\r\n", "\n").replace('\r', "\n");
    for line in normalised.split('\n') {
        if line.is_empty() {
            if !data.is_empty() {
                data.pop();
                if !data.is_empty() {
                    if events.len() >= MAX_EVENTS {
                        return Err(format!("more than {MAX_EVENTS} events"));
                    }
                    let name = if event.is_empty() { "message".to_owned() } else { event.clone() };
                    events.push(Event { event: name, data: std::mem::take(&mut data), id: id.clone() });
                }
                data.clear();
            }
            event.clear();
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        match field {
            "data" => {
                if data.len() + value.len() + 1 > MAX_EVENT_BYTES {
                    return Err(format!("an event is larger than {MAX_EVENT_BYTES} bytes"));
                }
                data.push_str(value);
                data.push('\n');
            }
            "event" => event = value.to_owned(),
            "id" if !value.contains('\0') => id = Some(value.to_owned()),
            _ => {}
        }
    }
    // A final event without its blank line is incomplete and discarded, as the spec says.
    Ok(events)
}

/// Every non-empty event id a stream sets (`id:` fields, in order, at most [`MAX_EVENTS`]),
/// including those of events [`parse`] skips for empty data: a priming event's id is what a
/// client resumes from (MCP 2025-11-25 §Resumability).
pub fn event_ids(body: &str) -> Vec<String> {
    let body = body.strip_prefix('\u{feff}').unwrap_or(body);
    body.split(['\n', '\r'])
        .filter_map(|line| {
            let (field, value) = line.split_once(':')?;
            let value = value.strip_prefix(' ').unwrap_or(value);
            (field == "id" && !value.is_empty() && !value.contains('\0')).then(|| value.to_owned())
        })
        .take(MAX_EVENTS)
        .collect()
}

/// The JSON-RPC messages in a stream, in order.
pub fn json_messages(body: &str) -> Result<Vec<serde_json::Value>, String> {
    parse(body)?
        .into_iter()
        .filter(|e| e.event == "message")
        .map(|e| serde_json::from_str(&e.data).map_err(|err| format!("event data is not JSON: {err}")))
        .collect()
}

/// Whether a `Content-Type` value names an SSE stream (`text/event-stream`, any case, any
/// parameters), parsed as a media type. `mime` rejects whitespace before a `;` that RFC 9110
/// allows, so when the whole value does not parse its type alone (before the first `;`) is
/// parsed; a type that does not parse is not a stream.
pub fn is_event_stream(content_type: &str) -> bool {
    let parse = |s: &str| s.trim().parse::<mime::Mime>().ok();
    let essence = content_type.split(';').next().unwrap_or_default();
    parse(content_type).or_else(|| parse(essence)).is_some_and(|m| m.essence_str() == "text/event-stream")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_stream_media_types() {
        for yes in ["text/event-stream", "Text/Event-Stream; charset=utf-8", " text/event-stream ;x=\"a;b\""] {
            assert!(is_event_stream(yes), "{yes}");
        }
        for no in ["", "application/json", "text/event-streamx", "text/event", "text/event-stream/x", "event-stream"] {
            assert!(!is_event_stream(no), "{no}");
        }
    }

    #[test]
    fn event_ids_include_the_priming_events() {
        let body = "id: 0\r\nretry: 3000\r\ndata:\r\n\r\n: id: not-a-field\nid:\ndata: {}\nid:7\n\n";
        assert_eq!(event_ids(body), ["0", "7"]);
        assert!(event_ids("data: {}\n\n").is_empty());
    }

    #[test]
    fn parses_events_skips_priming_and_comments() {
        let body =
            "id: 0\nretry: 3000\ndata:\n\n: comment\nevent: message\ndata: {\"a\":1}\n\ndata: x\ndata: y\nid: 7\n\n";
        let ev = parse(body).unwrap();
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].data, "{\"a\":1}");
        assert_eq!(ev[0].id.as_deref(), Some("0"));
        assert_eq!(ev[1].data, "x\ny");
        assert_eq!(ev[1].id.as_deref(), Some("7"));
    }

    #[test]
    fn crlf_and_unterminated_events() {
        let ev = parse("event: message\r\ndata: {\"b\":2}\r\n\r\ndata: incomplete").unwrap();
        assert_eq!(ev.len(), 1);
        assert_eq!(json_messages("data: {\"b\":2}\r\n\r\n").unwrap()[0]["b"], 2);
        assert!(json_messages("data: not json\n\n").is_err());
    }

    #[test]
    fn limits_hold() {
        let many = "data: 1\n\n".repeat(MAX_EVENTS + 1);
        assert!(parse(&many).is_err());
        let big = format!("data: {}\n\n", "x".repeat(MAX_EVENT_BYTES + 1));
        assert!(parse(&big).is_err());
    }
}
