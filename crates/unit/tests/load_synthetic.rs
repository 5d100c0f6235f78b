//! Small trees, one rule each, every one compared with what systemd 252's
//! manager (`systemd --test`) makes of the same tree, plus explicit
//! expectations so that a broken oracle harness cannot make them pass.

mod load_support;

use std::path::{Path, PathBuf};

use load_support::*;
use unit::load::{EntryKind, LoadOptions, LoadState, UnitIndex};
use unit::paths::{DirKind, LookupPaths};
use unit::{Severity, UnitName};

const E: &str = "etc/systemd/system";
const R: &str = "run/systemd/system";
const U: &str = "usr/lib/systemd/system";

fn svc(desc: &str) -> String {
    format!("[Unit]\nDescription={desc}\n[Service]\nExecStart=/bin/true\n")
}

fn n(s: &str) -> UnitName {
    UnitName::parse(s).unwrap()
}

fn p(s: &str) -> Option<std::sync::Arc<std::path::Path>> {
    Some(std::sync::Arc::from(PathBuf::from(s)))
}

fn descriptions(src: &unit::load::LoadedSource) -> Vec<String> {
    src.fragment_file
        .iter()
        .chain(src.dropins.iter())
        .flat_map(|f| f.entries("Unit").filter(|e| e.key == "Description").map(|e| e.value.clone()))
        .collect()
}

#[test]
fn template_and_instance_precedence() {
    let t = Tree::new("tmpl");
    t.file(&format!("{U}/foo@.service"), &svc("template"))
        .file(&format!("{E}/foo@bar.service"), &svc("instance"))
        .file(&format!("{E}/g@.service"), &svc("template g"))
        .file(&format!("{U}/g@bar.service"), &svc("instance g"));
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) =
        t.oracle(&["foo@bar.service", "foo@baz.service", "g@bar.service", "g@x.service"]);
    let a = assert_same(&idx, &copy, &dump, "foo@bar.service", false);
    assert_eq!(a.fragment, p("/etc/systemd/system/foo@bar.service"));
    assert_eq!(descriptions(&a), ["instance"]);
    let b = assert_same(&idx, &copy, &dump, "foo@baz.service", false);
    assert_eq!(b.fragment, p("/usr/lib/systemd/system/foo@.service"));
    assert_eq!(b.name.as_str(), "foo@baz.service");
    // An instance file wins over the template even from a lower directory.
    let c = assert_same(&idx, &copy, &dump, "g@bar.service", false);
    assert_eq!(c.fragment, p("/usr/lib/systemd/system/g@bar.service"));
    assert_same(&idx, &copy, &dump, "g@x.service", false);
    // The template itself (what `systemctl cat foo@.service` shows).
    let tm = idx.load(&n("foo@.service"));
    assert_eq!(tm.name.as_str(), "foo@.service");
    assert_eq!(tm.fragment, p("/usr/lib/systemd/system/foo@.service"));
    assert_eq!(tm.load_state, LoadState::Loaded);
}

