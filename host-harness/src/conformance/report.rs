//! The suite's results, as a table for people, JSON for programs and JUnit XML for CI.

use std::fmt::Write as _;
use std::time::Duration;

/// How one check ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

#[derive(Debug, Clone)]
pub struct CheckResult {
    pub id: String,
    pub outcome: Outcome,
    pub duration: Duration,
}

#[derive(Debug, Clone)]
pub struct Report {
    pub results: Vec<CheckResult>,
    pub duration: Duration,
}

impl Report {
    /// True when no check failed (skips do not fail a run).
    pub fn passed(&self) -> bool {
        !self
            .results
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Fail(_)))
    }

    fn count(&self, wanted: fn(&Outcome) -> bool) -> usize {
        self.results.iter().filter(|r| wanted(&r.outcome)).count()
    }

    pub fn summary(&self) -> String {
        format!(
            "{} checks: {} passed, {} failed, {} skipped in {:.1} s",
            self.results.len(),
            self.count(|o| *o == Outcome::Pass),
            self.count(|o| matches!(o, Outcome::Fail(_))),
            self.count(|o| matches!(o, Outcome::Skip(_))),
            self.duration.as_secs_f64()
        )
    }

    pub fn table(&self) -> String {
        let mut out = String::new();
        for r in &self.results {
            let ms = r.duration.as_millis();
            let _ = match &r.outcome {
                Outcome::Pass => writeln!(out, "pass  {:<44} {ms:>6} ms", r.id),
                Outcome::Fail(why) => writeln!(out, "FAIL  {:<44} {ms:>6} ms  {why}", r.id),
                Outcome::Skip(why) => writeln!(out, "skip  {:<44} {ms:>6} ms  {why}", r.id),
            };
        }
        let _ = writeln!(out, "{}", self.summary());
        out
    }

    pub fn json(&self) -> serde_json::Value {
        let checks: Vec<_> = self
            .results
            .iter()
            .map(|r| {
                let (outcome, reason) = match &r.outcome {
                    Outcome::Pass => ("pass", None),
                    Outcome::Fail(why) => ("fail", Some(why)),
                    Outcome::Skip(why) => ("skip", Some(why)),
                };
                serde_json::json!({
                    "id": r.id,
                    "outcome": outcome,
                    "reason": reason,
                    "duration_ms": r.duration.as_millis(),
                })
            })
            .collect();
        serde_json::json!({
            "passed": self.passed(),
            "duration_ms": self.duration.as_millis(),
            "checks": checks,
        })
    }

    /// JUnit XML: one test suite, one test case per check, classname the check's group.
    pub fn junit(&self) -> String {
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            xml,
            "<testsuites name=\"gatehouse-conformance\" tests=\"{}\" failures=\"{}\" \
             skipped=\"{}\" time=\"{:.3}\">",
            self.results.len(),
            self.count(|o| matches!(o, Outcome::Fail(_))),
            self.count(|o| matches!(o, Outcome::Skip(_))),
            self.duration.as_secs_f64()
        );
        let _ = writeln!(
            xml,
            "  <testsuite name=\"conformance\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" \
             time=\"{:.3}\">",
            self.results.len(),
            self.count(|o| matches!(o, Outcome::Fail(_))),
            self.count(|o| matches!(o, Outcome::Skip(_))),
            self.duration.as_secs_f64()
        );
        for r in &self.results {
            let (group, name) = r.id.split_once('/').unwrap_or(("conformance", &r.id));
            let open = format!(
                "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\"",
                escape(group),
                escape(name),
                r.duration.as_secs_f64()
            );
            let _ = match &r.outcome {
                Outcome::Pass => writeln!(xml, "{open}/>"),
                Outcome::Fail(why) => writeln!(
                    xml,
                    "{open}>\n      <failure message=\"{}\"/>\n    </testcase>",
                    escape(why)
                ),
                Outcome::Skip(why) => writeln!(
                    xml,
                    "{open}>\n      <skipped message=\"{}\"/>\n    </testcase>",
                    escape(why)
                ),
            };
        }
        xml.push_str("  </testsuite>\n</testsuites>\n");
        xml
    }
}

/// Escapes text for an XML attribute; characters XML 1.0 forbids become spaces.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_hostile_reasons() {
        let report = Report {
            results: vec![CheckResult {
                id: "listing/x".into(),
                outcome: Outcome::Fail("<b>\"&'\u{1}".into()),
                duration: Duration::from_millis(5),
            }],
            duration: Duration::from_millis(5),
        };
        let xml = report.junit();
        assert!(
            xml.contains("message=\"&lt;b&gt;&quot;&amp;&apos; \""),
            "{xml}"
        );
        assert!(xml.contains("classname=\"listing\" name=\"x\""));
        assert!(!report.passed());
    }
}
