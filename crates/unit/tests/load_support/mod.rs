//! Shared helpers for the `load_*` tests: temporary roots, the corpus, and
//! the systemd 252 oracle.
//!
//! `systemctl cat` refuses `--root=` and needs a running manager, so the
//! oracle is the manager itself: `systemd --test --system` with
//! `$SYSTEMD_UNIT_PATH` pointing into a copy of the root, which prints
//! every loaded unit's id, aliases, load state, fragment and drop-in paths;
//! and `systemd-analyze unit-files`, which prints the name maps. Neither
//! knows about roots, so the copy has its absolute symlinks rewritten to
//! point into the copy (masks to `/dev/null` stay as they are).

#![allow(dead_code)]

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use unit::paths::LookupPaths;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A directory removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("vigil-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&p);
        fs::create_dir_all(&p).unwrap();
        // The oracle runs as nobody and must be able to read the copy.
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Materialise the shared corpus as a root directory at `dest`.
pub fn corpus_root(dest: &Path) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/corpus-root");
    let st = Command::new("bash")
        .arg(&script)
        .arg(dest)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(st.success(), "corpus-root failed");
}

/// The effective uid of this process (the owner of a file it creates).
pub fn euid(scratch: &Path) -> u32 {
    let f = scratch.join(".euid-probe");
    fs::write(&f, "").unwrap();
    let uid = fs::metadata(&f).unwrap().uid();
    fs::remove_file(&f).unwrap();
    uid
}

/// Copy the root `root` to `copy`, rewriting absolute symlink targets
/// (except `/dev/…`) to point into `copy`, and making everything readable
/// for the oracle, which runs as nobody.
pub fn oracle_root(root: &Path, copy: &Path) {
    copy_tree(root, copy, copy);
}

fn copy_tree(src: &Path, dst: &Path, copy_root: &Path) {
    fs::create_dir_all(dst).unwrap();
    fs::set_permissions(dst, fs::Permissions::from_mode(0o755)).unwrap();
    for ent in fs::read_dir(src).unwrap() {
        let ent = ent.unwrap();
        let from = ent.path();
        let to = dst.join(ent.file_name());
        let ft = ent.file_type().unwrap();
        if ft.is_symlink() {
            let t = fs::read_link(&from).unwrap();
            let t = if t.is_absolute() && !t.starts_with("/dev") {
                copy_root.join(t.strip_prefix("/").unwrap())
            } else {
                t
            };
            symlink(&t, &to).unwrap();
        } else if ft.is_dir() {
            copy_tree(&from, &to, copy_root);
        } else {
            fs::copy(&from, &to).unwrap();
            let mode = fs::metadata(&from).unwrap().mode() & 0o7777;
            fs::set_permissions(&to, fs::Permissions::from_mode(mode | 0o444)).unwrap();
        }
    }
}

/// The search directories of `lookup` that exist, as paths in `copy`.
pub fn oracle_dirs(lookup: &LookupPaths, copy: &Path) -> Vec<PathBuf> {
    lookup
        .dirs
        .iter()
        .map(|d| copy.join(d.path.strip_prefix("/").unwrap()))
        .filter(|p| p.exists())
        .collect()
}

/// One unit as `systemd --test` dumps it.
#[derive(Clone, Debug, Default)]
pub struct DumpUnit {
    pub id: String,
    pub aliases: BTreeSet<String>,
    pub load_state: String,
    pub fragment: Option<String>,
    pub dropins: Vec<String>,
    /// (kind, unit, origins) for Wants/Requires/Upholds lines.
    pub deps: Vec<(String, String, String)>,
}

impl DumpUnit {
    pub fn names(&self) -> BTreeSet<String> {
        let mut s = self.aliases.clone();
        s.insert(self.id.clone());
        s
    }
    /// Dependencies of `kind` that come from files (unit file or
    /// directories), sorted.
    pub fn file_deps(&self, kind: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .deps
            .iter()
            .filter(|(k, _, o)| k == kind && o.contains("origin-file"))
            .map(|(_, u, _)| u.clone())
            .collect();
        v.sort();
        v
    }
}

fn run_as_nobody(scratch: &Path, cmd: &str) -> Command {
    if euid(scratch) == 0 {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", cmd]);
        c
    } else {
        Command::new(cmd)
    }
}

/// Run `systemd --test --system` over `dirs` with a target that wants
/// every name in `names`; return the dumped units by id.
pub fn manager_dump(
    scratch: &Path,
    dirs: &[PathBuf],
    names: &[String],
) -> HashMap<String, DumpUnit> {
    manager_dump_scope(scratch, dirs, names, false)
}

