//! The n8n workflows shipped in examples/n8n/, read as data: their nodes, how they connect, the
//! query of each Postgres node, and the values n8n binds to its parameters for a request. Shared
//! by the tests that check the workflows (tests/n8n_workflows.rs) and run their queries through a
//! pooler (tests/pooler.rs).

use serde_json::Value;
use std::path::PathBuf;

/// Every workflow file, by file name, in name order.
pub fn workflows() -> Vec<(String, Value)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/n8n");
    let mut found: Vec<(String, Value)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.is_file())
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?} is not JSON: {e}"));
            (path.file_name().unwrap().to_string_lossy().into_owned(), json)
        })
        .collect();
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

/// The workflows a webhook starts (all but the change-events workflow, which a LISTEN starts).
pub fn webhook_workflows() -> Vec<(String, Value)> {
    workflows().into_iter().filter(|(_, w)| nodes_of(w, "n8n-nodes-base.webhook").next().is_some()).collect()
}

pub fn nodes_of<'a>(workflow: &'a Value, kind: &'a str) -> impl Iterator<Item = &'a Value> {
    workflow["nodes"].as_array().unwrap().iter().filter(move |n| n["type"] == kind)
}

pub fn postgres_nodes(workflow: &Value) -> impl Iterator<Item = &Value> {
    nodes_of(workflow, "n8n-nodes-base.postgres")
}

/// The nodes an output of `from` leads to: `output` 0 is a node's main (success) output, 1 its
/// error output when its errors are routed to one.
pub fn targets<'a>(workflow: &'a Value, from: &str, output: usize) -> Vec<&'a str> {
    workflow["connections"][from]["main"][output].as_array().into_iter().flatten().map(|l| l["node"].as_str().unwrap()).collect()
}

pub fn node<'a>(workflow: &'a Value, name: &str) -> &'a Value {
    workflow["nodes"].as_array().unwrap().iter().find(|n| n["name"] == name).unwrap_or_else(|| panic!("no node {name}"))
}

/// `={{ [ a, b ] }}` → `["a", "b"]`: the array form, which n8n binds element by element
/// (the comma-separated string form splits values that contain commas, such as JSON).
pub fn replacement_expressions(node: &Value) -> Vec<String> {
    let raw = node["parameters"]["options"]["queryReplacement"].as_str().unwrap_or_default();
    let inner = raw
        .strip_prefix("={{ [")
        .and_then(|s| s.strip_suffix("] }}"))
        .unwrap_or_else(|| panic!("{}: queryReplacement must be an array expression, got {raw:?}", node["name"]));
    let mut parts = Vec::new();
    let (mut depth, mut current) = (0, String::new());
    for c in inner.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(current.trim().to_owned());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current.trim().to_owned());
    parts
}

pub fn placeholders(query: &str) -> usize {
    (1..10).filter(|i| query.contains(&format!("${i}"))).count()
}

/// The query of the workflow in `file`'s Postgres node.
pub fn query_of(file: &str) -> String {
    let (_, w) = workflows().into_iter().find(|(f, _)| f == file).unwrap();
    let query = postgres_nodes(&w).next().unwrap()["parameters"]["query"].as_str().unwrap().to_owned();
    query
}

/// An HTTP request as n8n's Webhook node hands it on: the raw body, and the headers with their
/// names in lower case, as Node.js gives them.
pub struct Request<'a> {
    pub body: &'a str,
    pub headers: &'a Value,
}

/// The value n8n binds for one of a Postgres node's parameter expressions
/// ([`replacement_expressions`]), given the request. Panics on an expression it does not know,
/// so that a workflow with a new one is taught here rather than sent something else.
pub fn bind(expression: &str, request: &Request) -> String {
    match expression {
        // n8n parses a JSON body; JSON.stringify writes it back compact.
        "JSON.stringify($json.body)" => {
            let parsed: Value = serde_json::from_str(request.body).unwrap_or_else(|e| panic!("the body is not JSON: {e}"));
            parsed.to_string()
        }
        "JSON.stringify($json.headers)" => request.headers.to_string(),
        // With the Webhook node's Raw Body option, n8n keeps the body's bytes in base64.
        "$input.item.binary.data.data" => base64(request.body.as_bytes()),
        _ => {
            let header = expression
                .strip_prefix("$json.headers['")
                .and_then(|s| s.strip_suffix("'] ?? ''"))
                .unwrap_or_else(|| panic!("an expression this test does not know how n8n evaluates: {expression}"));
            request.headers[header].as_str().unwrap_or_default().to_owned()
        }
    }
}

/// Standard base64 with padding and no line breaks, as Node.js's Buffer writes it.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}
