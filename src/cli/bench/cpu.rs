//! Where the bulk bench's CPU time is read: another thread's (the engine's I/O thread, found by
//! its name) from `/proc/self/task/TID/schedstat`, in nanoseconds like `CLOCK_THREAD_CPUTIME_ID`
//! (both are the scheduler's run time of the thread), and the machine's load average, which every
//! figure is reported with.

use std::time::Duration;

/// The ids of this process's threads named `name` (`/proc/self/task/*/comm`).
fn threads_named(name: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|entry| {
            let tid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(entry.path().join("comm")).ok()?;
            (comm.trim_end() == name).then_some(tid)
        })
        .collect()
}

/// Runs `start` (which starts a thread named `name`) and returns what it returned with the new
/// thread's id. A thread names itself as it starts, so it is looked for a few times (up to 2 s).
pub(super) fn with_new_thread<T>(
    name: &str,
    start: impl FnOnce() -> Result<T, String>,
) -> Result<(T, u32), String> {
    let before = threads_named(name);
    let value = start()?;
    for _ in 0..200 {
        if let Some(tid) = threads_named(name)
            .into_iter()
            .find(|t| !before.contains(t))
        {
            return Ok((value, tid));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!(
        "cannot find the thread {name:?} in /proc/self/task to measure its CPU time"
    ))
}

/// CPU time thread `tid` of this process has used, in nanoseconds.
pub(super) fn thread_cpu_ns(tid: u32) -> Result<u64, String> {
    let path = format!("/proc/self/task/{tid}/schedstat");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    text.split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("{path}: no run time in {text:?}"))
}

/// The 1-minute load average, if `/proc/loadavg` says.
pub(super) fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_thread_is_found_by_name_and_its_cpu_time_grows_as_it_works() {
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let (handle, tid) = with_new_thread("bench-cpu-test", || {
            std::thread::Builder::new()
                .name("bench-cpu-test".into())
                .spawn(move || {
                    // Work until told to stop (bounded: at most 10 s).
                    let end = std::time::Instant::now() + Duration::from_secs(10);
                    let mut x = 0u64;
                    while stop_rx.try_recv().is_err() && std::time::Instant::now() < end {
                        x = x.wrapping_mul(31).wrapping_add(7);
                        std::hint::black_box(x);
                    }
                })
                .map_err(|e| e.to_string())
        })
        .unwrap();
        let first = thread_cpu_ns(tid).unwrap();
        let mut later = first;
        for _ in 0..500 {
            later = thread_cpu_ns(tid).unwrap();
            if later > first {
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(later > first, "{first} {later}");
        stop_tx.send(()).unwrap();
        handle.join().unwrap();
        assert!(thread_cpu_ns(u32::MAX).is_err());
        assert!(with_new_thread("no-such-thread", || Ok(())).is_err());
        assert!(load_average().is_some_and(|l| l >= 0.0));
    }
}