#[test]
fn aliases_by_symlink() {
    let t = Tree::new("alias");
    t.file(&format!("{U}/ssh.service"), &svc("ssh"))
        .link(&format!("{E}/sshd.service"), "/usr/lib/systemd/system/ssh.service")
        .link(&format!("{R}/secsh.service"), "../../../usr/lib/systemd/system/ssh.service")
        .file(&format!("{U}/foo@.service"), &svc("foo"))
        // Relative to its own directory, where no such file is: still an
        // alias by name, resolved through the whole search path.
        .link(&format!("{E}/ali@.service"), "foo@.service")
        .link(&format!("{E}/foo@one.service"), "foo@.service")
        // Rejected: mounts cannot alias, types must match.
        .file(&format!("{U}/m-b.mount"), "[Mount]\nWhat=/a\nWhere=/m/b\n")
        .link(&format!("{E}/m-a.mount"), "m-b.mount")
        .link(&format!("{E}/t.socket"), "/usr/lib/systemd/system/ssh.service");
    let idx = UnitIndex::build(&t.lookup());

    let (copy, dump) =
        t.oracle(&["sshd.service", "ali@x.service", "foo@one.service", "m-a.mount", "t.socket"]);
    let s = assert_same(&idx, &copy, &dump, "sshd.service", false);
    assert_eq!(s.name.as_str(), "ssh.service");
    let names: Vec<&str> = s.names.iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["ssh.service", "secsh.service", "sshd.service"]);
    assert_eq!(s.fragment, p("/usr/lib/systemd/system/ssh.service"));
    let a = assert_same(&idx, &copy, &dump, "ali@x.service", false);
    assert_eq!(a.name.as_str(), "foo@x.service");
    let o = assert_same(&idx, &copy, &dump, "foo@one.service", false);
    assert_eq!(o.name.as_str(), "foo@one.service");
    assert_eq!(o.fragment, p("/usr/lib/systemd/system/foo@.service"));
    let m = assert_same(&idx, &copy, &dump, "m-a.mount", false);
    assert_eq!(m.load_state, LoadState::NotFound);
    assert!(m.diagnostics.iter().any(|d| d.message.contains("not allowed for units of this type")));
    let ts = assert_same(&idx, &copy, &dump, "t.socket", false);
    assert_eq!(ts.load_state, LoadState::NotFound);

    // The name maps agree with systemd-analyze unit-files.
    let maps = analyze_unit_files(&oracle_dirs(&t.lookup(), &copy));
    for (k, v) in &maps.aliases {
        let got: std::collections::BTreeSet<String> =
            idx.aliases_of(k).iter().map(|s| s.to_string()).collect();
        assert_eq!(&got, v, "aliases of {k}");
    }
    assert_eq!(idx.len(), maps.ids.len());
    // An instance symlink to its template is an alias of that instance only.
    let one: Vec<&str> = idx.aliases_of("foo@one.service").iter().map(|s| s.as_ref()).collect();
    assert_eq!(one, ["foo@one.service"]);
}

#[test]
fn masks_by_dev_null_and_empty_file() {
    let t = Tree::new("mask");
    t.link(&format!("{E}/nulled.service"), "/dev/null")
        .file(&format!("{U}/empty.service"), "")
        .file(&format!("{U}/shadow.service"), &svc("shadowed"))
        .link(&format!("{E}/shadow.service"), "/dev/null")
        .link(&format!("{U}/masked.service"), "/dev/null")
        .link(&format!("{E}/al.service"), "masked.service")
        .file(&format!("{U}/service.d/10.conf"), "[Unit]\nDocumentation=man:x(1)\n");
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) =
        t.oracle(&["nulled.service", "empty.service", "shadow.service", "al.service"]);
    for name in ["nulled.service", "empty.service", "shadow.service"] {
        let s = assert_same(&idx, &copy, &dump, name, false);
        assert_eq!(s.load_state, LoadState::Masked, "{name}");
        assert!(s.fragment_file.is_none());
        // Drop-ins are still collected for masked units, as systemd does.
        assert_eq!(s.dropins.len(), 1);
    }
    assert_eq!(idx.load(&n("shadow.service")).fragment, p("/etc/systemd/system/shadow.service"));
    let al = assert_same(&idx, &copy, &dump, "al.service", false);
    assert_eq!((al.name.as_str(), al.load_state), ("masked.service", LoadState::Masked));

    let list = idx.list();
    let e = list.iter().find(|e| e.name == "nulled.service").unwrap();
    assert_eq!((e.kind, e.masked, e.dir_kind), (EntryKind::Linked, true, DirKind::Config));
    let e = list.iter().find(|e| e.name == "empty.service").unwrap();
    assert_eq!((e.kind, e.masked, e.dir_kind), (EntryKind::File, true, DirKind::Vendor));
    let e = list.iter().find(|e| e.name == "al.service").unwrap();
    assert_eq!((e.kind, e.masked), (EntryKind::Alias("masked.service"), true));
}

