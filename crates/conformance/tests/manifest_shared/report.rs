//! `conformance/REPORT.md`: the figures of a manifest run, the skip reasons grouped, the
//! FHIRPath pass rate (from `conformance/REPORT-fhirpath.md`) and the profile load figures.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::{Comparison, Run, rate, repo_dir};

/// The build profile the figures were measured in.
const BUILD: &str = if cfg!(debug_assertions) {
    "debug, unoptimized"
} else {
    "release"
};

fn percent(count: usize, total: usize) -> String {
    format!("{count}/{total} ({:.1}%)", 100.0 * rate(count, total))
}

fn fhirpath_line() -> String {
    let path = repo_dir().join("conformance/REPORT-fhirpath.md");
    std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.contains("Passed:"))
                .map(|l| l.trim().trim_matches('*').trim().to_string())
        })
        .unwrap_or_else(|| "not measured (conformance/REPORT-fhirpath.md is absent)".to_string())
}

fn list(set: &std::collections::BTreeSet<(String, String)>, limit: usize) -> String {
    let mut items: Vec<String> = set
        .iter()
        .take(limit)
        .map(|(s, e)| format!("{s} `{}`", if e.is_empty() { "-" } else { e }))
        .collect();
    if set.len() > limit {
        items.push(format!("… {} more", set.len() - limit));
    }
    items.join("; ")
}

fn disagreement_row(out: &mut String, c: &Comparison) {
    let missing = c.java.difference(&c.ours).cloned().collect();
    let extra = c.ours.difference(&c.java).cloned().collect();
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} |",
        c.label,
        c.java_errors,
        c.our_errors,
        list(&missing, 3).replace('|', "\\|"),
        list(&extra, 3).replace('|', "\\|")
    );
}

/// The report text.
pub fn render(run: &Run, (verdicts, counts, sets): (usize, usize, usize)) -> String {
    let total = run.comparisons.len();
    let n_skipped: usize = run.skipped.values().map(Vec::len).sum();
    let mut out = String::new();
    let _ = writeln!(out, "# Conformance report (crate `conformance`)\n");
    let _ = writeln!(
        out,
        "Written by `REPORT=1 cargo test -p conformance --test manifest_shared -- --nocapture` \
         (the test prints the same figures without `REPORT`).\n"
    );
    let _ = writeln!(out, "## Agreement with the Java validator\n");
    let _ = writeln!(
        out,
        "Suite: the R4 cases (version `4.0*`) of `fhir-test-cases/validator/manifest.json`, \
         compared with `outcomes/java/R4.<name>-base.json` and, for cases with a profile, \
         `…-profile.json`. {total} comparisons ran; {n_skipped} cases were skipped (below).\n"
    );
    let _ = writeln!(out, "| measure | agreement |\n|---|---|");
    let _ = writeln!(
        out,
        "| (a) verdict: valid (no error/fatal) or not | **{}** |",
        percent(verdicts, total)
    );
    let _ = writeln!(
        out,
        "| (b) the same number of errors | {} |",
        percent(counts, total)
    );
    let _ = writeln!(
        out,
        "| (c) the same set of (severity, expression) of errors, `/*…*/` removed | {} |",
        percent(sets, total)
    );
    let _ = writeln!(
        out,
        "\nGoal: verdict agreement ≥ 90% on the cases we can run. Run time: {:.1} s ({BUILD} test build).\n",
        run.seconds
    );
    let _ = writeln!(
        out,
        "## FHIRPath\n\n{} (`conformance/REPORT-fhirpath.md`).\n",
        fhirpath_line()
    );
    let l = &run.load;
    let _ = writeln!(
        out,
        "## Profiles loaded\n\n`Registry::load_dir(profiles/)`: {} packages, {} StructureDefinitions, \
         {} ValueSets, {} CodeSystems, loaded in {} ms in this ({BUILD}) test build; \
         the release figures are in `profiles/README.md`.\n",
        l.packages, l.structures, l.value_sets, l.code_systems, l.millis
    );
    let bench = std::fs::read_to_string(repo_dir().join("conformance/REPORT-bench.md"))
        .map(|text| {
            text.replacen("# ", "## Performance: ", 1)
                .replace("\n## ", "\n### ")
        })
        .unwrap_or_else(|_| "## Performance\n\nNot measured.\n".to_string());
    let _ = writeln!(out, "{}", bench.trim_end());
    let _ = writeln!(out);
    let _ = writeln!(out, "## Skipped cases ({n_skipped})\n");
    let _ = writeln!(out, "| reason | cases | names |\n|---|---|---|");
    let mut reasons: Vec<_> = run.skipped.iter().collect();
    reasons.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    for (reason, cases) in reasons {
        let shown: Vec<String> = cases
            .iter()
            .map(|(name, detail)| {
                if detail.is_empty() {
                    format!("`{name}`")
                } else {
                    format!(
                        "`{name}` ({})",
                        detail.chars().take(160).collect::<String>()
                    )
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            reason,
            cases.len(),
            shown.join(", ").replace('|', "\\|").replace('\n', " ")
        );
    }
    let wrong: Vec<&Comparison> = run
        .comparisons
        .iter()
        .filter(|c| !c.verdict_agrees())
        .collect();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for c in &wrong {
        *by_kind
            .entry(if c.java_errors > 0 {
                "Java invalid, ours valid"
            } else {
                "Java valid, ours invalid"
            })
            .or_default() += 1;
    }
    let _ = writeln!(out, "\n## Verdict disagreements ({})\n", wrong.len());
    for (kind, n) in &by_kind {
        let _ = writeln!(out, "- {kind}: {n}");
    }
    let _ = writeln!(
        out,
        "\n| case | Java errors | our errors | missing (Java only) | extra (ours only) |\n|---|---|---|---|---|"
    );
    for c in &wrong {
        disagreement_row(&mut out, c);
    }
    let set_only: Vec<&Comparison> = run
        .comparisons
        .iter()
        .filter(|c| c.verdict_agrees() && c.java != c.ours)
        .collect();
    let _ = writeln!(
        out,
        "\n## Same verdict, different errors ({})\n",
        set_only.len()
    );
    let _ = writeln!(
        out,
        "| case | Java errors | our errors | missing (Java only) | extra (ours only) |\n|---|---|---|---|---|"
    );
    for c in set_only {
        disagreement_row(&mut out, c);
    }
    out
}
