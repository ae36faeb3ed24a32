//! PostgREST's side of `/rpc/<name>`, emulated: how it picks a function from the names of the
//! arguments a request gives (PostgREST 12 and later, `findProc` in its Plan.hs), and the SQL it
//! then sends. No PostgREST server can be had on this machine; this is what the tests can run
//! instead, against the real catalog and a real server.

use crate::sql_literal as literal;
use postgres::types::ToSql;
use postgres::{Client, Transaction};
use serde_json::Value;
use std::collections::BTreeSet;

/// One function as PostgREST's schema cache holds it.
#[derive(Debug, Clone)]
pub struct Routine {
    pub name: String,
    /// `name(types)`, to name it in messages.
    pub signature: String,
    pub params: Vec<Param>,
    /// `s` (STABLE), `i` (IMMUTABLE) or `v` (VOLATILE): a GET, or a POST to a STABLE or
    /// IMMUTABLE function, runs in a READ ONLY transaction.
    pub volatility: String,
    /// Returns a record (OUT parameters or a composite type) rather than a scalar.
    pub composite: bool,
    pub set_returning: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    /// Empty for an unnamed parameter.
    pub name: String,
    pub type_name: String,
    /// Has no default: a request must name it.
    pub required: bool,
}

/// Why no single function answers a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Unresolved {
    /// PGRST202, HTTP 404.
    NoFunction,
    /// PGRST203, HTTP 300: the signatures it could not choose between.
    Ambiguous(Vec<String>),
}

/// The functions of `schema` PostgREST can call: `prokind = 'f'`, with input parameters all
/// named, or a single unnamed one of a type it can pass a whole body as. Its schema cache
/// query's rules, over the same catalog columns.
pub fn routines(c: &mut Client, schema: &str) -> Vec<Routine> {
    let rows = c
        .query(
            "SELECT p.proname::text, p.oid::regprocedure::text, p.provolatile::text, p.proretset,
                    (t.typtype = 'c' OR coalesce(p.proargmodes::text[] && '{t,b,o}', false)),
                    coalesce((SELECT array_agg(coalesce(a.name, '') ORDER BY a.idx) FROM unnest(p.proargnames, p.proargtypes::oid[], p.proargmodes) WITH ORDINALITY AS a(name, type, mode, idx) WHERE a.type IS NOT NULL), '{}'),
                    coalesce((SELECT array_agg(a.type::regtype::text ORDER BY a.idx) FROM unnest(p.proargnames, p.proargtypes::oid[], p.proargmodes) WITH ORDINALITY AS a(name, type, mode, idx) WHERE a.type IS NOT NULL), '{}'),
                    p.pronargs::int - p.pronargdefaults::int
               FROM pg_proc AS p JOIN pg_type AS t ON t.oid = p.prorettype
              WHERE p.pronamespace = $1::text::regnamespace AND p.prokind = 'f' AND p.prorettype <> 'trigger'::regtype
              ORDER BY 2",
            &[&schema],
        )
        .unwrap();
    rows.iter()
        .map(|row| {
            let names: Vec<String> = row.get(5);
            let types: Vec<String> = row.get(6);
            let required: i32 = row.get(7);
            let params = names
                .into_iter()
                .zip(types)
                .enumerate()
                .map(|(i, (name, type_name))| Param { name, type_name, required: (i as i32) < required })
                .collect();
            Routine { name: row.get(0), signature: row.get(1), volatility: row.get(2), set_returning: row.get(3), composite: row.get(4), params }
        })
        .filter(Routine::callable)
        .collect()
}

impl Routine {
    /// PostgREST leaves out a function with more than one unnamed parameter, or one of a type
    /// it cannot pass a body as.
    fn callable(&self) -> bool {
        match self.params.iter().filter(|p| p.name.is_empty()).count() {
            0 => true,
            1 => ["bytea", "json", "jsonb", "text", "xml"].contains(&self.params[0].type_name.as_str()),
            _ => false,
        }
    }

    /// Takes a whole request body as its one argument (a single unnamed parameter).
    pub fn takes_the_body(&self) -> bool {
        matches!(self.params.as_slice(), [p] if p.name.is_empty())
    }

    /// Whether a request naming exactly `keys` matches this function: every parameter without
    /// a default named, and nothing named that it does not take.
    pub fn matches(&self, keys: &BTreeSet<String>) -> bool {
        if self.params.is_empty() {
            return keys.is_empty();
        }
        let required: BTreeSet<String> = self.params.iter().filter(|p| p.required).map(|p| p.name.clone()).collect();
        let optional: BTreeSet<String> = self.params.iter().filter(|p| !p.required).map(|p| p.name.clone()).collect();
        keys.difference(&optional).cloned().collect::<BTreeSet<_>>() == required
    }

    /// Every set of argument names a request may give this function: the required ones with
    /// any of the optional ones.
    pub fn key_sets(&self) -> Vec<BTreeSet<String>> {
        let required: Vec<&Param> = self.params.iter().filter(|p| p.required).collect();
        let optional: Vec<&Param> = self.params.iter().filter(|p| !p.required).collect();
        (0..1u32 << optional.len())
            .map(|mask| {
                required
                    .iter()
                    .map(|p| p.name.clone())
                    .chain(optional.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, p)| p.name.clone()))
                    .collect()
            })
            .collect()
    }

    fn param(&self, name: &str) -> &Param {
        self.params.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("{} takes no {name}", self.signature))
    }

    fn read_only(&self, get: bool) -> bool {
        get || self.volatility != "v"
    }
}