#[test]
fn dropins_override_by_file_name_across_directories() {
    let t = Tree::new("dropin");
    t.file(&format!("{U}/x.service"), &svc("unit"))
        .file(&format!("{E}/x.service.d/10.conf"), "[Unit]\nDescription=etc 10\n")
        .file(&format!("{U}/x.service.d/10.conf"), "[Unit]\nDescription=usr 10\n")
        .file(&format!("{U}/x.service.d/20.conf"), "[Unit]\nDescription=usr 20\n")
        .file(&format!("{R}/x.service.d/05.conf"), "[Unit]\nDescription=run 05\n")
        .file(&format!("{E}/x.service.d/.hidden.conf"), "[Unit]\nDescription=hidden\n")
        .file(&format!("{E}/x.service.d/notes.txt"), "not a drop-in\n")
        .link(&format!("{E}/x.service.d/30.conf"), "/dev/null")
        .file(&format!("{U}/x.service.d/30.conf"), "[Unit]\nDescription=masked away\n")
        .file(&format!("{E}/x.service.d/40.conf"), "")
        .file(&format!("{U}/x.service.d/Z.conf"), "[Unit]\nDescription=usr Z\n")
        // Drop-ins of the primary name are searched before those of an
        // alias, whatever the directory.
        .file(&format!("{U}/ssh.service"), &svc("ssh"))
        .link(&format!("{E}/sshd.service"), "ssh.service")
        .file(&format!("{E}/sshd.service.d/10.conf"), "[Unit]\nDescription=alias dir\n")
        .file(&format!("{U}/ssh.service.d/10.conf"), "[Unit]\nDescription=primary dir\n")
        .file(&format!("{E}/sshd.service.d/20.conf"), "[Unit]\nDescription=alias only\n");
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) = t.oracle(&["x.service", "sshd.service"]);
    let x = assert_same(&idx, &copy, &dump, "x.service", false);
    assert_eq!(
        paths(&x.dropin_paths),
        [
            "/run/systemd/system/x.service.d/05.conf",
            "/etc/systemd/system/x.service.d/10.conf",
            "/usr/lib/systemd/system/x.service.d/20.conf",
            "/etc/systemd/system/x.service.d/30.conf",
            "/etc/systemd/system/x.service.d/40.conf",
            "/usr/lib/systemd/system/x.service.d/Z.conf",
        ]
    );
    assert_eq!(descriptions(&x), ["unit", "run 05", "etc 10", "usr 20", "usr Z"]);
    let s = assert_same(&idx, &copy, &dump, "sshd.service", false);
    assert_eq!(descriptions(&s), ["ssh", "primary dir", "alias only"]);
}

#[test]
fn dash_prefix_and_type_wide_directories() {
    let t = Tree::new("dash");
    let conf = |d: &str| format!("[Unit]\nDescription={d}\n");
    t.file(&format!("{U}/foo-bar-baz.service"), &svc("fbb"))
        .file(&format!("{E}/foo-.service.d/10.conf"), &conf("E foo-"))
        .file(&format!("{U}/foo-bar-.service.d/10.conf"), &conf("U foo-bar-"))
        .file(&format!("{U}/foo-bar-baz.service.d/20.conf"), &conf("U fbb"))
        .file(&format!("{U}/foo-.service.d/20.conf"), &conf("U foo-"))
        .file(&format!("{E}/service.d/20.conf"), &conf("E service"))
        .file(&format!("{E}/service.d/50.conf"), &conf("E service 50"))
        .file(&format!("{U}/service.d/50.conf"), &conf("U service 50"))
        .file(&format!("{U}/service.d/60.conf"), &conf("U service 60"))
        .file(&format!("{U}/target.d/60.conf"), &conf("U target 60"))
        .file(&format!("{U}/da-b@.service"), &svc("da-b"));
    for d in ["da-b@x", "da-b@", "da-", "da-@x", "da-@"] {
        t.file(&format!("{E}/{d}.service.d/{d}.conf"), &conf(d))
            .file(&format!("{E}/{d}.service.d/common.conf"), &conf(&format!("common {d}")));
    }
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) = t.oracle(&["foo-bar-baz.service", "da-b@x.service"]);
    let f = assert_same(&idx, &copy, &dump, "foo-bar-baz.service", false);
    assert_eq!(
        paths(&f.dropin_paths),
        [
            "/etc/systemd/system/foo-.service.d/10.conf",
            "/usr/lib/systemd/system/foo-bar-baz.service.d/20.conf",
            "/etc/systemd/system/service.d/50.conf",
            "/usr/lib/systemd/system/service.d/60.conf",
        ]
    );
    let d = assert_same(&idx, &copy, &dump, "da-b@x.service", false);
    let names: Vec<_> =
        d.dropin_paths.iter().map(|p| p.file_name().unwrap().to_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "20.conf",
            "50.conf",
            "60.conf",
            "common.conf",
            "da-.conf",
            "da-@.conf",
            "da-@x.conf",
            "da-b@.conf",
            "da-b@x.conf"
        ]
    );
    assert_eq!(d.dropin_paths[3], Path::new("/etc/systemd/system/da-b@x.service.d/common.conf"));

    // The directories searched, in order: 13 search directories × 3 names,
    // then the type-wide one in each.
    let dirs = idx.dropin_search_dirs(&n("foo-bar-baz.service"));
    assert_eq!(dirs.len(), 13 * 4);
    assert_eq!(dirs[0], Path::new("/etc/systemd/system.control/foo-bar-baz.service.d"));
    assert_eq!(dirs[1], Path::new("/etc/systemd/system.control/foo-bar-.service.d"));
    assert_eq!(dirs[2], Path::new("/etc/systemd/system.control/foo-.service.d"));
    assert_eq!(dirs[3], Path::new("/run/systemd/system.control/foo-bar-baz.service.d"));
    assert_eq!(dirs[39], Path::new("/etc/systemd/system.control/service.d"));
    assert_eq!(dirs[51], Path::new("/run/systemd/generator.late/service.d"));
}

