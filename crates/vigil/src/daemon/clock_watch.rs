//! Being told when the wall clock is set or the time zone changes, for
//! timer units (`OnClockChange=`, `OnTimezoneChange=`, and calendar
//! elapses computed again; `systemd.timer(5)`).
//!
//! - The clock: a `CLOCK_REALTIME` timerfd armed for an absolute time that
//!   never comes, with `TFD_TIMER_CANCEL_ON_SET`: when the clock is set
//!   discontinuously, a read of it fails with `ECANCELED`
//!   (`timerfd_create(2)`), as systemd watches it. It is armed again then.
//! - The zone: inotify on `/etc` for changes to the `localtime` entry
//!   (`timedatectl set-timezone` replaces the link by a rename), as
//!   systemd's `manager_setup_timezone_change()`.
//!
//! Either descriptor may be missing (an old kernel, no `/etc`); the
//! timers then only miss those changes.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

pub struct ClockWatch {
    clock: Option<OwnedFd>,
    zone: Option<OwnedFd>,
}

/// Arm `fd` for the far future, cancelled by any set of the clock.
fn arm(fd: &OwnedFd) -> bool {
    let spec = libc::itimerspec {
        it_interval: libc::timespec { tv_sec: 0, tv_nsec: 0 },
        it_value: libc::timespec { tv_sec: libc::time_t::MAX / 2, tv_nsec: 0 },
    };
    // SAFETY: a valid timerfd and a spec we own; no old value asked for.
    let r = unsafe {
        libc::timerfd_settime(fd.as_raw_fd(), libc::TFD_TIMER_ABSTIME | libc::TFD_TIMER_CANCEL_ON_SET, &spec, std::ptr::null_mut())
    };
    r == 0
}

impl ClockWatch {
    pub fn new() -> ClockWatch {
        ClockWatch::watching(c"/etc")
    }

    /// Watching `dir`'s `localtime` for the zone (`/etc`; tests: their own).
    fn watching(dir: &std::ffi::CStr) -> ClockWatch {
        // SAFETY: timerfd_create with flags; the descriptor is owned at once.
        let fd = unsafe { libc::timerfd_create(libc::CLOCK_REALTIME, libc::TFD_NONBLOCK | libc::TFD_CLOEXEC) };
        // SAFETY: a fresh descriptor of our own.
        let clock = (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) }).filter(arm);
        // SAFETY: inotify_init1 with flags; owned at once.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        // SAFETY: a fresh descriptor of our own.
        let zone = (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) }).filter(|fd| {
            let mask = libc::IN_ATTRIB | libc::IN_MOVED_TO | libc::IN_CREATE | libc::IN_DELETE | libc::IN_CLOSE_WRITE;
            // SAFETY: valid inotify descriptor and a NUL-terminated path.
            unsafe { libc::inotify_add_watch(fd.as_raw_fd(), dir.as_ptr(), mask) >= 0 }
        });
        ClockWatch { clock, zone }
    }

    pub fn clock_fd(&self) -> Option<BorrowedFd<'_>> {
        self.clock.as_ref().map(|f| f.as_fd())
    }

    pub fn zone_fd(&self) -> Option<BorrowedFd<'_>> {
        self.zone.as_ref().map(|f| f.as_fd())
    }

    /// The clock descriptor is readable: whether the clock was set (and
    /// the descriptor armed again).
    pub fn clock_was_set(&mut self) -> bool {
        let Some(fd) = &self.clock else { return false };
        let mut n = 0u64;
        // SAFETY: reads at most 8 bytes into `n`.
        let r = unsafe { libc::read(fd.as_raw_fd(), (&mut n as *mut u64).cast(), 8) };
        let set = r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECANCELED);
        if set && !arm(fd) {
            self.clock = None;
        }
        set
    }

    /// The zone descriptor is readable: whether `/etc/localtime` changed.
    pub fn zone_changed(&mut self) -> bool {
        let Some(fd) = &self.zone else { return false };
        let mut changed = false;
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reads into our buffer, at most its length.
            let n = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                return changed;
            }
            let (n, hdr) = (n as usize, std::mem::size_of::<libc::inotify_event>());
            let mut off = 0;
            while off + hdr <= n {
                // SAFETY: the kernel wrote whole inotify_event records.
                let ev: libc::inotify_event = unsafe { std::ptr::read_unaligned(buf.as_ptr().add(off).cast()) };
                let name = &buf[off + hdr..(off + hdr + ev.len as usize).min(n)];
                let name = name.split(|b| *b == 0).next().unwrap_or_default();
                changed |= name == b"localtime";
                off += hdr + ev.len as usize;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_untouched_clock_reports_no_set() {
        let mut w = ClockWatch::new();
        assert!(w.clock_fd().is_some(), "timerfd with TFD_TIMER_CANCEL_ON_SET");
        assert!(!w.clock_was_set());
        assert!(!w.zone_changed());
    }

    #[test]
    fn replacing_localtime_is_a_zone_change() {
        let dir = std::env::temp_dir().join(format!("vigil-clock-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let c = std::ffi::CString::new(dir.as_os_str().as_encoded_bytes()).unwrap();
        let mut w = ClockWatch::watching(&c);
        std::fs::write(dir.join("other"), "x").unwrap();
        assert!(!w.zone_changed(), "another file is no zone change");
        // What `timedatectl set-timezone` does: a new link renamed over.
        std::os::unix::fs::symlink("/usr/share/zoneinfo/UTC", dir.join("localtime.new")).unwrap();
        std::fs::rename(dir.join("localtime.new"), dir.join("localtime")).unwrap();
        assert!(w.zone_changed());
        assert!(!w.zone_changed(), "drained");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
