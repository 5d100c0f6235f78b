mod common;
use common::*;

#[test]
fn smoke() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.journal");
    let mut w = create(&path, &journal::WriterOptions::default());
    for i in 0..300 {
        service_entry(i).append_to(&mut w).unwrap();
    }
    w.close().unwrap();
    let v = journalctl(&["--file", path.to_str().unwrap(), "--verify"]);
    eprintln!("{}", String::from_utf8_lossy(&v.stderr));
    let out = journalctl(&["--file", path.to_str().unwrap(), "-o", "export", "--no-pager"]);
    eprintln!("{}", String::from_utf8_lossy(&out.stderr));
    let mut j = journal::Journal::open_file(&path).unwrap();
    let ours = export_forward(&mut j);
    std::fs::write("/tmp/ours.export", &ours).unwrap();
    std::fs::write("/tmp/theirs.export", &out.stdout).unwrap();
    assert!(v.status.success());
    assert_eq!(ours, out.stdout, "{}", first_difference(&ours, &out.stdout));
}