#[test]
fn wants_and_requires_directories_of_template_and_instance() {
    let t = Tree::new("wants");
    let tgt = |d: &str| format!("[Unit]\nDescription={d}\nDefaultDependencies=no\n");
    t.file(&format!("{U}/w@.target"), &tgt("w")).file(&format!("{U}/p.target"), &tgt("p"));
    for d in ["dep1", "dep2", "dep4", "dep5", "dep6"] {
        t.file(&format!("{U}/{d}.service"), &svc(d));
    }
    t.file(&format!("{U}/dep3@.service"), &svc("dep3"))
        .link(
            &format!("{E}/w@.target.wants/dep1.service"),
            "../../../../usr/lib/systemd/system/dep1.service",
        )
        .link(&format!("{E}/w@i.target.wants/dep2.service"), "/usr/lib/systemd/system/dep2.service")
        .link(
            &format!("{E}/w@.target.wants/dep3@.service"),
            "/usr/lib/systemd/system/dep3@.service",
        )
        .link(&format!("{U}/w@i.target.requires/dep4.service"), "../dep4.service")
        .link(&format!("{E}/w@i.target.wants/dep1.service"), "/dev/null")
        .file(&format!("{E}/w@i.target.wants/notlink.service"), "x\n")
        .link(&format!("{E}/w@i.target.wants/not-a-unit"), "/usr/lib/systemd/system/dep1.service")
        // systemd 252 does not read .upholds/ directories.
        .link(
            &format!("{E}/w@.target.upholds/dep5.service"),
            "/usr/lib/systemd/system/dep5.service",
        )
        .link(&format!("{E}/target.wants/dep6.service"), "/usr/lib/systemd/system/dep6.service")
        .link(
            &format!("{E}/p.target.wants/dep3@.service"),
            "/usr/lib/systemd/system/dep3@.service",
        );
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) = t.oracle(&["w@i.target", "w@j.target", "p.target"]);
    let dep_names = |v: &[unit::load::DirDependency]| -> Vec<String> {
        v.iter().map(|d| d.name.to_string()).collect()
    };
    let i = assert_same(&idx, &copy, &dump, "w@i.target", true);
    assert_eq!(dep_names(&i.wants), ["dep2.service", "dep3@i.service", "dep6.service"]);
    assert_eq!(dep_names(&i.requires), ["dep4.service"]);
    assert_eq!(i.wants[0].link, Path::new("/etc/systemd/system/w@i.target.wants/dep2.service"));
    let warned: Vec<&str> = i.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(warned.iter().any(|m| m.contains("notlink.service is not a symlink")), "{warned:?}");
    assert!(warned.iter().any(|m| m.contains("not-a-unit is not a valid unit name")), "{warned:?}");
    let j = assert_same(&idx, &copy, &dump, "w@j.target", true);
    assert_eq!(dep_names(&j.wants), ["dep1.service", "dep3@j.service", "dep6.service"]);
    let pt = assert_same(&idx, &copy, &dump, "p.target", true);
    assert_eq!(dep_names(&pt.wants), ["dep3@p.service", "dep6.service"]);
}