/// [`manager_dump`] for the system manager or (`user`) a user manager.
pub fn manager_dump_scope(
    scratch: &Path,
    dirs: &[PathBuf],
    names: &[String],
    user: bool,
) -> HashMap<String, DumpUnit> {
    let extra = scratch.join(format!("oracle-extra-{}", COUNTER.fetch_add(1, Ordering::SeqCst)));
    fs::create_dir_all(&extra).unwrap();
    fs::set_permissions(&extra, fs::Permissions::from_mode(0o755)).unwrap();
    // The test manager insists on these; as the lowest directory they
    // never shadow a unit of the tree.
    for t in ["sysinit.target", "basic.target", "shutdown.target", "default.target"] {
        fs::write(extra.join(t), "[Unit]\nDescription=oracle stand-in\n").unwrap();
    }
    fs::write(
        extra.join("vigil-oracle-all.target"),
        format!("[Unit]\nDescription=all\nDefaultDependencies=no\nWants={}\n", names.join(" ")),
    )
    .unwrap();
    let mut path: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    path.push(extra.display().to_string());
    // A user manager wants a runtime directory of its own.
    let home = scratch.join("oracle-home");
    fs::create_dir_all(&home).unwrap();
    fs::set_permissions(&home, fs::Permissions::from_mode(0o777)).unwrap();
    let out = run_as_nobody(scratch, "/lib/systemd/systemd")
        .args(["--test", if user { "--user" } else { "--system" }, "--no-pager"])
        .arg("--unit=vigil-oracle-all.target")
        .env("SYSTEMD_UNIT_PATH", path.join(":"))
        .env("XDG_RUNTIME_DIR", &home)
        .env("HOME", &home)
        .output()
        .expect("the systemd 252 oracle (/lib/systemd/systemd, setpriv) must be installed");
    let text = String::from_utf8_lossy(&out.stdout);
    let dump = parse_dump(&text);
    assert!(
        dump.contains_key("vigil-oracle-all.target"),
        "oracle did not run: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::remove_dir_all(&extra).unwrap();
    dump
}

fn parse_dump(text: &str) -> HashMap<String, DumpUnit> {
    let mut out = HashMap::new();
    let mut cur: Option<DumpUnit> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("\t-> Unit ") {
            if let Some(u) = cur.take() {
                out.insert(u.id.clone(), u);
            }
            let id = rest.strip_suffix(':').unwrap_or(rest).to_string();
            cur = Some(DumpUnit { id, ..DumpUnit::default() });
            continue;
        }
        let Some(u) = cur.as_mut() else { continue };
        let Some(kv) = line.strip_prefix("\t\t") else { continue };
        let Some((k, v)) = kv.split_once(": ") else { continue };
        match k {
            "Alias" => {
                u.aliases.insert(v.to_string());
            }
            "Unit Load State" => u.load_state = v.to_string(),
            "Fragment Path" => u.fragment = Some(v.to_string()),
            "DropIn Path" => u.dropins.push(v.to_string()),
            "Wants" | "Requires" | "Upholds" => {
                let (name, origin) = v.split_once(' ').unwrap_or((v, ""));
                u.deps.push((k.to_string(), name.to_string(), origin.to_string()));
            }
            _ => {}
        }
    }
    if let Some(u) = cur.take() {
        out.insert(u.id.clone(), u);
    }
    out
}

/// Find the dumped unit that carries `name` (as id or alias).
pub fn find_unit<'a>(dump: &'a HashMap<String, DumpUnit>, name: &str) -> Option<&'a DumpUnit> {
    dump.get(name).or_else(|| dump.values().find(|u| u.aliases.contains(name)))
}

/// `systemd-analyze unit-files` over `dirs`: the ids map (name → absolute
/// path or alias target name) and the aliases map.
pub struct NameMaps {
    pub ids: HashMap<String, String>,
    pub aliases: HashMap<String, BTreeSet<String>>,
}

pub fn analyze_unit_files(dirs: &[PathBuf]) -> NameMaps {
    let path: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    let out = Command::new("systemd-analyze")
        .arg("unit-files")
        .env("SYSTEMD_UNIT_PATH", path.join(":"))
        .output()
        .expect("the systemd 252 oracle (systemd-analyze) must be installed");
    assert!(out.status.success(), "systemd-analyze failed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut maps = NameMaps { ids: HashMap::new(), aliases: HashMap::new() };
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("ids: ") {
            let (k, v) = rest.split_once(" → ").unwrap();
            maps.ids.insert(k.to_string(), v.to_string());
        } else if let Some(rest) = line.strip_prefix("aliases: ") {
            let (k, v) = rest.split_once(" ← ").unwrap();
            maps.aliases.insert(k.to_string(), v.split(", ").map(String::from).collect());
        }
    }
    maps
}

