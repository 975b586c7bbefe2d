//! The results: one row per scenario and concurrency, each figure beside the SQL's and as a
//! ratio to it, written as a Markdown table (for `bench/README.md`) and as JSON.

use serde_json::{Value, json};

use crate::moving::Variant;
use crate::pgbench::SqlRun;
use crate::scenarios::Scenario;
use crate::stats::Latencies;

/// One scenario at one concurrency.
#[derive(Clone, Debug)]
pub struct Row {
    pub scenario: Scenario,
    pub variant: Variant,
    /// How many times the `moving` variant's writer moved the epochs during the row's runs.
    pub epoch_moves: u64,
    pub concurrency: usize,
    pub per_second: f64,
    pub latencies: Latencies,
    pub requests: usize,
    pub failed: usize,
    pub conflicts: u64,
    pub statements_per_request: f64,
    pub peak_mib: f64,
    pub sql: SqlRun,
}

impl Row {
    fn error_rate(&self) -> f64 {
        if self.requests == 0 {
            return 0.0;
        }
        self.failed as f64 / self.requests as f64
    }

    fn ratio(&self) -> f64 {
        if self.sql.per_second > 0.0 {
            self.per_second / self.sql.per_second
        } else {
            0.0
        }
    }

    fn p99_ratio(&self) -> f64 {
        let sql = self.sql.latencies.percentile_ms(0.99);
        if sql > 0.0 {
            self.latencies.percentile_ms(0.99) / sql
        } else {
            0.0
        }
    }

    /// One line for the console.
    pub fn summary(&self) -> String {
        format!(
            "{} c={:<3} {:>8.1}/s p50 {:>7.2} p95 {:>7.2} p99 {:>7.2} ms, errors {:.2}%, {:.1} stmts/req, peak {:.0} MiB | SQL {:>8.1}/s p99 {:>7.2} ms | ratio {:.2}",
            self.variant.title(),
            self.concurrency,
            self.per_second,
            self.latencies.percentile_ms(0.50),
            self.latencies.percentile_ms(0.95),
            self.latencies.percentile_ms(0.99),
            self.error_rate() * 100.0,
            self.statements_per_request,
            self.peak_mib,
            self.sql.per_second,
            self.sql.latencies.percentile_ms(0.99),
            self.ratio(),
        )
    }
}

/// What the write mix's check found.
#[derive(Clone, Debug)]
pub struct WriteCheck {
    pub concurrency: usize,
    /// Updates the service acknowledged.
    pub acknowledged: i64,
    /// Acknowledged updates not stored.
    pub lost: i64,
    /// Updates of the run stored without an acknowledgement (given up on by the client).
    pub unacknowledged: i64,
    /// Changes of actions (updates and edits) acknowledged.
    pub changes_acknowledged: i64,
    /// Acknowledged changes whose version step is missing.
    pub lost_versions: i64,
    /// Version steps without an acknowledgement.
    pub extra_versions: i64,
    pub conflicts: u64,
}

/// The headline: for each scenario with a SQL yardstick and each concurrency, the worse of
/// the variants measured (the lower throughput ratio, the higher p99 ratio).
fn headline(rows: &[Row], concurrencies: &[usize]) -> String {
    let mut out = String::from(
        "| scenario | c | throughput ratio (worse variant) | p99 ratio (worse variant) |\n|---|--:|--:|--:|\n",
    );
    for scenario in Scenario::ALL.iter().filter(|s| s.paper().is_none()) {
        for c in concurrencies {
            let of: Vec<&Row> = rows
                .iter()
                .filter(|r| r.scenario == *scenario && r.concurrency == *c)
                .collect();
            let Some(worst) = of.iter().min_by(|a, b| a.ratio().total_cmp(&b.ratio())) else {
                continue;
            };
            let slowest = of
                .iter()
                .max_by(|a, b| a.p99_ratio().total_cmp(&b.p99_ratio()))
                .unwrap_or(worst);
            out.push_str(&format!(
                "| {} | {c} | {:.2} ({}) | {:.1}× ({}) |\n",
                scenario.title(),
                worst.ratio(),
                worst.variant.title(),
                slowest.p99_ratio(),
                slowest.variant.title(),
            ));
        }
    }
    out
}

