//! What the `modern` probe picks from the server's own lists: a harmless tool for the `Mcp-Name`
//! probes, the first tool with an `x-mcp-header` parameter, the first tool whose description
//! names a client capability, the first resource and prompt. Pure functions over the list
//! results, bounded in how much of a hostile list they read.

use harness_checks::probe_record::{CLIENT_CAPABILITY_NAMES, PARAM_OTHER_VALUE};
use serde_json::{Map, Value, json};

/// The most list entries read.
const MAX_ENTRIES: usize = 1000;

/// A tool and the `params` of a call to it (`name`, `arguments` filled for its required
/// properties).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tool {
    pub name: String,
    pub params: Map<String, Value>,
}

/// A tool with an `x-mcp-header` parameter: the header's name (after `Mcp-Param-`), the
/// parameter's body value as the header carries it (`matching`), and another value (`other`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ParamTool {
    pub tool: Tool,
    pub header: String,
    pub matching: String,
    pub other: String,
}

/// `{k: v, …}`.
pub(crate) fn object<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn tools(list: &Value) -> impl Iterator<Item = &Value> {
    list.get("tools").and_then(Value::as_array).into_iter().flatten().take(MAX_ENTRIES)
}

fn name(t: &Value) -> Option<&str> {
    t.get("name").and_then(Value::as_str).filter(|n| !n.is_empty())
}

fn properties(t: &Value) -> impl Iterator<Item = (&String, &Value)> {
    t.pointer("/inputSchema/properties").and_then(Value::as_object).into_iter().flatten().take(MAX_ENTRIES)
}

fn required(t: &Value) -> Vec<&str> {
    t.pointer("/inputSchema/required")
        .and_then(Value::as_array)
        .map(|r| r.iter().take(MAX_ENTRIES).filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The `x-mcp-header` name of a property, when it has one.
fn header_of(schema: &Value) -> Option<&str> {
    schema.get("x-mcp-header").and_then(Value::as_str).filter(|h| !h.is_empty())
}

/// Whether the description says the tool needs a client capability ("… the elicitation client
/// capability").
fn names_capability(t: &Value) -> bool {
    let d = t.get("description").and_then(Value::as_str).unwrap_or_default().to_lowercase();
    d.contains("capabilit") && CLIENT_CAPABILITY_NAMES.iter().any(|c| d.contains(c))
}

/// A value of the property's type (strings get `fill`).
fn value_for(schema: &Value, fill: &str) -> Value {
    match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number") => json!(7),
        Some("boolean") => json!(true),
        Some("object") => json!({}),
        Some("array") => json!([]),
        _ => json!(fill),
    }
}

/// The call params with every required property filled (`overrides` first).
fn call(t: &Value, overrides: &Map<String, Value>) -> Option<Tool> {
    let name = name(t)?.to_owned();
    let props: Map<String, Value> = properties(t).map(|(k, v)| (k.clone(), v.clone())).collect();
    let mut args = overrides.clone();
    for r in required(t) {
        if !args.contains_key(r) {
            args.insert(r.to_owned(), value_for(props.get(r).unwrap_or(&Value::Null), "connector-harness"));
        }
    }
    Some(Tool { params: object([("name", json!(name)), ("arguments", Value::Object(args))]), name })
}

/// The tool the `Mcp-Name` probes call: one without `x-mcp-header` parameters or capability
/// needs, preferring read-only tools and tools without required arguments.
pub(crate) fn plain_tool(list: &Value) -> Option<Tool> {
    let plain: Vec<&Value> = tools(list)
        .filter(|t| name(t).is_some() && !names_capability(t) && properties(t).all(|(_, p)| header_of(p).is_none()))
        .collect();
    let read_only = |t: &&&Value| t.pointer("/annotations/readOnlyHint") == Some(&json!(true));
    let pick = plain
        .iter()
        .find(|t| read_only(t) && required(t).is_empty())
        .or_else(|| plain.iter().find(|t| required(t).is_empty()))
        .or_else(|| plain.iter().find(read_only))
        .or_else(|| plain.first())?;
    call(pick, &Map::new())
}

/// The first tool with an `x-mcp-header` parameter, with `value` (or its type's value) there.
pub(crate) fn param_tool(list: &Value, value: &str) -> Option<ParamTool> {
    tools(list).find_map(|t| {
        let (prop, schema) = properties(t).find(|(_, p)| header_of(p).is_some())?;
        let header = header_of(schema)?.to_owned();
        let v = value_for(schema, value);
        let (matching, other) = match &v {
            Value::String(s) => (s.clone(), PARAM_OTHER_VALUE.to_owned()),
            Value::Bool(_) => ("true".to_owned(), "false".to_owned()),
            x => (x.to_string(), "8".to_owned()),
        };
        let tool = call(t, &object([(prop.as_str(), v)]))?;
        Some(ParamTool { tool, header, matching, other })
    })
}

/// The first tool whose description names a client capability.
pub(crate) fn capability_tool(list: &Value) -> Option<Tool> {
    tools(list).find(|t| names_capability(t)).and_then(|t| call(t, &Map::new()))
}

/// The first resource URI of a `resources/list` result.
pub(crate) fn first_resource(list: &Value) -> Option<String> {
    let all = list.get("resources").and_then(Value::as_array)?;
    all.iter().take(MAX_ENTRIES).find_map(|r| r.get("uri").and_then(Value::as_str)).map(str::to_owned)
}

/// The first prompt name of a `prompts/list` result.
pub(crate) fn first_prompt(list: &Value) -> Option<String> {
    let all = list.get("prompts").and_then(Value::as_array)?;
    all.iter().take(MAX_ENTRIES).find_map(name).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list() -> Value {
        json!({"tools": [
            {"name": "confirm", "description": "Needs the elicitation client capability.", "inputSchema": {"type": "object"}},
            {"name": "query", "inputSchema": {"type": "object", "properties": {
                "region": {"type": "string", "x-mcp-header": "Region"}, "q": {"type": "string"}}, "required": ["region", "q"]}},
            {"name": "write", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]}},
            {"name": "whoami", "annotations": {"readOnlyHint": true}, "inputSchema": {"type": "object", "properties": {}}}
        ]})
    }

    #[test]
    fn picks_by_what_the_list_declares() {
        let l = list();
        assert_eq!(plain_tool(&l).map(|t| t.name), Some("whoami".to_owned()));
        assert_eq!(capability_tool(&l).map(|t| t.name), Some("confirm".to_owned()));
        let p = param_tool(&l, "a").expect("a parameter tool");
        assert_eq!((p.tool.name.as_str(), p.header.as_str()), ("query", "Region"));
        assert_eq!(p.tool.params["arguments"], json!({"region": "a", "q": "connector-harness"}));
        assert_eq!((p.matching.as_str(), p.other.as_str()), ("a", PARAM_OTHER_VALUE));
        assert!(param_tool(&json!({"tools": [{"name": "x"}]}), "a").is_none());
        assert!(capability_tool(&json!({"tools": [{"name": "x", "description": "uses roots"}]})).is_none());
    }

    #[test]
    fn a_list_without_tools_picks_nothing() {
        assert!(plain_tool(&json!({"tools": "no"})).is_none());
        assert!(plain_tool(&json!({"tools": [{"name": ""}]})).is_none());
        assert_eq!(first_resource(&json!({"resources": [{"uri": "a://b"}]})), Some("a://b".to_owned()));
        assert_eq!(first_prompt(&json!({"prompts": []})), None);
    }
}
