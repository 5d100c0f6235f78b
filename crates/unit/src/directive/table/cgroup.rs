//! Resource control (`systemd.resource-control(5)`), shared by `[Service]`,
//! `[Socket]`, `[Mount]`, `[Swap]`, `[Slice]` and `[Scope]`.
//!
//! The cgroup-v1 era settings (`CPUShares=`, `BlockIO…=`, `MemoryLimit=`)
//! are still parsed by 252 and translated when applied; some of them log
//! the deprecation warning stored here on every use. The per-device lists
//! clear on an empty assignment; the `IO…Max=` ones only reset their own
//! limit type, while an empty `BlockIOReadBandwidth=` or
//! `BlockIOWriteBandwidth=` resets both directions.
//!
//! `security` marks the settings that restrict what the processes can
//! reach — devices, addresses, ports, interfaces, BPF filters. Capacity
//! settings (CPU, memory, I/O, tasks) are not counted.

use super::words::{DEVICE_POLICIES, MANAGED_OOM_MODES, MANAGED_OOM_PREFERENCES};
use super::{Def, Note, planned, removed};
use crate::directive::{Kind as K, ResetGroup as G};

pub(in crate::directive) const CGROUP: &[Def] = &[
    planned("Slice", K::Unit),
    planned("AllowedCPUs", K::CpuSet).list(),
    planned("StartupAllowedCPUs", K::CpuSet).list(),
    planned("AllowedMemoryNodes", K::CpuSet).list(),
    planned("StartupAllowedMemoryNodes", K::CpuSet).list(),
    planned("CPUAccounting", K::Bool),
    planned("CPUWeight", K::Weight),
    planned("StartupCPUWeight", K::Weight),
    // 2…262144.
    planned("CPUShares", K::Raw)
        .deprecated(Note::CpuShares),
    planned("StartupCPUShares", K::Raw).deprecated(Note::StartupCpuShares),
    planned("CPUQuota", K::Percent).property("CPUQuotaPerSecUSec"),
    planned("CPUQuotaPeriodSec", K::Seconds).property("CPUQuotaPeriodUSec"),
    planned("MemoryAccounting", K::Bool),
    planned("MemoryMin", K::SizeOrPercent),
    planned("DefaultMemoryMin", K::SizeOrPercent),
    planned("DefaultMemoryLow", K::SizeOrPercent),
    planned("MemoryLow", K::SizeOrPercent),
    planned("MemoryHigh", K::SizeOrPercent),
    planned("MemoryMax", K::SizeOrPercent),
    planned("MemorySwapMax", K::SizeOrPercent),
    planned("MemoryLimit", K::SizeOrPercent).deprecated(Note::MemoryLimit),
    // "PATH rwm" words; "char-…"/"block-…" groups allowed.
    planned("DeviceAllow", K::Raw).list().security(),
    planned("DevicePolicy", K::Enum(DEVICE_POLICIES)).security(),
    planned("IOAccounting", K::Bool),
    planned("IOWeight", K::Weight),
    planned("StartupIOWeight", K::Weight),
    // "DEVICE VALUE" pairs.
    planned("IODeviceWeight", K::Raw).list(),
    planned("IOReadBandwidthMax", K::Raw).list(),
    planned("IOWriteBandwidthMax", K::Raw).list(),
    planned("IOReadIOPSMax", K::Raw).list(),
    planned("IOWriteIOPSMax", K::Raw).list(),
    planned("IODeviceLatencyTargetSec", K::Raw).list().property("IODeviceLatencyTargetUSec"),
    planned("BlockIOAccounting", K::Bool),
    // 10…1000.
    planned("BlockIOWeight", K::Raw),
    planned("StartupBlockIOWeight", K::Raw),
    planned("BlockIODeviceWeight", K::Raw).list().deprecated(Note::BlockIoDeviceWeight),
    planned("BlockIOReadBandwidth", K::Raw).shared(G::BlockIoBandwidth).deprecated(Note::BlockIoReadBandwidth),
    planned("BlockIOWriteBandwidth", K::Raw).shared(G::BlockIoBandwidth).deprecated(Note::BlockIoWriteBandwidth),
    planned("TasksAccounting", K::Bool),
    // A count, a percentage of the system limit, or "infinity".
    planned("TasksMax", K::Raw),
    // A boolean or controller names; names accumulate, empty resets them
    // (and, in 252, means "yes").
    planned("Delegate", K::Raw).list(),
    planned("DisableControllers", K::Strings).list(),
    planned("IPAccounting", K::Bool),
    // Addresses with prefix lengths, or any|localhost|link-local|multicast.
    planned("IPAddressAllow", K::Raw).list().security(),
    planned("IPAddressDeny", K::Raw).list().security(),
    planned("IPIngressFilterPath", K::Paths).list().security(),
    planned("IPEgressFilterPath", K::Paths).list().security(),
    planned("ManagedOOMSwap", K::Enum(MANAGED_OOM_MODES)),
    planned("ManagedOOMMemoryPressure", K::Enum(MANAGED_OOM_MODES)),
    planned("ManagedOOMMemoryPressureLimit", K::Percent),
    planned("ManagedOOMPreference", K::Enum(MANAGED_OOM_PREFERENCES)),
    removed("NetClass", Note::NetClassRemoved),
    // TYPE:PATH of a pinned BPF program.
    planned("BPFProgram", K::Raw).list().security(),
    // [FAMILY:][TRANSPORT:]PORTS or "any".
    planned("SocketBindAllow", K::Raw).list().security(),
    planned("SocketBindDeny", K::Raw).list().security(),
    planned("RestrictNetworkInterfaces", K::Raw).list().security(),
];