/// The results tables in Markdown: the headline, then every figure.
pub fn markdown(
    rows: &[Row],
    checks: &[WriteCheck],
    concurrencies: &[usize],
    epoch_rate: f64,
    move_visibility: bool,
) -> String {
    let mut out = headline(rows, concurrencies);
    let moved = if move_visibility {
        "every change epoch, the visibility epoch (directory, memberships, sharing) included,"
    } else {
        "the records' change epochs (not the visibility epoch of the directory, memberships and sharing)"
    };
    out.push_str(&format!(
        "\nThe variant \"epochs moving\" ran a writer moving {moved} {epoch_rate:.0} times a second during both the service's run and the SQL's.\n\n"
    ));
    out.push_str(
        "| scenario | variant | c | req/s | p50 ms | p95 ms | p99 ms | errors | conflicts | SQL stmts/req | peak MiB | SQL req/s | SQL p99 ms | throughput ratio | p99 ratio |\n",
    );
    out.push_str("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
    let cells = Scenario::ALL.iter().flat_map(|s| {
        [Variant::Remembered, Variant::Moving]
            .into_iter()
            .flat_map(move |v| concurrencies.iter().map(move |c| (*s, v, *c)))
    });
    for (scenario, variant, c) in cells {
        let Some(r) = rows
            .iter()
            .find(|r| r.scenario == scenario && r.variant == variant && r.concurrency == c)
        else {
            continue;
        };
        let sql_p99 = r.sql.latencies.percentile_ms(0.99);
        let p99 = r.latencies.percentile_ms(0.99);
        // A paper has no SQL yardstick: its SQL columns read "–".
        let yardstick = if scenario.paper().is_some() {
            [
                "–".to_owned(),
                "–".to_owned(),
                "–".to_owned(),
                "–".to_owned(),
            ]
        } else {
            [
                format!("{:.0}", r.sql.per_second),
                format!("{sql_p99:.1}"),
                format!("{:.2}", r.ratio()),
                format!("{:.1}×", r.p99_ratio()),
            ]
        };
        out.push_str(&format!(
            "| {} | {} | {} | {} | {:.1} | {:.1} | {:.1} | {:.2}% | {} | {:.1} | {:.0} | {} | {} | {} | {} |\n",
            scenario.title(),
            variant.title(),
            c,
            // A slow paper's rate needs its tenths.
            if r.per_second < 10.0 {
                format!("{:.1}", r.per_second)
            } else {
                format!("{:.0}", r.per_second)
            },
            r.latencies.percentile_ms(0.50),
            r.latencies.percentile_ms(0.95),
            p99,
            r.error_rate() * 100.0,
            if scenario == Scenario::Writes {
                r.conflicts.to_string()
            } else {
                "–".to_owned()
            },
            r.statements_per_request,
            r.peak_mib,
            yardstick[0],
            yardstick[1],
            yardstick[2],
            yardstick[3],
        ));
    }
    for c in checks {
        out.push_str(&format!(
            "\nWrite check at c={}: {} updates acknowledged, {} lost, {} stored unacknowledged; {} changes of actions acknowledged, {} version steps missing, {} unacknowledged; {} conflicts.\n",
            c.concurrency,
            c.acknowledged,
            c.lost,
            c.unacknowledged,
            c.changes_acknowledged,
            c.lost_versions,
            c.extra_versions,
            c.conflicts
        ));
    }
    out
}

/// The raw figures.
pub fn json(rows: &[Row], checks: &[WriteCheck]) -> Value {
    json!({
        "rows": rows.iter().map(|r| json!({
            "scenario": r.scenario.file(),
            "variant": r.variant.title(),
            "epochMoves": r.epoch_moves,
            "concurrency": r.concurrency,
            "perSecond": r.per_second,
            "p50Ms": r.latencies.percentile_ms(0.50),
            "p95Ms": r.latencies.percentile_ms(0.95),
            "p99Ms": r.latencies.percentile_ms(0.99),
            "requests": r.requests,
            "failed": r.failed,
            "conflicts": r.conflicts,
            "statementsPerRequest": r.statements_per_request,
            "peakMiB": r.peak_mib,
            "sql": {
                "perSecond": r.sql.per_second,
                "p50Ms": r.sql.latencies.percentile_ms(0.50),
                "p95Ms": r.sql.latencies.percentile_ms(0.95),
                "p99Ms": r.sql.latencies.percentile_ms(0.99),
                "failed": r.sql.failed,
            },
            "throughputRatio": r.ratio(),
        })).collect::<Vec<_>>(),
        "writeChecks": checks.iter().map(|c| json!({
            "concurrency": c.concurrency,
            "acknowledged": c.acknowledged,
            "lost": c.lost,
            "unacknowledged": c.unacknowledged,
            "changesAcknowledged": c.changes_acknowledged,
            "lostVersions": c.lost_versions,
            "extraVersions": c.extra_versions,
            "conflicts": c.conflicts,
        })).collect::<Vec<_>>(),
    })
}
