//! A process's memory, from `/proc/PID/status`.

fn status_kb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.split_whitespace().next()?.parse::<f64>().ok())
}

/// Resets the kernel's peak-RSS mark (`clear_refs` 5); returns the
/// current RSS in MB.
pub fn reset_peak(pid: u32) -> f64 {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
    status_kb(pid, "VmRSS:").unwrap_or(0.0) / 1024.0
}

/// Peak RSS in MB since the last [`reset_peak`] (`VmHWM`).
pub fn peak(pid: u32) -> f64 {
    status_kb(pid, "VmHWM:").unwrap_or(0.0) / 1024.0
}

/// Resident memory now, in MB (`VmRSS`).
pub fn current(pid: u32) -> f64 {
    status_kb(pid, "VmRSS:").unwrap_or(0.0) / 1024.0
}

/// File descriptors the process has open (entries of `/proc/PID/fd`).
pub fn open_fds(pid: u32) -> Option<usize> {
    Some(std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?.count())
}