/// The function PostgREST calls for `/rpc/name` with a JSON object body (POST) or query string
/// (GET) naming `keys`: the one overload the names match, else, for a POST, the one taking the
/// whole body.
pub fn resolve<'a>(routines: &'a [Routine], name: &str, keys: &BTreeSet<String>, post: bool) -> Result<&'a Routine, Unresolved> {
    let overloads: Vec<&Routine> = routines.iter().filter(|r| r.name == name).collect();
    let by_names: Vec<&Routine> = overloads.iter().copied().filter(|r| r.matches(keys)).collect();
    let by_body: Vec<&Routine> = overloads.iter().copied().filter(|r| post && !r.matches(keys) && r.takes_the_body()).collect();
    match (by_names.as_slice(), by_body.as_slice()) {
        ([one], _) | ([], [one]) => Ok(one),
        ([], []) => Err(Unresolved::NoFunction),
        (many, _) if !many.is_empty() => Err(Unresolved::Ambiguous(many.iter().map(|r| r.signature.clone()).collect())),
        (_, many) => Err(Unresolved::Ambiguous(many.iter().map(|r| r.signature.clone()).collect())),
    }
}

/// Who PostgREST acts as: the role a JWT names, as Supabase's gateway sets it.
pub struct Caller<'a> {
    pub role: &'a str,
}

/// Runs `/rpc/name` as PostgREST does: one transaction (READ ONLY for a GET, or for a function
/// that is not VOLATILE), the request's settings made local to it (search_path, the role, the
/// JWT's claims, method, path, headers), then the call with the arguments taken from the body
/// by `json_to_record` as the parameters' types, in named notation. Returns the response body
/// PostgREST would send (the scalar, or the record as an object), or the server's error; an
/// error rolls the transaction back, as PostgREST does.
pub fn call(c: &mut Client, routines: &[Routine], caller: &Caller, name: &str, body: &Value, get: bool) -> Result<Value, postgres::Error> {
    let keys: BTreeSet<String> = body.as_object().expect("a JSON object").keys().cloned().collect();
    let routine = resolve(routines, name, &keys, !get).unwrap_or_else(|e| panic!("/rpc/{name} with {keys:?}: {e:?}"));
    let mut tx = c
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::ReadCommitted)
        .read_only(routine.read_only(get))
        .start()
        .unwrap();
    let claims = serde_json::json!({ "role": caller.role }).to_string();
    let headers = serde_json::json!({ "content-type": "application/json", "prefer": "" }).to_string();
    let path = format!("/rpc/{name}");
    let method = if get { "GET" } else { "POST" };
    tx.execute(
        "SELECT set_config('search_path', '\"public\"', true), set_config('role', $1, true), set_config('request.jwt.claims', $2, true),
                set_config('request.method', $3, true), set_config('request.path', $4, true),
                set_config('request.headers', $5, true), set_config('request.cookies', '{}', true)",
        &[&caller.role, &claims, &method, &path, &headers],
    )?;
    let answer = run_call(&mut tx, routine, &keys, body, get);
    match answer {
        Ok(v) => {
            tx.commit()?;
            Ok(v)
        }
        Err(e) => {
            let _ = tx.rollback();
            Err(e)
        }
    }
}

fn run_call(tx: &mut Transaction, routine: &Routine, keys: &BTreeSet<String>, body: &Value, get: bool) -> Result<Value, postgres::Error> {
    let params: Vec<&Param> = keys.iter().map(|k| routine.param(k)).collect();
    let named = |value_of: &dyn Fn(&Param) -> String| params.iter().map(|p| format!("{} := {}", ident(&p.name), value_of(p))).collect::<Vec<_>>().join(", ");
    // A GET's arguments are query-string values, each cast to its parameter's type; a POST's
    // come from the JSON body, typed by json_to_record.
    let (from, arguments) = if get {
        ("(SELECT $1::text::json AS args) pgrst_query".to_owned(), named(&|p| format!("(pgrst_query.args ->> {})::{}", literal(&p.name), p.type_name)))
    } else if params.is_empty() {
        ("(SELECT $1::text::json AS json_data) pgrst_payload".to_owned(), String::new())
    } else {
        let columns = params.iter().map(|p| format!("{} {}", ident(&p.name), p.type_name)).collect::<Vec<_>>().join(", ");
        let selected = params.iter().map(|p| ident(&p.name)).collect::<Vec<_>>().join(", ");
        (
            format!(
                "(SELECT $1::text::json AS json_data) pgrst_payload, \
                 LATERAL (SELECT {selected} FROM json_to_record(pgrst_payload.json_data) AS _({columns}) LIMIT 1) pgrst_body"
            ),
            named(&|p| format!("pgrst_body.{}", ident(&p.name))),
        )
    };
    let call = format!("\"public\".{}({arguments})", ident(&routine.name));
    // PostgREST answers a set as an array, [] when empty; a single value as itself.
    let (pick, empty) = if routine.set_returning { ("", "[]") } else { ("-> 0", "null") };
    let sql = if routine.composite {
        format!(
            "WITH pgrst_source AS (SELECT pgrst_call.* FROM {from}, LATERAL {call} pgrst_call) \
             SELECT coalesce((json_agg(_postgrest_t) {pick})::text, '{empty}') FROM (SELECT * FROM pgrst_source) _postgrest_t"
        )
    } else {
        format!(
            "WITH pgrst_source AS (SELECT pgrst_call.pgrst_scalar FROM {from}, LATERAL (SELECT {call} pgrst_scalar) pgrst_call) \
             SELECT coalesce((json_agg(_postgrest_t.pgrst_scalar) {pick})::text, '{empty}') FROM (SELECT pgrst_source.pgrst_scalar FROM pgrst_source) _postgrest_t"
        )
    };
    let payload = body.to_string();
    let row = tx.query_one(&sql, &[&payload as &(dyn ToSql + Sync)])?;
    let text: String = row.get(0);
    Ok(serde_json::from_str(&text).expect("the body is JSON"))
}

fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

