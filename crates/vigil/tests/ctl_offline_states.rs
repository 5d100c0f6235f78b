//! More side-by-side checks against the real `systemctl --root=DIR`
//! (systemd 252), for what `ctl_offline.rs` leaves out: every
//! `is-enabled` state a root can produce (static, indirect, alias,
//! generated, linked, masked and their `-runtime` forms, bad), the
//! messages of enable/disable/mask/link on those units, and the option
//! errors of the runtime verbs, which systemctl reports before it
//! refuses the verb for `--root=` (getopt's "unrecognized option
//! '--kill-value=1'": systemd 252 has no `--kill-value=`, added in 254).
//!
//! Not compared here, because systemd 252's systemctl refuses them with
//! `--root=` ("Verb 'X' cannot be used with --root= or --image=."), so
//! there is no offline oracle: `list-dependencies`, `cat`, `show`,
//! `status`, `is-active`, `is-failed`, `kill`, `start`… Those are pinned
//! to systemctl's text in `ctl_verbs.rs`, `ctl_runtime.rs` and
//! `manager_jobs.rs`.

mod ctl_support;

use ctl_support::*;

const SVC: &str = "[Service]\nExecStart=/bin/true\n";

#[test]
fn every_is_enabled_state_like_systemctl() {
    sequence(
        "states",
        |roots| {
            // static: no [Install].
            write_in(roots, "etc/systemd/system/st.service", SVC);
            // indirect: only Also=.
            write_in(roots, "etc/systemd/system/ind.service", &format!("{SVC}[Install]\nAlso=st.service\n"));
            // disabled, and an alias of it.
            write_in(
                roots,
                "etc/systemd/system/dis.service",
                &format!("{SVC}[Install]\nWantedBy=multi-user.target\nAlias=disalias.service\n"),
            );
            // enabled-runtime.
            write_in(roots, "usr/lib/systemd/system/rt.service", &format!("{SVC}[Install]\nWantedBy=multi-user.target\n"));
            symlink_in(roots, "run/systemd/system/multi-user.target.wants/rt.service", "/usr/lib/systemd/system/rt.service");
            // linked and linked-runtime.
            write_in(roots, "opt/lnk.service", &format!("{SVC}[Install]\nWantedBy=multi-user.target\n"));
            symlink_in(roots, "etc/systemd/system/lnk.service", "/opt/lnk.service");
            write_in(roots, "opt/lnkrt.service", SVC);
            symlink_in(roots, "run/systemd/system/lnkrt.service", "/opt/lnkrt.service");
            // masked-runtime.
            write_in(roots, "usr/lib/systemd/system/mrt.service", SVC);
            symlink_in(roots, "run/systemd/system/mrt.service", "/dev/null");
            // generated, transient.
            write_in(roots, "run/systemd/generator.late/late.service", SVC);
            write_in(roots, "run/systemd/transient/tr.service", SVC);
            // A template with DefaultInstance=.
            write_in(
                roots,
                "etc/systemd/system/tpl@.service",
                &format!("{SVC}[Install]\nWantedBy=multi-user.target\nDefaultInstance=one\n"),
            );
            // An empty file (masked-like), and a unit with a bad [Install].
            write_in(roots, "etc/systemd/system/empty.service", "");
            write_in(roots, "etc/systemd/system/bad.service", &format!("{SVC}[Install]\nWantedBy=bad name\n"));
        },
        &[
            &["is-enabled", "st", "ind", "dis", "disalias", "rt", "lnk", "lnkrt", "mrt", "late", "tr"],
            &["is-enabled", "st"],
            &["is-enabled", "ind"],
            &["is-enabled", "dis"],
            &["is-enabled", "disalias.service"],
            &["is-enabled", "rt"],
            &["is-enabled", "lnk"],
            &["is-enabled", "lnkrt"],
            &["is-enabled", "mrt"],
            &["is-enabled", "late"],
            &["is-enabled", "tr"],
            &["is-enabled", "tpl@.service"],
            &["is-enabled", "tpl@one.service"],
            &["is-enabled", "tpl@two.service"],
            &["is-enabled", "empty"],
            &["is-enabled", "bad"],
            &["list-unit-files", "st*", "ind*", "dis*", "rt*", "lnk*", "mrt*", "late*", "tr.*", "tpl*", "empty*", "bad*"],
            &["list-unit-files", "--state=static,indirect,linked,linked-runtime,masked-runtime", "--no-legend"],
            &["list-unit-files", "--state=enabled-runtime,generated,transient"],
            &["list-unit-files", "--state=disabled", "dis*"],
            // What the verbs say on these units.
            &["enable", "st"],
            &["enable", "ind"],
            &["enable", "dis"],
            &["is-enabled", "dis", "disalias"],
            &["enable", "disalias"],
            &["disable", "disalias.service"],
            &["enable", "tpl@.service"],
            &["is-enabled", "tpl@one.service", "tpl@.service"],
            &["disable", "tpl@.service"],
            &["enable", "tpl@three.service"],
            &["enable", "rt"],
            &["is-enabled", "rt"],
            &["disable", "--runtime", "rt"],
            &["is-enabled", "rt"],
            &["enable", "late"],
            &["enable", "tr"],
            &["enable", "empty"],
            &["enable", "bad"],
            &["mask", "mrt"],
            &["is-enabled", "mrt"],
            &["unmask", "--runtime", "mrt"],
            &["is-enabled", "mrt"],
            &["unmask", "mrt"],
            &["mask", "st", "st"],
            &["mask", "dis"],
            &["disable", "dis"],
            &["unmask", "nonexistent"],
            &["link", "/opt/lnk.service"],
            &["link", "/opt/lnkrt.service"],
            &["disable", "lnk"],
            &["is-enabled", "lnk"],
            &["reenable", "nonexistent"],
            &["preset", "mrt", "st"],
            &["add-wants", "multi-user.target", "st", "nonexistent"],
            &["add-requires", "st.service", "ind"],
        ],
    );
}

#[test]
fn runtime_verb_option_errors_like_systemctl() {
    let s = Scratch::new("opterr");
    let root = s.path("root");
    std::fs::create_dir_all(root.join("etc/systemd/system")).unwrap();
    let mut d = Diffs::default();
    for args in [
        &["kill", "--kill-value=1", "a"][..],
        &["kill", "--kill-value", "1", "a"],
        &["kill", "a", "--kill-whom"],
        &["kill", "a", "--signal"],
        &["kill", "-s"],
        &["start", "a", "--job-mode"],
        &["--bogus=3", "start", "a"],
        &["-Z", "status"],
        &["is-active", "--state"],
    ] {
        d.check(&root, &root, args);
    }
    d.assert_none();
}
