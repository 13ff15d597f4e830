//! One table of every figure beside its baseline, printed and written as
//! `report.md`, `report.json` and `latency.svg`.
use std::path::Path;

use serde::Serialize;

use crate::stats::Percentiles;

/// A limit of this machine measured in the same run.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    pub name: String,
    pub value: f64,
    pub unit: String,
}

/// A figure, its baseline and the ratio steered by.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub scenario: String,
    pub case: String,
    pub value: f64,
    pub unit: String,
    pub baseline: Option<Baseline>,
    /// `value / baseline` (for latencies, lower is better).
    pub ratio: Option<f64>,
    /// The target for this row and whether this run met it.
    pub target: Option<String>,
    pub met: Option<bool>,
    pub latency: Option<Percentiles>,
    /// Growth of the server's peak RSS during the measurement, in MB.
    pub server_rss_growth_mb: Option<f64>,
    pub errors: u64,
    pub note: String,
}

impl Row {
    pub fn new(scenario: &str, case: impl Into<String>, value: f64, unit: &str) -> Self {
        Self {
            scenario: scenario.into(),
            case: case.into(),
            value,
            unit: unit.into(),
            baseline: None,
            ratio: None,
            target: None,
            met: None,
            latency: None,
            server_rss_growth_mb: None,
            errors: 0,
            note: String::new(),
        }
    }

    pub fn against(mut self, name: &str, value: f64, unit: &str) -> Self {
        self.ratio = (value > 0.0).then(|| self.value / value);
        self.baseline = Some(Baseline {
            name: name.into(),
            value,
            unit: unit.into(),
        });
        self
    }

    /// A target on the ratio: at least (`higher`) or at most `limit`.
    pub fn target_ratio(mut self, higher: bool, limit: f64) -> Self {
        let sign = if higher { "≥" } else { "≤" };
        self.target = Some(format!("ratio {sign} {limit}"));
        self.met = self
            .ratio
            .map(|r| if higher { r >= limit } else { r <= limit });
        self
    }

    pub fn target(mut self, text: &str, met: bool) -> Self {
        self.target = Some(text.into());
        self.met = Some(met);
        self
    }

    pub fn latency(mut self, latency: Option<Percentiles>) -> Self {
        self.latency = latency;
        self
    }

    pub fn rss_growth(mut self, mb: Option<f64>) -> Self {
        self.server_rss_growth_mb = mb;
        self
    }

    pub fn errors(mut self, errors: u64) -> Self {
        self.errors = errors;
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub date: String,
    pub commit: String,
    pub machine: String,
    pub mode: String,
    pub seed: u64,
    pub rows: Vec<Row>,
}

/// Thousands separated; two significant decimals below 10.
pub fn number(value: f64) -> String {
    if value >= 100.0 {
        let digits = format!("{:.0}", value);
        let mut out = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        out
    } else if value >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn ms(value: f64) -> String {
    if value >= 10.0 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

impl Report {
    pub fn errors(&self) -> u64 {
        self.rows.iter().map(|r| r.errors).sum()
    }

    pub fn markdown(&self) -> String {
        let mut out = format!(
            "{} · commit {} · {} · {} mode · seed {}\n\n\
             | scenario | case | result | baseline (same run) | ratio | target | p50 ms | p95 ms | p99 ms | server RSS growth MB | errors | note |\n\
             |---|---|---|---|---|---|---|---|---|---|---|---|\n",
            self.date, self.commit, self.machine, self.mode, self.seed
        );
        for r in &self.rows {
            let baseline = r.baseline.as_ref().map_or(String::new(), |b| {
                format!("{} {} {}", b.name, number(b.value), b.unit)
            });
            let ratio = r.ratio.map_or(String::new(), |x| format!("{x:.2}"));
            let target = match (&r.target, r.met) {
                (Some(t), Some(true)) => format!("{t}: met"),
                (Some(t), Some(false)) => format!("{t}: **missed**"),
                (Some(t), None) => t.clone(),
                _ => String::new(),
            };
            let (p50, p95, p99) = r.latency.map_or(Default::default(), |l| {
                (ms(l.p50_ms), ms(l.p95_ms), ms(l.p99_ms))
            });
            let rss = r
                .server_rss_growth_mb
                .map_or(String::new(), |mb| format!("{mb:.1}"));
            out.push_str(&format!(
                "| {} | {} | {} {} | {baseline} | {ratio} | {target} | {p50} | {p95} | {p99} | {rss} | {} | {} |\n",
                r.scenario,
                r.case,
                number(r.value),
                r.unit,
                r.errors,
                r.note
            ));
        }
        out
    }

    /// Writes `report.md`, `report.json` and `latency.svg` into `dir`.
    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("report.md"), self.markdown())?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("report.json"), json)?;
        std::fs::write(dir.join("latency.svg"), crate::report::svg(&self.rows))
    }
}

