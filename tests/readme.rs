//! The README shows real output: each `$ podplan ...` block must be what
//! the CLI prints today (timings aside).

use std::process::Command;

fn normalise(text: &str) -> String {
    // Solve times vary from run to run.
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line
            .split(' ')
            .map(|w| {
                if !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()) {
                    "N".to_string()
                } else {
                    w.to_string()
                }
            })
            .collect();
        out.push_str(words.join(" ").trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn readme_output_blocks_are_current() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let mut checked = 0;
    let mut lines = readme.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(command) = line.strip_prefix("$ podplan ") else {
            continue;
        };
        if command.contains('|') || line.starts_with("$ echo") {
            continue;
        }
        let mut shown = String::new();
        while let Some(l) = lines.peek() {
            if l.starts_with("```") {
                break;
            }
            shown.push_str(lines.next().unwrap());
            shown.push('\n');
        }
        let args: Vec<&str> = command.split_whitespace().collect();
        let out = Command::new(env!("CARGO_BIN_EXE_podplan"))
            .args(&args)
            .current_dir(root)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            normalise(&printed),
            normalise(&shown),
            "README block for `podplan {command}` is out of date"
        );
        checked += 1;
    }
    assert!(
        checked >= 2,
        "expected the README's explain and place samples"
    );
}