/// Strip `prefix` from an absolute oracle path, giving the in-root path.
pub fn in_root(prefix: &Path, p: &str) -> String {
    match Path::new(p).strip_prefix(prefix) {
        Ok(rel) => format!("/{}", rel.display()),
        Err(_) => p.to_string(),
    }
}

/// A small root tree for synthetic tests.
pub struct Tree {
    pub tmp: TempDir,
    pub root: PathBuf,
}

impl Tree {
    pub fn new(tag: &str) -> Tree {
        let tmp = TempDir::new(tag);
        let root = tmp.path().join("root");
        fs::create_dir_all(&root).unwrap();
        Tree { tmp, root }
    }
    fn p(&self, rel: &str) -> PathBuf {
        let p = self.root.join(rel.trim_start_matches('/'));
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        p
    }
    pub fn file(&self, rel: &str, content: &str) -> &Tree {
        fs::write(self.p(rel), content).unwrap();
        self
    }
    pub fn bytes(&self, rel: &str, content: &[u8]) -> &Tree {
        fs::write(self.p(rel), content).unwrap();
        self
    }
    pub fn link(&self, rel: &str, target: &str) -> &Tree {
        symlink(target, self.p(rel)).unwrap();
        self
    }
    pub fn dir(&self, rel: &str) -> &Tree {
        fs::create_dir_all(self.p(rel)).unwrap();
        self
    }
    pub fn chmod(&self, rel: &str, mode: u32) -> &Tree {
        fs::set_permissions(self.p(rel), fs::Permissions::from_mode(mode)).unwrap();
        self
    }
    pub fn lookup(&self) -> LookupPaths {
        LookupPaths::system(&self.root)
    }
    /// Copy the tree for the oracle and run the manager on `names`.
    pub fn oracle(&self, names: &[&str]) -> (PathBuf, HashMap<String, DumpUnit>) {
        let copy = self.tmp.path().join("oracle");
        if !copy.exists() {
            oracle_root(&self.root, &copy);
        }
        let dirs = oracle_dirs(&self.lookup(), &copy);
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let dump = manager_dump(self.tmp.path(), &dirs, &names);
        (copy, dump)
    }
}

/// Compare our load of `name` with the oracle's unit carrying that name:
/// id, names, load state, fragment, drop-ins, and (if `deps`) the
/// file-originated Wants/Requires, which for units without such lines in
/// their files are exactly the `.wants/`/`.requires/` links.
pub fn assert_same(
    index: &unit::load::UnitIndex,
    copy: &Path,
    dump: &HashMap<String, DumpUnit>,
    name: &str,
    deps: bool,
) -> unit::load::LoadedSource {
    let src = index.load(&unit::UnitName::parse(name).unwrap());
    let u = find_unit(dump, name).unwrap_or_else(|| panic!("oracle lost {name}"));
    assert_eq!(src.name.as_str(), u.id, "id of {name}");
    let ours: BTreeSet<String> = src.names.iter().map(|n| n.to_string()).collect();
    assert_eq!(ours, u.names(), "names of {name}");
    assert_eq!(src.load_state.as_str(), u.load_state, "load state of {name}");
    let frag = u.fragment.as_deref().map(|f| in_root(copy, f));
    assert_eq!(src.fragment.as_ref().map(|p| p.display().to_string()), frag, "fragment of {name}");
    let theirs: Vec<String> = u.dropins.iter().map(|d| in_root(copy, d)).collect();
    let ours: Vec<String> = src.dropin_paths.iter().map(|p| p.display().to_string()).collect();
    assert_eq!(ours, theirs, "drop-ins of {name}");
    if deps {
        let mut w: Vec<String> = src.wants.iter().map(|d| d.name.to_string()).collect();
        w.sort();
        assert_eq!(w, u.file_deps("Wants"), "Wants of {name}");
        let mut r: Vec<String> = src.requires.iter().map(|d| d.name.to_string()).collect();
        r.sort();
        assert_eq!(r, u.file_deps("Requires"), "Requires of {name}");
    }
    src
}

/// In-root paths as strings, for compact assertions.
pub fn paths(v: &[PathBuf]) -> Vec<String> {
    v.iter().map(|p| p.display().to_string()).collect()
}