/// Horizontal bars of p50, p95 and p99 (log scale) for every row with
/// latencies.
pub fn svg(rows: &[Row]) -> String {
    let rows: Vec<(&Row, Percentiles)> =
        rows.iter().filter_map(|r| Some((r, r.latency?))).collect();
    let (label_w, plot_w, bar_h, group_h) = (440.0, 560.0, 7.0, 30.0);
    let height = 60.0 + group_h * rows.len() as f64;
    let max = rows.iter().map(|(_, l)| l.p99_ms).fold(1.0, f64::max);
    let min = rows.iter().map(|(_, l)| l.p50_ms).fold(max, f64::min);
    let (lo, hi) = (min.max(0.01).log10().floor(), (max * 1.5).log10().ceil());
    let x = |v: f64| label_w + plot_w * ((v.max(0.01).log10() - lo) / (hi - lo));
    let mut out = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"11\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"18\" font-size=\"13\">Latency percentiles (ms, log scale)</text>\n",
        label_w + plot_w + 20.0
    );
    for (i, (name, colour)) in [("p50", "#4c78a8"), ("p95", "#f58518"), ("p99", "#e45756")]
        .iter()
        .enumerate()
    {
        let at = label_w + 200.0 + 70.0 * i as f64;
        out.push_str(&format!(
            "<rect x=\"{at}\" y=\"9\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"18\">{name}</text>\n",
            at + 14.0
        ));
    }
    let mut decade = lo;
    while decade <= hi {
        let at = x(10f64.powf(decade));
        out.push_str(&format!(
            "<line x1=\"{at:.1}\" y1=\"30\" x2=\"{at:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\
             <text x=\"{at:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            height - 20.0,
            height - 6.0,
            10f64.powf(decade)
        ));
        decade += 1.0;
    }
    for (i, (row, l)) in rows.iter().enumerate() {
        let top = 34.0 + group_h * i as f64;
        out.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{} · {}</text>\n",
            label_w - 8.0,
            top + 14.0,
            escape(&row.scenario),
            escape(&row.case)
        ));
        for (j, (value, colour)) in [
            (l.p50_ms, "#4c78a8"),
            (l.p95_ms, "#f58518"),
            (l.p99_ms, "#e45756"),
        ]
        .into_iter()
        .enumerate()
        {
            out.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bar_h}\" fill=\"{colour}\"><title>{:.2} ms</title></rect>\n",
                top + j as f64 * (bar_h + 1.0),
                (x(value) - label_w).max(1.0),
                value
            ));
        }
    }
    out.push_str("</svg>\n");
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_and_target() {
        let row = Row::new("append", "64 clients", 3_000.0, "commands/s")
            .against("raw INSERT+COMMIT", 2_000.0, "rows/s")
            .target_ratio(true, 1.0);
        assert_eq!(row.ratio, Some(1.5));
        assert_eq!(row.met, Some(true));
        assert_eq!(number(1_234_567.0), "1,234,567");
        assert_eq!(number(0.5), "0.50");
        let svg = svg(&[row.latency(Some(Percentiles {
            p50_ms: 1.0,
            p95_ms: 2.0,
            p99_ms: 3.0,
            samples: 3,
        }))]);
        assert!(svg.contains("append · 64 clients"));
        assert_eq!(svg.matches("<title>").count(), 3);
    }
}