#[test]
fn linked_unit_files_outside_the_search_path() {
    let t = Tree::new("linked");
    t.file("opt/real/real.service", &svc("outside"))
        .link(&format!("{E}/lnk.service"), "/opt/real/real.service")
        .link(&format!("{E}/other.service"), "../../../opt/real/real.service")
        .link(&format!("{E}/gone.service"), "/opt/nothing.service");
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) = t.oracle(&["lnk.service", "other.service", "gone.service"]);
    let l = assert_same(&idx, &copy, &dump, "lnk.service", false);
    assert_eq!(l.fragment, p("/etc/systemd/system/lnk.service"));
    assert_eq!(descriptions(&l), ["outside"]);
    let o = assert_same(&idx, &copy, &dump, "other.service", false);
    assert_eq!(o.name.as_str(), "other.service");
    let g = assert_same(&idx, &copy, &dump, "gone.service", false);
    assert_eq!(g.load_state, LoadState::NotFound);
    assert!(g
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error && d.message.contains("Failed to open")));
    let e = idx.entry("lnk.service").unwrap();
    assert_eq!((e.kind, e.masked), (EntryKind::Linked, false));
}

#[test]
fn symlink_chains_and_loops() {
    let t = Tree::new("chain");
    t.link(&format!("{E}/c1.service"), "c2.service")
        .link(&format!("{E}/c2.service"), "/run/systemd/system/c3.service")
        .link(&format!("{R}/c3.service"), "../../../usr/lib/systemd/system/c4.service")
        .file(&format!("{U}/c4.service"), &svc("end of chain"))
        .link(&format!("{E}/l1.service"), "l2.service")
        .link(&format!("{E}/l2.service"), "l1.service");
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) = t.oracle(&["c1.service", "l1.service"]);
    let c = assert_same(&idx, &copy, &dump, "c1.service", false);
    let names: Vec<&str> = c.names.iter().map(|n| n.as_str()).collect();
    assert_eq!(names, ["c4.service", "c1.service", "c2.service", "c3.service"]);
    assert_eq!(c.fragment, p("/usr/lib/systemd/system/c4.service"));
    let l = assert_same(&idx, &copy, &dump, "l1.service", false);
    assert_eq!(l.load_state, LoadState::NotFound);
    assert!(l.diagnostics.iter().any(|d| d.message.contains("too many levels")));
}

