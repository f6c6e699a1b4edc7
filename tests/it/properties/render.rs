//! The renderers in-process: `report::write` in every format, and what
//! `vastleaks scan` writes on stderr, on a constructed [`Report`] whose
//! scanned-text fields hold keys or control characters.
//!
//! Commit summaries and authors are not planted with keys: the git source
//! redacts them before they reach a report (the binary tests check that end
//! to end). Every other field below reaches the renderers as scanned.

use proptest::prelude::*;
use termcolor::NoColor;

use vastleaks::finding::{BlobOrigin, CommitInfo, Finding, Location, Origin, Reach, Suppression};
use vastleaks::key::Secret;
use vastleaks::report::{self, Format, RenderOptions, Report, Summary};
use vastleaks::rules::{Confidence, RuleSet};
use vastleaks::scan::{Problem, ProblemKind, Subject};
use vastleaks::suppress::StaleIgnore;
use vastleaks::untrusted::{Redaction, Redactor};

use super::{config, first_control, key};

/// Scanned text, one value per field a report repeats.
#[derive(Clone, Debug, Default)]
struct Planted {
    path: String,
    summary: String,
    author: String,
    git_ref: String,
    problem_path: String,
    problem_message: String,
    note: String,
    ignore_file: String,
}

/// The fields that hold a key in [`with_keys`], by name, and its key.
const KEY_FIELDS: [&str; 7] = [
    "the finding's own key",
    "file path",
    "branch name",
    "problem path",
    "problem message",
    "summary note",
    "ignore file path",
];

/// A planted report where each field holds its own key (`keys[0]` is the
/// finding's key), so a failure names the field that leaked.
fn with_keys(keys: &[String; 7]) -> (Secret, Planted) {
    let planted = Planted {
        path: format!("config/{}/app.env", keys[1]),
        summary: "add config".into(),
        author: "Dev <dev@example.com>".into(),
        git_ref: format!("refs/heads/feature/{}", keys[2]),
        problem_path: format!("data/{}.bin", keys[3]),
        problem_message: format!("cannot read: key {} rejected", keys[4]),
        note: format!("push to refs/heads/{}: commits 1..2", keys[5]),
        ignore_file: format!("{}/.vastleaksignore", keys[6]),
    };
    (Secret::new(keys[0].clone()), planted)
}

/// An object id of 40 times `digit`.
fn id(digit: char) -> gix::ObjectId {
    gix::ObjectId::from_hex(digit.to_string().repeat(40).as_bytes()).expect("hex")
}

/// One finding of a file with git provenance, the same finding suppressed by
/// an ignore entry, a problem, a note and a stale ignore entry.
fn report_of(secret: Secret, p: &Planted) -> Report {
    let finding = Finding {
        rule_id: "vast.env-assignment".into(),
        rule_name: "Vast API key assigned to a Vast-named variable".into(),
        confidence: Confidence::High,
        fingerprint: secret.fingerprint(),
        secret,
        location: Location {
            line: 3,
            column: 14,
            offset: 40,
            length: 64,
            binary: false,
            encoding: None,
        },
        origin: Origin::GitBlob(Box::new(BlobOrigin {
            blob: id('b'),
            path: Some(p.path.clone()),
            introduced_by: Some(CommitInfo {
                id: id('c'),
                author: Some(p.author.clone()),
                date: Some("2024-01-02T03:04:05Z".into()),
                summary: Some(p.summary.clone()),
            }),
            reach: Reach {
                refs: vec![p.git_ref.clone()],
                reachable: Some(true),
            },
            at_head: Some(true),
        })),
        verification: None,
        suppression: None,
    };
    let mut suppressed = finding.clone();
    suppressed.suppression = Some(Suppression::IgnoreFile {
        file: p.ignore_file.clone(),
        line: 2,
    });
    Report {
        findings: vec![finding],
        suppressed: vec![suppressed],
        problems: vec![Problem::new(
            Subject::Path(p.problem_path.clone()),
            ProblemKind::Error,
            p.problem_message.clone(),
        )],
        added_suppressions: Vec::new(),
        stale_ignores: vec![StaleIgnore {
            file: p.ignore_file.clone(),
            line: 1,
            fingerprint: "0123456789abcdef".into(),
        }],
        summary: Summary {
            mode: report::ScanMode::Git,
            scanned: 2,
            bytes: 100,
            findings: 1,
            keys: 1,
            suppressed: 1,
            errors: 1,
            notes: vec![p.note.clone()],
            ..Summary::default()
        },
    }
}

/// `Some(format)`: the report in that format; `None`: the stderr lines.
fn render(format: Option<Format>, report: &Report) -> String {
    // As the CLI writes: every stream goes through the default redactor.
    let mut out = Redactor::new(NoColor::new(Vec::new()));
    match format {
        Some(format) => {
            let rules = RuleSet::builtin();
            let options = RenderOptions {
                redaction: Redaction::Partial,
                rules: rules.rules(),
            };
            report::write(format, report, &options, &mut out).unwrap();
        }
        None => vastleaks::commands::scan::write_diagnostics(report, true, &mut out).unwrap(),
    }
    String::from_utf8(out.finish().unwrap().into_inner()).unwrap()
}

