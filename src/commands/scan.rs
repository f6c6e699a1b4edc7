//! `vastleaks scan`: arguments -> plan ([`crate::resolve`]) -> report
//! ([`crate::pipeline::run`]) -> output ([`crate::output`]) and exit code
//! ([`crate::outcome`]).

use super::Exit;
use crate::cli::ScanArgs;
use crate::finding::Finding;
use crate::output::{self, live};
use crate::pipeline::{self, KeyChecker};
use crate::resolve::{self, ScanSettings};

/// For the library's users (and the property tests): the stderr writer.
pub use crate::output::write_diagnostics;

pub fn run(args: &ScanArgs) -> anyhow::Result<Exit> {
    let settings = ScanSettings::new(args)?;
    let rules = settings.rules()?;
    // Validate the API options before scanning: a bad --api-url is a usage error.
    let progress = resolve::progress_wanted(args.progress, args.output.quiet);
    let verifier = resolve::verifier(&args.verify, progress)?;
    let plan = settings.plan(&rules, verifier.as_ref().map(|v| v as &dyn KeyChecker))?;
    let printer = live::prints_live(args).then(|| live::LivePrinter::new(&args.output, &rules));
    let mut print = |batch: &[Finding]| {
        if let Some(printer) = &printer {
            printer.print(batch);
        }
    };
    let mut report = pipeline::run(
        &plan,
        printer
            .is_some()
            .then_some(&mut print as &mut dyn FnMut(&[Finding])),
    )?;
    if printer.is_some() {
        // The findings were printed as they came: the rest of the report only.
        let printed = std::mem::take(&mut report.findings);
        output::emit(&report, &rules, &args.output)?;
        report.findings = printed;
    } else {
        output::emit(&report, &rules, &args.output)?;
    }
    Ok(output::exit_code(&report, settings.policy()))
}