#[test]
fn fatal_syntax_in_fragment_and_dropin() {
    let t = Tree::new("syntax");
    t.file(
        &format!("{U}/badhdr.service"),
        "[Unit]\nDescription=bad\n[Service\nExecStart=/bin/true\n",
    )
    .bytes(&format!("{U}/latin1value.service"), b"[Unit]\nDescription=caf\xe9\n")
    .bytes(
        &format!("{U}/latin1comment.service"),
        b"[Unit]\n# caf\xe9\nDescription=ok\n[Service]\nExecStart=/bin/true\n",
    )
    .file(&format!("{U}/dbad.service"), &svc("orig"))
    .file(
        &format!("{U}/dbad.service.d/a.conf"),
        "[Unit]\nDescription=before\n[Broken\n[Unit]\nDescription=after\n",
    )
    .file(&format!("{U}/dbad.service.d/b.conf"), "[Unit]\nDescription=next file\n")
    .file(&format!("{U}/ww.service"), &svc("world-writable"))
    .chmod(&format!("{U}/ww.service"), 0o777)
    .dir(&format!("{U}/dirunit.service"))
    .dir("opt/somedir")
    .link(&format!("{E}/dirlink.service"), "/opt/somedir")
    .file(&format!("{U}/ddir.service"), &svc("dir drop-in"))
    .dir(&format!("{U}/ddir.service.d/odd.conf"));
    let idx = UnitIndex::build(&t.lookup());
    let (copy, dump) = t.oracle(&[
        "badhdr.service",
        "latin1value.service",
        "latin1comment.service",
        "dbad.service",
        "ww.service",
        "dirunit.service",
        "dirlink.service",
        "ddir.service",
    ]);
    for (name, st) in [
        ("badhdr.service", LoadState::Error),
        ("latin1value.service", LoadState::Error),
        ("latin1comment.service", LoadState::Loaded),
        ("dbad.service", LoadState::Loaded),
        ("ww.service", LoadState::Loaded),
        // A directory is no unit file; a symlink to one is, but reading
        // it fails after it was taken as the fragment.
        ("dirunit.service", LoadState::NotFound),
        ("dirlink.service", LoadState::Error),
        ("ddir.service", LoadState::Loaded),
    ] {
        let s = assert_same(&idx, &copy, &dump, name, false);
        assert_eq!(s.load_state, st, "{name}");
    }
    let d = idx.load(&n("dbad.service"));
    assert_eq!(descriptions(&d), ["orig", "before", "next file"]);
    assert!(!d.has_errors());
    let w = idx.load(&n("ww.service"));
    let msgs: Vec<&str> = w.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert!(msgs.iter().any(|m| m.contains("is marked executable")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.contains("is marked world-writable")), "{msgs:?}");
    let l = idx.load(&n("latin1value.service"));
    let e = l.all_diagnostics().find(|d| d.severity == Severity::Error).unwrap();
    assert_eq!(e.span.line, 2);
    assert!(e.message.contains("not UTF-8 clean"));
}

#[test]
fn ownership_check_refuses_writable_or_foreign_files() {
    let t = Tree::new("owner");
    t.file(&format!("{U}/good.service"), &svc("good"))
        .chmod(&format!("{U}/good.service"), 0o644)
        .file(&format!("{U}/gw.service"), &svc("group writable"))
        .chmod(&format!("{U}/gw.service"), 0o664)
        .file(&format!("{U}/dw.service"), &svc("dropin writable"))
        .chmod(&format!("{U}/dw.service"), 0o644)
        .file(&format!("{E}/dw.service.d/x.conf"), "[Unit]\nDescription=evil\n")
        .chmod(&format!("{E}/dw.service.d/x.conf"), 0o646);
    let lookup = t.lookup();
    // Off by default for a --root tree, on for the real system root.
    assert!(!LoadOptions::for_lookup(&lookup).check_ownership);
    assert!(LoadOptions::for_lookup(&LookupPaths::system("/")).check_ownership);
    let user = LookupPaths::user(
        "/",
        &unit::paths::UserEnv { home: "/root".into(), ..Default::default() },
    );
    assert!(!LoadOptions::for_lookup(&user).check_ownership);

    let lax = UnitIndex::build(&lookup);
    assert_eq!(lax.load(&n("gw.service")).load_state, LoadState::Loaded);
    assert_eq!(lax.load(&n("dw.service")).load_state, LoadState::Loaded);

    let strict = UnitIndex::build_with(&lookup, LoadOptions { check_ownership: true });
    let gw = strict.load(&n("gw.service"));
    assert_eq!(gw.load_state, LoadState::Error);
    let err = gw.diagnostics.iter().find(|d| d.severity == Severity::Error).unwrap();
    assert!(err.message.contains("/usr/lib/systemd/system/gw.service"), "{err}");
    assert!(err.message.contains("0664"), "{err}");
    let dw = strict.load(&n("dw.service"));
    assert_eq!(dw.load_state, LoadState::Error);
    assert!(dw
        .diagnostics
        .iter()
        .any(|d| d.message.contains("dw.service.d/x.conf") && d.message.contains("0646")));

    // Ownership: a file not owned by root is refused. As root, hand the
    // file to nobody; otherwise every file of the tree is already foreign.
    let good = strict.load(&n("good.service"));
    if euid(t.tmp.path()) == 0 {
        assert_eq!(good.load_state, LoadState::Loaded);
        let st = std::process::Command::new("chown")
            .arg("65534")
            .arg(t.root.join(U).join("good.service"))
            .status()
            .unwrap();
        assert!(st.success());
        let again = strict.load(&n("good.service"));
        assert_eq!(again.load_state, LoadState::Error);
        assert!(again.diagnostics.iter().any(|d| d.message.contains("uid 65534")));
    } else {
        assert_eq!(good.load_state, LoadState::Error);
    }
}

