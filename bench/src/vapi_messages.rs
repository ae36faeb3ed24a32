//! VAPI's informational messages at the one server URL (issue 29's figure): how long
//! `vapi_webhook()` takes in the database to answer a `speech-update` (several a second during
//! a call) and a `conversation-update` carrying a long conversation (about 1 MB), against the
//! least any implementation does: read `message.type` with PostgreSQL's own JSON parser.
//!
//! Each call is timed inside the backend (clock_timestamp() around it in a PL/pgSQL loop), so
//! the figure is the database's time, without the network or the client's copy of the body.

use crate::bounded::{spread, Figure};
use phone_holds_e2e::Cluster;

/// The speech-update fixture, as VAPI sends it.
const SPEECH: &str = include_str!("../../examples/vapi/speech-update.json");

/// A conversation-update of `turns` turns in both of VAPI's forms (`messages` and
/// `messagesOpenAIFormatted`), each turn a sentence of about 200 characters: `turns` = 2,000
/// makes about 1 MB. `message.type` comes last, so nothing is found early.
fn conversation(turns: usize) -> String {
    let sentence = "I'd like to move my consultation to Thursday afternoon if that works, otherwise Friday morning is fine too; my number is the one you called, and email is best for the confirmation. ";
    let mut messages = Vec::with_capacity(turns);
    let mut openai = Vec::with_capacity(turns);
    for i in 0..turns {
        let (role, openai_role) = if i % 2 == 0 { ("bot", "assistant") } else { ("user", "user") };
        let t = 1_760_788_800_000_i64 + i as i64 * 4_000;
        messages.push(format!(
            r#"{{"role": "{role}", "message": "{sentence}", "time": {t}, "endTime": {}, "secondsFromStart": {}.2, "duration": 3800}}"#,
            t + 3_800,
            i * 4
        ));
        openai.push(format!(r#"{{"role": "{openai_role}", "content": "{sentence}"}}"#));
    }
    format!(
        r#"{{"message": {{"timestamp": 1760795999000, "messages": [{}], "messagesOpenAIFormatted": [{}],
            "call": {{"id": "b1e2c3d4-0000-4000-8000-00000000ca11", "type": "outboundPhoneCall", "customer": {{"number": "+14155550123"}}}},
            "type": "conversation-update"}}}}"#,
        messages.join(", "),
        openai.join(", ")
    )
}

/// Each body's time in the backend, in ms: the one VAPI entry point, or the baseline.
const TIMER: &str = "
    CREATE FUNCTION pg_temp.time_vapi_message(body text, calls int, baseline boolean) RETURNS float8[]
    LANGUAGE plpgsql AS $f$
    DECLARE
        started timestamptz;
        answer jsonb;
        kind text;
        took float8[] := '{}';
    BEGIN
        FOR i IN 1 .. calls LOOP
            started := clock_timestamp();
            IF baseline THEN
                kind := (body::json) -> 'message' ->> 'type';
            ELSE
                answer := public.vapi_webhook(body, '2025-10-18 12:00:00+00');
            END IF;
            took := took || (extract(epoch FROM clock_timestamp() - started) * 1000)::float8;
        END LOOP;
        RETURN took;
    END $f$;";

pub fn figures(cluster: &Cluster, calls: i32) -> Vec<Figure> {
    let mut c = cluster.connect();
    c.batch_execute(TIMER).unwrap();
    let long = conversation(2_000);
    let mut out = Vec::new();
    for (name, body) in [("speech-update", SPEECH.to_owned()), ("conversation-update", long)] {
        let answer: String = c.query_one("SELECT vapi_webhook($1, now())::text", &[&body]).unwrap().get(0);
        assert_eq!(answer, "{}", "{name} is answered {{}}");
        let time = |c: &mut postgres::Client, baseline: bool| -> Vec<f64> {
            // Warm the caches first, then measure; the two alternate in blocks of a tenth.
            c.query_one("SELECT pg_temp.time_vapi_message($1, 20, $2)", &[&body, &baseline]).unwrap();
            c.query_one("SELECT pg_temp.time_vapi_message($1, $2, $3)", &[&body, &(calls / 10).max(1), &baseline]).unwrap().get(0)
        };
        let (mut native, mut floor) = (Vec::new(), Vec::new());
        for block in 0..10 {
            // Each takes the first turn in half the blocks.
            for baseline in if block % 2 == 0 { [false, true] } else { [true, false] } {
                let took = time(&mut c, baseline);
                if baseline { floor.extend(took) } else { native.extend(took) }
            }
        }
        let (native, floor) = (spread(native), spread(floor));
        let kib = body.len() as f64 / 1024.0;
        out.push(Figure {
            what: format!("vapi_webhook, a {name} of {kib:.1} KiB answered {{}}: time in the database (n={}), p50 / p99 / max ms", native.0),
            value: format!("{:.3} / {:.3} / {:.2}", native.1, native.2, native.3),
            baseline: format!("{:.3} / {:.3} / {:.2}", floor.1, floor.2, floor.3),
            ratio: format!("{:.2}", native.2 / floor.2),
            target: "p99 ≤ 2 ms and ≤ 2 × baseline p99".into(),
            met: Some(native.2 <= 2.0 && native.2 <= 2.0 * floor.2),
        });
    }
    out
}
