//! Differential test: our exit-code table against systemd 252's own,
//! as printed by `systemd-analyze exit-status`.

use exec::exit_status::EXIT_CODES;

#[test]
fn exit_code_table_matches_systemd_analyze() {
    let out = std::process::Command::new("systemd-analyze")
        .args(["exit-status", "--no-pager"])
        .output()
        .expect("systemd-analyze must be installed (it is the oracle)");
    assert!(
        out.status.success(),
        "systemd-analyze failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let theirs: Vec<(u8, String, String)> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            assert_eq!(f.len(), 3, "unexpected line {l:?}");
            (f[1].parse().unwrap(), f[0].to_string(), f[2].to_string())
        })
        .collect();
    let ours: Vec<(u8, String, String)> = EXIT_CODES
        .iter()
        .map(|(c, n, k)| (*c, n.to_string(), k.as_str().to_string()))
        .collect();
    assert_eq!(ours, theirs);
    for (code, name, _) in &theirs {
        assert_eq!(
            exec::exit_code_name(i32::from(*code)).map(|(n, _)| n),
            Some(name.as_str())
        );
    }
    assert_eq!(exec::exit_code_name(100), None);
}