#[test]
fn index_ignores_invalid_names_and_lists_everything() {
    let t = Tree::new("list");
    t.file(&format!("{U}/a.service"), &svc("a"))
        .file(&format!("{U}/not a unit.service"), &svc("bad"))
        .file(&format!("{U}/README"), "hello\n")
        .dir(&format!("{U}/adir.service"))
        .file(&format!("{U}/a.service.bak"), &svc("backup"))
        .file(&format!("{E}/a.service"), &svc("override"))
        .link(&format!("{E}/b.service"), "a.service")
        .file(&format!("{R}/r.socket"), "[Socket]\nListenStream=1\n");
    let idx = UnitIndex::build(&t.lookup());
    let list = idx.list();
    let names: Vec<&str> = list.iter().map(|e| e.name).collect();
    assert_eq!(names, ["a.service", "b.service", "r.socket"]);
    assert_eq!(list[0].path, Path::new("/etc/systemd/system/a.service"));
    assert_eq!(list[0].dir_kind, DirKind::Config);
    assert_eq!(list[1].kind, EntryKind::Alias("a.service"));
    assert_eq!(list[1].fragment, Some(Path::new("/etc/systemd/system/a.service")));
    assert_eq!(list[2].dir_kind, DirKind::Runtime);
    let (copy, _) = t.oracle(&["a.service"]);
    let maps = analyze_unit_files(&oracle_dirs(&t.lookup(), &copy));
    let mut theirs: Vec<&str> = maps.ids.keys().map(|s| s.as_str()).collect();
    theirs.sort();
    assert_eq!(names, theirs);
}

/// The parse cache behind `load` (one parse of a template for all its
/// `Accept=yes` instances) never hides an edit: systemd re-reads the file
/// on every load, and so does the index whenever the file's stat changed.
#[test]
fn cached_template_parse_sees_every_edit() {
    let t = Tree::new("parsecache");
    t.file(&format!("{E}/echo@.service"), &svc("one"));
    t.file(&format!("{E}/echo@.service.d/a.conf"), "[Unit]\nDescription=dropin-one\n");
    // Files changed within the last second are never cached (their stamp
    // could still repeat); age these two past that so the cache is used.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let idx = UnitIndex::build(&t.lookup());
    for i in ["1", "2", "3"] {
        let src = idx.load(&n(&format!("echo@{i}.service")));
        assert_eq!(src.name.as_str(), format!("echo@{i}.service"));
        assert_eq!(descriptions(&src), ["one", "dropin-one"]);
    }
    // Same size, mtime set back to the old one: the ctime still moves.
    let before = std::fs::metadata(t.root.join(format!("{E}/echo@.service"))).unwrap().modified().unwrap();
    t.file(&format!("{E}/echo@.service"), &svc("two"));
    let f = std::fs::File::options().write(true).open(t.root.join(format!("{E}/echo@.service"))).unwrap();
    f.set_modified(before).unwrap();
    assert_eq!(descriptions(&idx.load(&n("echo@4.service"))), ["two", "dropin-one"]);
    // A drop-in replaced by rename.
    t.file(&format!("{E}/echo@.service.d/.new"), "[Unit]\nDescription=dropin-two\n");
    std::fs::rename(t.root.join(format!("{E}/echo@.service.d/.new")), t.root.join(format!("{E}/echo@.service.d/a.conf")))
        .unwrap();
    assert_eq!(descriptions(&idx.load(&n("echo@5.service"))), ["two", "dropin-two"]);
    // Emptied (a mask) and then filled again.
    t.file(&format!("{E}/echo@.service"), "");
    assert_eq!(idx.load(&n("echo@6.service")).load_state, LoadState::Masked);
    t.file(&format!("{E}/echo@.service"), &svc("three"));
    assert_eq!(descriptions(&idx.load(&n("echo@7.service"))), ["three", "dropin-two"]);
}
