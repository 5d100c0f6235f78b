//! Ordering cycles among a transaction's jobs (`systemd.unit(5)`,
//! "Before=, After=": "If a cycle is found… systemd will try to break it
//! by removing a job").
//!
//! A depth-first search walks from each job to the jobs that must run
//! after it — following `Before=` and `After=` edges in the direction the
//! jobs will really run ([`runs_before`]: starts in the written order,
//! stops first and reversed) — to jobs of the transaction or, for units
//! outside it, their installed jobs. Each visited node remembers where it
//! was entered from (its *marker*) while it is on the current path; a
//! node met again while its marker is set closes a cycle. Walking the
//! markers back gives the cycle, which is logged as systemd logs it:
//!
//! ```text
//! a.service: Found ordering cycle on b.service/start
//! a.service: Found dependency on a.service/start
//! a.service: Job b.service/start deleted to break ordering cycle starting with a.service/start
//! ```
//!
//! The first unit on the walk back whose jobs are all in the transaction
//! and none matters to the anchor is deleted (all its jobs, and the jobs
//! that required them), and the search starts over. If no job on the
//! cycle may go, the request fails: "Unable to break cycle starting with
//! a.service/start", and the client gets "Transaction order is cyclic.
//! See system logs for details."

use crate::name_hash::NameMap;

use super::build::{ordering, Tx};
use super::{runs_before, Graph, LogLine};

pub(super) enum OrderCheck {
    Acyclic,
    /// A job was deleted to break a cycle; check again.
    Broken,
    Cyclic,
}

struct Node {
    /// On the current path, entered from this unit (itself for the root).
    marker: Option<String>,
}

pub(super) fn verify_order<G: Graph>(tx: &mut Tx<'_, G>) -> OrderCheck {
    let mut seen: NameMap<Node> = NameMap::default();
    for unit in tx.units_in_order() {
        match visit(tx, &mut seen, &unit, None) {
            Ok(()) => {}
            Err(c) => return c,
        }
    }
    OrderCheck::Acyclic
}

fn visit<G: Graph>(
    tx: &mut Tx<'_, G>,
    seen: &mut NameMap<Node>,
    unit: &str,
    from: Option<&str>,
) -> Result<(), OrderCheck> {
    if let Some(node) = seen.get(unit) {
        if node.marker.is_none() {
            return Ok(()); // Explored before: no cycle from here.
        }
        return Err(break_cycle(tx, seen, unit, from.unwrap_or(unit)));
    }
    let Some((ty, ignore_order, _)) = tx.order_job(unit) else { return Ok(()) };
    seen.insert(unit.to_string(), Node { marker: Some(from.unwrap_or(unit).to_string()) });
    let edges = tx.edges(unit);
    for (other, unit_before) in ordering(&edges) {
        let Some(o) = tx.resolve(other) else { continue };
        let Some((oty, o_ignore, _)) = tx.order_job(&o) else { continue };
        if ignore_order || o_ignore || !runs_before(ty, oty, unit_before) {
            continue;
        }
        visit(tx, seen, &o, Some(unit))?;
    }
    if let Some(n) = seen.get_mut(unit) {
        n.marker = None;
    }
    Ok(())
}

/// `start` was reached again, coming from `from`: walk the path back,
/// log it, and delete a job if one may go.
fn break_cycle<G: Graph>(tx: &mut Tx<'_, G>, seen: &NameMap<Node>, start: &str, from: &str) -> OrderCheck {
    let mut path: Vec<String> = Vec::new();
    let mut delete: Option<String> = None;
    let mut k = from.to_string();
    loop {
        if delete.is_none() && tx.order_job(&k).is_some_and(|(_, _, in_tx)| in_tx) && !tx.unit_matters(&k) {
            delete = Some(k.clone());
        }
        path.push(k.clone());
        if k == start {
            break;
        }
        match seen.get(&k).and_then(|n| n.marker.clone()) {
            Some(m) if m != k => k = m,
            _ => break,
        }
    }
    let label = |tx: &Tx<'_, G>, u: &str| format!("{u}/{}", tx.order_job(u).map_or("nop", |(t, _, _)| t.as_str()));
    for (i, u) in path.iter().enumerate() {
        let what = if i == 0 { "ordering cycle" } else { "dependency" };
        tx.log.push(LogLine { unit: start.to_string(), priority: 4, message: format!("{start}: Found {what} on {}", label(tx, u)) });
    }
    let start_label = label(tx, start);
    match delete {
        Some(d) => {
            let msg = format!("{start}: Job {} deleted to break ordering cycle starting with {start_label}", label(tx, &d));
            tx.log.push(LogLine { unit: start.to_string(), priority: 3, message: msg });
            tx.delete_unit(&d);
            OrderCheck::Broken
        }
        None => {
            let msg = format!("{start}: Unable to break cycle starting with {start_label}");
            tx.log.push(LogLine { unit: start.to_string(), priority: 3, message: msg });
            OrderCheck::Cyclic
        }
    }
}
