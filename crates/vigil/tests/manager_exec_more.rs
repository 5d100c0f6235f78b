//! More of `systemd.exec(5)` reaching the service, driven through the
//! real `vigil daemon --root=DIR`: `StandardInput=data` with
//! `StandardInputText=`/`StandardInputData=`, `$SYSTEMD_EXEC_PID`, and the
//! exit statuses of a `RuntimeDirectory=`… that cannot be created
//! (233/RUNTIME_DIRECTORY, 238/STATE_DIRECTORY, …, as
//! `systemd-analyze exit-status` lists them).

#[path = "socket_support/mod.rs"]
mod support;

use support::*;

fn unit(name: &'static str, text: &str) -> (&'static str, String) {
    (name, text.to_string())
}

#[test]
fn stdin_data_text_and_base64_in_file_order() {
    // "aGk=" is "hi", "AAE=" the bytes 0 1. The empty StandardInputText=
    // clears what came before it; StandardInput= is not set, so it
    // defaults to data.
    let s = Sock::with_manager(
        "stdindata",
        &[unit(
            "d.service",
            "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
             StandardInputText=dropped\nStandardInputText=\n\
             StandardInputText=  first\\tline  \nStandardInputData=aGk=\nStandardInputData= AA E=\n\
             StandardInputText=last\n\
             ExecStart=/bin/sh -c 'cat > @ROOT@/in.out'\n",
        )],
        &[],
    );
    s.start("d.service");
    let got = std::fs::read(s.path("in.out")).unwrap();
    assert_eq!(got, b"first\tline\nhi\x00\x01last\n", "{:?}", String::from_utf8_lossy(&got));
}

#[test]
fn stdin_data_explicit_and_bad_base64_fails_the_start() {
    let s = Sock::with_manager(
        "stdinbad",
        &[
            unit(
                "ok.service",
                "[Service]\nType=oneshot\nRemainAfterExit=yes\nStandardInput=data\nStandardInputText=x\n\
                 StandardOutput=file:@ROOT@/ok.out\nExecStart=/bin/cat\n",
            ),
            unit("bad.service", "[Service]\nType=oneshot\nStandardInputData=!!notbase64\nExecStart=/bin/cat\n"),
        ],
        &[],
    );
    s.start("ok.service");
    assert_eq!(std::fs::read_to_string(s.path("ok.out")).unwrap(), "x\n");
    assert!(!s.vigil(&["start", "bad.service"]).status.success());
}

#[test]
fn systemd_exec_pid_is_the_process_itself() {
    // systemd.exec(5), "$SYSTEMD_EXEC_PID": the PID of the forked process;
    // after exec, sh's own $$ (written $$$$: systemd turns $$ into $).
    let s = Sock::with_manager(
        "execpid",
        &[unit(
            "p.service",
            "[Service]\nType=oneshot\nRemainAfterExit=yes\n\
             ExecStart=/bin/sh -c 'echo \"$SYSTEMD_EXEC_PID $$$$\" > @ROOT@/pid.out'\n",
        )],
        &[],
    );
    s.start("p.service");
    let out = std::fs::read_to_string(s.path("pid.out")).unwrap();
    let v: Vec<&str> = out.split_whitespace().collect();
    assert_eq!(v.len(), 2, "{out:?}");
    assert_eq!(v[0], v[1], "SYSTEMD_EXEC_PID must be the command's own pid: {out:?}");
    assert_eq!(s.prop("p.service", "ExecMainPID"), v[0]);
}

