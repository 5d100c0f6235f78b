//! Every line type, with every kind of object already in its place, with
//! several mode/ownership spellings: applied by systemd-tmpfiles 252 and
//! by us on twin roots, compared (whole file and line by line).

mod common;

use common::{differential, CREATE_REMOVE_BOOT};

/// What exists at `/objN` before the run.
const STATES: [(&str, &str); 9] = [
    ("none", ""),
    ("file", "file {p} 0604 1003 1003 old"),
    ("emptydir", "dir {p} 0705 1003 1003"),
    ("fulldir", "dir {p}/inner 0755 0 0\nfile {p}/f 0600 0 0 f\nfile {p}/inner/g 0600 0 0 g"),
    ("filelink", "file /tgtfile 0644 0 0 target\nlink {p} tgtfile"),
    ("dirlink", "dir /tgtdir 0755 0 0\nfile /tgtdir/x 0644 0 0\nlink {p} tgtdir"),
    ("dangling", "link {p} nowhere"),
    ("fifo", "fifo {p}"),
    ("sameperm", "file {p} 0640 1001 1002 same"),
];

/// Mode, user and group fields.
const PERMS: [&str; 4] = ["- - -", "0640 foo foog", ":0600 :foo -", "~0750 bar -"];

fn argument(t: &str) -> &'static str {
    if t.contains('~') {
        return "Y29udGVudAo=";
    }
    match t.trim_end_matches(['+', '=', '-', '!']) {
        "f" | "F" | "w" => "content\\n",
        "L" => "/target",
        "c" => "1:3",
        "C" => "/srcdir",
        "t" | "T" => "user.k=v",
        "h" | "H" => "+d",
        "a" | "A" => "u:1001:rwx,d:g:1002:r-x",
        _ => "-",
    }
}

const SOURCES: &str = "dir /srcdir/sub 0750 1001 0\nfile /srcdir/a 0640 0 1002 a\nfile /srcdir/sub/b 0600 0 0 b\n";

fn run(types: &[&str]) {
    let mut problems = Vec::new();
    for t in types {
        for (state, make) in STATES {
            let mut setup = String::from(SOURCES);
            let mut conf = String::new();
            for (i, perms) in PERMS.iter().enumerate() {
                let p = format!("/obj{i}");
                setup.push_str(&make.replace("{p}", &p));
                setup.push('\n');
                conf.push_str(&format!("{t} {p} {perms} - {}\n", argument(t)));
            }
            let name = format!("m-{}-{state}", t.replace('+', "plus").replace('~', "tilde"));
            problems.extend(differential(&name, &setup, &conf, CREATE_REMOVE_BOOT));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn creating_types() {
    run(&["f", "f+", "F", "d", "D", "v", "p", "p+", "L", "L+", "c", "c+", "C"]);
}

#[test]
fn adjusting_types() {
    run(&["w", "w+", "e", "z", "Z", "m", "t", "T", "h", "H"]);
}

#[test]
fn acl_and_removing_types() {
    run(&["a", "a+", "A", "A+", "x", "X", "r", "R"]);
}

#[test]
fn modifier_combinations() {
    run(&["f=", "d=", "L=", "p=", "d-", "f+=", "L+=", "r!", "f~"]);
}
