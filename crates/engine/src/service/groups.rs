//! State groups for the patterns of the transition table: macros so that
//! `match` still checks exhaustiveness state by state.

macro_rules! inactive {
    () => {
        ServiceState::Dead | ServiceState::Failed
    };
}
macro_rules! starting {
    () => {
        ServiceState::Condition | ServiceState::StartPre | ServiceState::Start | ServiceState::StartPost
    };
}
macro_rules! up {
    () => {
        ServiceState::Running | ServiceState::Exited | ServiceState::Reload
    };
}
macro_rules! kill_states {
    () => {
        ServiceState::StopWatchdog | ServiceState::StopSigterm | ServiceState::StopSigkill
    };
}
macro_rules! finalizing {
    () => {
        ServiceState::FinalWatchdog | ServiceState::FinalSigterm | ServiceState::FinalSigkill
    };
}
macro_rules! every_state {
    () => {
        inactive!()
            | starting!()
            | up!()
            | ServiceState::Stop
            | kill_states!()
            | ServiceState::StopPost
            | finalizing!()
            | ServiceState::AutoRestart
    };
}
/// States in which a main process is tracked (systemd's keep-list).
macro_rules! main_tracked {
    () => {
        ServiceState::Start
            | ServiceState::StartPost
            | ServiceState::Running
            | ServiceState::Reload
            | ServiceState::Stop
            | kill_states!()
            | ServiceState::StopPost
            | finalizing!()
    };
}