fn no_key_shown(format: Option<Format>, keys: &[String; 7]) -> Result<(), TestCaseError> {
    let (secret, planted) = with_keys(keys);
    let output = render(format, &report_of(secret, &planted));
    let leaked: Vec<&str> = KEY_FIELDS
        .iter()
        .zip(keys)
        .filter(|(_, key)| output.contains(key.as_str()))
        .map(|(field, _)| *field)
        .collect();
    prop_assert!(
        leaked.is_empty(),
        "{:?} shows the full key planted in: {:?}\n{}",
        format,
        leaked,
        output
    );
    Ok(())
}

fn keys7() -> impl Strategy<Value = [String; 7]> {
    proptest::array::uniform7(key())
}

proptest! {
    #![proptest_config(config(8))]

    #[test]
    fn human_output_never_shows_a_key(keys in keys7()) {
        no_key_shown(Some(Format::Human), &keys)?;
    }

    #[test]
    fn json_output_never_shows_a_key(keys in keys7()) {
        no_key_shown(Some(Format::Json), &keys)?;
    }

    #[test]
    fn jsonl_output_never_shows_a_key(keys in keys7()) {
        no_key_shown(Some(Format::Jsonl), &keys)?;
    }

    #[test]
    fn sarif_output_never_shows_a_key(keys in keys7()) {
        no_key_shown(Some(Format::Sarif), &keys)?;
    }

    #[test]
    fn github_output_never_shows_a_key(keys in keys7()) {
        no_key_shown(Some(Format::Github), &keys)?;
    }

    #[test]
    fn markdown_output_never_shows_a_key(keys in keys7()) {
        no_key_shown(Some(Format::Markdown), &keys)?;
    }

    #[test]
    fn stderr_never_shows_a_key(keys in keys7()) {
        no_key_shown(None, &keys)?;
    }
}

/// Text with the control characters that do harm: terminal escapes (ESC,
/// OSC 8 links, CSI as one C1 character), CR (rewrites the line), LF (fakes
/// a line), BEL, NUL, DEL, NEL, any C0.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-z/._ -]{0,6}",
        Just("\u{1b}[2J".to_string()),
        Just("\u{1b}]8;;https://evil.example\u{7}".to_string()),
        Just("\u{9b}31m".to_string()),
        Just("\r".to_string()),
        Just("\n".to_string()),
        Just("\u{0}".to_string()),
        Just("\u{7f}".to_string()),
        Just("\u{85}".to_string()),
        (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap().to_string()),
    ];
    proptest::collection::vec(piece, 1..6).prop_map(|p| p.concat())
}

fn hostile_planted() -> impl Strategy<Value = Planted> {
    proptest::array::uniform8(hostile_text()).prop_map(|t| {
        let [path, summary, author, git_ref, problem_path, problem_message, note, ignore_file] = t;
        Planted {
            path,
            summary,
            author,
            git_ref,
            problem_path,
            problem_message,
            note,
            ignore_file,
        }
    })
}

/// No control character but the newlines that end lines.
fn no_control(format: Option<Format>, planted: &Planted) -> Result<(), TestCaseError> {
    let secret = Secret::new("38392aa0acddf808be3f8bc7f74f69351f1992ce2f3f3b4455da3295706fb7ad");
    let output = render(format, &report_of(secret, planted));
    let found = first_control(&output, &['\n']);
    prop_assert!(
        found.is_none(),
        "{:?} output has a control character: {}",
        format,
        found.unwrap_or_default()
    );
    Ok(())
}

proptest! {
    #![proptest_config(config(16))]

    #[test]
    fn human_output_has_no_control_characters(planted in hostile_planted()) {
        no_control(Some(Format::Human), &planted)?;
    }

    #[test]
    fn json_output_has_no_control_characters(planted in hostile_planted()) {
        no_control(Some(Format::Json), &planted)?;
    }

    #[test]
    fn jsonl_output_has_no_control_characters(planted in hostile_planted()) {
        no_control(Some(Format::Jsonl), &planted)?;
    }

    #[test]
    fn sarif_output_has_no_control_characters(planted in hostile_planted()) {
        no_control(Some(Format::Sarif), &planted)?;
    }

    #[test]
    fn github_output_has_no_control_characters(planted in hostile_planted()) {
        no_control(Some(Format::Github), &planted)?;
    }

    #[test]
    fn markdown_output_has_no_control_characters(planted in hostile_planted()) {
        no_control(Some(Format::Markdown), &planted)?;
    }

    #[test]
    fn stderr_has_no_control_characters(planted in hostile_planted()) {
        no_control(None, &planted)?;
    }
}
