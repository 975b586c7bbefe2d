//! What the benchmark reads off the running service: its counters at `/metrics`, and its
//! peak memory from `/proc`.

use std::collections::HashMap;

/// The service's counters at one moment.
#[derive(Clone, Debug, Default)]
pub struct Counters {
    pub requests: f64,
    pub statements: f64,
}

/// Reads `/metrics`.
pub async fn counters(client: &reqwest::Client, host: &str) -> anyhow::Result<Counters> {
    let text = client
        .get(format!("{host}/metrics"))
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let values: HashMap<&str, f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name, value.parse().ok()?))
        })
        .collect();
    let get = |name: &str| values.get(name).copied().unwrap_or_default();
    Ok(Counters {
        requests: get("resilience_hub_graphql_requests_total"),
        statements: get("resilience_hub_sql_statements_total"),
    })
}

/// Starts a new peak: the kernel's high-water mark of resident memory is reset to the
/// current size (writing 5 to `clear_refs`).
pub fn reset_peak(pid: u32) -> anyhow::Result<()> {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")?;
    Ok(())
}

/// The peak resident memory since the last reset, in MiB.
pub fn peak_mib(pid: u32) -> anyhow::Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kib: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/{pid}/status"))?;
    Ok(kib / 1024.0)
}
