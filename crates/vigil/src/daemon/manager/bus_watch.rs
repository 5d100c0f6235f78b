//! `Type=dbus` in the manager: a service of that type is started when its
//! `BusName=` gets an owner (`systemd.service(5)`), so the manager watches
//! the name on the bus ([`crate::daemon::bus`]) from the moment the start
//! job runs, and feeds the engine `Event::BusName` as the owner comes and
//! goes.
//!
//! No bus (no socket, or it does not answer): the service runs as
//! `Type=simple` for this activation, and the journal says so — rather than
//! every such service timing out waiting for a name that cannot appear.
//! Whether there is a bus is asked at each start, not at load: the bus is
//! itself a service that boot starts after the manager has loaded units.
//!
//! The connection is made once and kept; its socket sits in an epoll
//! instance of its own that the event loop watches from the start (as the
//! spawn reports do), so the loop needs no new registration when the bus
//! appears. A connection that breaks is dropped; the next start of a
//! `Type=dbus` unit connects again.

use std::os::fd::{AsFd, BorrowedFd};

use engine::service::{Event, LogLevel, ServiceType};
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags};
use unit::config::service::ServiceView;
use unit::directive::SectionKind as S;

use super::Manager;
use crate::daemon::bus::Bus;

/// The bus connection and what is watched on it.
pub struct BusWatch {
    epoll: Option<Epoll>,
    bus: Option<Bus>,
    /// Units running as `Type=simple` for want of a bus (this activation).
    fallback: std::collections::HashSet<String>,
    /// Names with a match rule on the current connection.
    matched: std::collections::HashSet<String>,
}

impl BusWatch {
    pub fn new() -> BusWatch {
        BusWatch { epoll: Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC).ok(), bus: None, fallback: Default::default(), matched: Default::default() }
    }
}

impl Manager {
    pub fn bus_fd(&self) -> Option<BorrowedFd<'_>> {
        self.bus.epoll.as_ref().map(|e| e.0.as_fd())
    }

    /// A start (or restart) job is about to run: a `Type=dbus` unit gets
    /// its name watched, or runs as simple when there is no bus.
    pub(super) fn dbus_before_start(&mut self, id: &str) {
        let Some(u) = self.units.get(id) else { return };
        if u.svc.is_none() || ServiceView::new(&u.cfg).service_type() != "dbus" {
            return;
        }
        let name = u.cfg.string(S::Service, "BusName").unwrap_or_default().to_string();
        let watched = !name.is_empty() && self.bus_connected() && self.bus_watch(&name);
        if watched {
            self.bus.fallback.remove(id);
        } else {
            self.bus.fallback.insert(id.to_string());
            self.log(
                id,
                LogLevel::Notice,
                "Type=dbus: no D-Bus system bus to watch BusName= on; running the service as Type=simple.",
            );
        }
        self.bus_fix_params(id);
    }

    /// After the parameters were (re)built from the unit file: a unit
    /// running as simple for want of a bus stays simple.
    pub(super) fn bus_fix_params(&mut self, id: &str) {
        if !self.bus.fallback.contains(id) {
            return;
        }
        let Some(svc) = self.units.get_mut(id).and_then(|u| u.svc.as_mut()) else { return };
        if svc.params().service_type == ServiceType::Dbus {
            let mut p = svc.params().clone();
            p.service_type = ServiceType::Simple;
            svc.set_params(p);
        }
    }

    fn bus_connected(&mut self) -> bool {
        if self.bus.bus.is_some() {
            return true;
        }
        let user = self.loader.lookup.scope == unit::Scope::User;
        let path = crate::daemon::bus::address(&self.loader.lookup.root, user);
        match Bus::connect(&path) {
            Ok(bus) => {
                if let Some(ep) = &self.bus.epoll {
                    if ep.add(bus.fd(), EpollEvent::new(EpollFlags::EPOLLIN, 0)).is_err() {
                        return false;
                    }
                }
                self.console(&format!("Connected to the D-Bus bus at {}.", path.display()));
                self.bus.bus = Some(bus);
                true
            }
            // No socket: no bus, said by the caller. Anything else is
            // worth saying here.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => false,
            Err(e) => {
                self.console(&format!("Cannot use the D-Bus bus at {}: {e}", path.display()));
                false
            }
        }
    }

    fn bus_watch(&mut self, name: &str) -> bool {
        let Some(bus) = self.bus.bus.as_mut() else { return false };
        let new = !self.bus.matched.contains(name);
        if bus.watch(name, new).is_ok() {
            self.bus.matched.insert(name.to_string());
            return true;
        }
        self.bus_lost("writing to the bus failed");
        false
    }

    fn bus_lost(&mut self, why: &str) {
        self.bus.matched.clear();
        if let Some(bus) = self.bus.bus.take() {
            if let Some(ep) = &self.bus.epoll {
                let _ = ep.delete(bus.fd());
            }
            self.console(&format!("Lost the D-Bus connection ({why})."));
        }
    }

    /// The bus socket is readable: owners of watched names.
    #[inline(never)] // not in the idle loop's code: `EventLoop::run`
    pub fn bus_events(&mut self) {
        let Some(bus) = self.bus.bus.as_mut() else { return };
        let events = match bus.read() {
            Ok(ev) => ev,
            Err(e) => {
                self.bus_lost(&e.to_string());
                return;
            }
        };
        let now = self.now();
        for ev in events {
            let ids: Vec<String> = self
                .units
                .iter()
                .filter(|(id, u)| {
                    !self.bus.fallback.contains(*id)
                        && u.svc.as_ref().is_some_and(|s| s.params().service_type == ServiceType::Dbus)
                        && u.cfg.string(S::Service, "BusName") == Some(ev.name.as_str())
                })
                .map(|(id, _)| id.to_string())
                .collect();
            for id in ids {
                self.feed(&id, now, Event::BusName { acquired: ev.owned });
            }
        }
    }
}
