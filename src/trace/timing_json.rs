//! The waterfall as a JSONL event (`kind: "timing"`) and back. Offsets and durations are ns
//! from the connection's start (`start`, on the engine's clock like every `t`).

use super::jsonl_read::MAX_NANOS;
use super::timing::{RoundTrip, Span, Step, Timing, MAX_ROUND_TRIPS};
use serde_json::{json, Value};

/// The timing's fields (without `t`, `conn`, `kind`).
pub(super) fn to_json(t: &Timing) -> Value {
    json!({
        "start": t.start,
        "total": t.total,
        "steps": t.steps.iter().map(|s| json!({
            "step": s.step.name(), "start": s.start, "dur": s.dur, "done": s.done,
        })).collect::<Vec<_>>(),
        "round_trips": t.round_trips.iter().map(|r| json!({
            "start": r.start, "dur": r.dur,
        })).collect::<Vec<_>>(),
        "round_trip_count": t.round_trip_count,
        "app_out": t.app_out,
        "app_in": t.app_in,
        "sock_out": t.sock_out,
        "sock_in": t.sock_in,
        "closed": t.closed,
    })
}

fn nanos(v: &Value, key: &str) -> Result<u64, String> {
    let n = v
        .get(key)
        .ok_or_else(|| format!("missing field `{key}`"))?
        .as_u64()
        .ok_or_else(|| format!("field `{key}` is not a non-negative integer"))?;
    if n > MAX_NANOS {
        return Err(format!(
            "field `{key}` is {n} ns, beyond the {MAX_NANOS} ns (104 days) a trace can span"
        ));
    }
    Ok(n)
}

fn count(v: &Value, key: &str) -> Result<u64, String> {
    v.get(key)
        .ok_or_else(|| format!("missing field `{key}`"))?
        .as_u64()
        .ok_or_else(|| format!("field `{key}` is not a non-negative integer"))
}

fn list<'a>(v: &'a Value, key: &str, most: usize) -> Result<&'a [Value], String> {
    let items = v
        .get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| format!("field `{key}` is not a list"))?;
    if items.len() > most {
        return Err(format!(
            "field `{key}` has {} entries, more than {most}",
            items.len()
        ));
    }
    Ok(items)
}

/// Reads a timing line back; unknown steps, repeated steps and times past the bound are
/// refused with a reason.
pub(super) fn from_json(value: &Value) -> Result<Timing, String> {
    let mut steps: Vec<Span> = Vec::new();
    for s in list(value, "steps", Step::ALL.len())? {
        let name = s
            .get("step")
            .and_then(Value::as_str)
            .ok_or("a step without a `step` name")?;
        let step = Step::from_name(name).ok_or_else(|| format!("unknown step {name:?}"))?;
        if steps.iter().any(|x| x.step == step) {
            return Err(format!("step {name:?} twice"));
        }
        steps.push(Span {
            step,
            start: nanos(s, "start")?,
            dur: nanos(s, "dur")?,
            done: s.get("done").and_then(Value::as_bool).unwrap_or(true),
        });
    }
    let round_trips = list(value, "round_trips", MAX_ROUND_TRIPS)?
        .iter()
        .map(|r| {
            Ok(RoundTrip {
                start: nanos(r, "start")?,
                dur: nanos(r, "dur")?,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Timing {
        start: nanos(value, "start")?,
        total: nanos(value, "total")?,
        steps,
        round_trips,
        round_trip_count: u32::try_from(count(value, "round_trip_count")?)
            .map_err(|_| "field `round_trip_count` is too large")?,
        app_out: count(value, "app_out")?,
        app_in: count(value, "app_in")?,
        sock_out: count(value, "sock_out")?,
        sock_in: count(value, "sock_in")?,
        closed: value.get("closed").and_then(Value::as_bool).unwrap_or(true),
    })
}