#[test]
fn exec_directory_failures_exit_with_systemds_statuses() {
    // A regular file where the directory should be: mkdir fails, and the
    // command exits with the kind's status instead of running.
    let kinds = [
        ("RuntimeDirectory", "run", "233"),
        ("StateDirectory", "var/lib", "238"),
        ("CacheDirectory", "var/cache", "239"),
        ("LogsDirectory", "var/log", "240"),
        ("ConfigurationDirectory", "etc", "241"),
    ];
    let units: Vec<(&'static str, String)> = kinds
        .iter()
        .enumerate()
        .map(|(i, (directive, _, _))| {
            let name: &'static str = Box::leak(format!("d{i}.service").into_boxed_str());
            (name, format!("[Service]\nType=oneshot\n{directive}=blocked{i}\nExecStart=/bin/true\n"))
        })
        .collect();
    let files: Vec<(&str, String)> = kinds
        .iter()
        .enumerate()
        .map(|(i, (_, base, _))| (&*Box::leak(format!("{base}/blocked{i}").into_boxed_str()), "a file\n".to_string()))
        .collect();
    let s = Sock::with_manager("execdirfail", &units, &files);
    for (i, (directive, _, status)) in kinds.iter().enumerate() {
        let u = format!("d{i}.service");
        assert!(!s.vigil(&["start", &u]).status.success(), "{directive}: start must fail");
        s.wait_prop(&u, "Result", "exit-code");
        assert_eq!(s.prop(&u, "ExecMainStatus"), *status, "{directive}");
        assert_eq!(s.prop(&u, "ExecMainCode"), "1", "{directive}: CLD_EXITED");
    }
}

/// The manager's lines about units in `console.log`, in order.
fn said(s: &Sock) -> Vec<String> {
    s.console().lines().map(str::to_string).collect()
}

#[test]
fn oneshot_finishes_and_stop_is_said_only_for_stop_jobs() {
    // systemd 252: a oneshot's start job ends with "Finished X."
    // (service_finished_job), a service that ends on its own says only
    // "Deactivated successfully.", and "Stopped X." closes a stop job.
    let s = Sock::setup(
        "msgwords",
        &[
            unit("o.service", "[Unit]\nDescription=One Shot\n[Service]\nType=oneshot\nExecStart=/bin/true\n"),
            unit("r.service", "[Unit]\nDescription=Kept\n[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n"),
            unit("q.service", "[Unit]\nDescription=Quits\n[Service]\nExecStart=/bin/true\n"),
            unit("l.service", "[Unit]\nDescription=Lives\n[Service]\nExecStart=/bin/sleep 60\n"),
        ],
        &[],
    );
    let mut s = s;
    s.start_manager(&[]);
    s.start("o.service");
    s.start("r.service");
    s.start("q.service");
    s.start("l.service");
    s.wait_prop("q.service", "ActiveState", "inactive");
    assert!(s.vigil(&["stop", "l.service", "r.service"]).status.success());
    let ok = wait_until(std::time::Duration::from_secs(10), || {
        let c = s.console();
        c.contains("Stopped l.service - Lives.") && c.contains("q.service: Deactivated successfully.")
    });
    let lines = said(&s);
    assert!(ok, "{lines:#?}");
    let has = |l: &str| lines.iter().any(|x| x == l);
    for want in ["Starting o.service - One Shot...", "Finished o.service - One Shot.", "Finished r.service - Kept.", "Started q.service - Quits.", "Started l.service - Lives.", "Stopped l.service - Lives.", "Stopped r.service - Kept."] {
        assert!(has(want), "missing {want:?}: {lines:#?}");
    }
    for never in ["Started o.service - One Shot.", "Stopped o.service - One Shot.", "Started r.service - Kept.", "Stopped q.service - Quits."] {
        assert!(!has(never), "{never:?} is not systemd's wording here: {lines:#?}");
    }
    // LogLevel=info (the default): the engine's debug lines are not written.
    assert!(!lines.iter().any(|l| l.contains("(success)")), "debug lines at LogLevel=info: {lines:#?}");
    // A restart of the finished oneshot is a start again: "Finished" once more.
    assert!(s.vigil(&["restart", "o.service"]).status.success());
    let ok = wait_until(std::time::Duration::from_secs(10), || s.console().matches("Finished o.service - One Shot.").count() == 2);
    assert!(ok && !s.console().contains("Stopped o.service - One Shot."), "{}", s.console());
}

#[test]
fn message_ids_and_log_level_debug() {
    // [Manager] LogLevel=debug in system.conf lets the debug lines through;
    // the job messages carry systemd's MESSAGE_IDs (sd-messages.h).
    let s = Sock::setup(
        "msgids",
        &[unit("o.service", "[Unit]\nDescription=One Shot\n[Service]\nType=oneshot\nExecStart=/bin/true\n")],
        &[("etc/systemd/system.conf", "[Manager]\nLogLevel=debug\n".to_string()), ("var/log/journal/.keep", String::new())],
    );
    let mut s = s;
    s.start_manager(&[]);
    s.start("o.service");
    let line = "o.service: Main process exited, code=exited, status=0/SUCCESS (success)";
    let ok = wait_until(std::time::Duration::from_secs(10), || s.console().contains(line));
    assert!(ok, "{}", s.console());
    let verbose = |m: &str| {
        let o = s.vigil(&["logs", "-u", "o.service", "-o", "verbose", "--no-pager", &format!("MESSAGE={m}")]);
        stdout(&o)
    };
    for (m, id) in [
        ("Starting o.service - One Shot...", "7d4958e842da4a758f6c1cdc7b36dcc5"),
        ("Finished o.service - One Shot.", "39f53479d3a045ac8e11786248231fbf"),
        ("o.service: Deactivated successfully.", "7ad2d189f7e94e70a38c781354912448"),
        (line, "98e322203f7a4ed290d09fe03c09fe15"),
    ] {
        let mut v = String::new();
        let ok = wait_until(std::time::Duration::from_secs(10), || {
            v = verbose(m);
            v.lines().any(|l| l.trim() == format!("MESSAGE_ID={id}"))
        });
        assert!(ok, "{m}: no MESSAGE_ID={id} in:\n{v}");
    }
}
