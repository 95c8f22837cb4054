//! A cgroup v2 of the command's own, where zklock may create one: it holds every descendant,
//! whatever session or process group it moved to, so none can outlive the lock (SPEC §2,
//! ../shared/SAFETY.md). Where none can be made (no v2 hierarchy, no write access: neither
//! root nor a systemd unit with `Delegate=yes`), zklock does without, and the process group
//! and the subreaper sweep are what stop the command's descendants.

use std::ffi::CString;
use std::fs::File;
use std::io::Read as _;
use std::os::unix::fs::FileExt as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI32, Ordering};

use crate::sys::raw;

/// `zklock-<pid>` below zklock's own cgroup.
#[derive(Debug)]
pub struct Cgroup {
    dir: PathBuf,
    /// `cgroup.procs` and `cgroup.kill`, ready for calls between fork and exec.
    pub procs: CString,
    pub kill: CString,
    /// The directory, open (close-on-exec) for zklock's whole life: what `clone3` takes to
    /// start a process inside it (`CLONE_INTO_CGROUP`). -1 when it could not be opened.
    pub dir_fd: libc::c_int,
    /// The keeper's pid while it lives (see `Cgroup::keep`), else 0.
    keeper: AtomicI32,
    /// `cgroup.procs`, open for reading from the start: the leftover check reads it when the
    /// command exits, and an open then costs more than the read.
    procs_file: Option<File>,
}

impl Cgroup {
    /// Creates the cgroup just before the command starts, or says why it cannot. One per
    /// zklock, never freed: the command, the sweep and the watchdog all refer to it.
    pub fn create() -> Result<&'static Cgroup, String> {
        if !has_cgroup_kill() {
            return Err("the kernel has no cgroup.kill (Linux 5.14+)".into());
        }
        let mount = v2_mount().ok_or("no cgroup v2 hierarchy is mounted")?;
        let own = read_proc("/proc/self/cgroup")
            .and_then(|text| {
                text.lines()
                    .find_map(|l| l.strip_prefix("0::").map(str::to_string))
            })
            .ok_or("zklock is in no cgroup v2")?;
        let parent = mount.join(own.trim_start_matches('/'));
        let dir = parent.join(format!("zklock-{}", std::process::id()));
        let c =
            |p: &Path| CString::new(p.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string());
        let mut cgroup = Cgroup {
            procs: c(&dir.join("cgroup.procs"))?,
            kill: c(&dir.join("cgroup.kill"))?,
            dir_fd: -1,
            keeper: AtomicI32::new(0),
            procs_file: None,
            dir,
        };
        std::fs::create_dir(&cgroup.dir).map_err(|e| format!("{}: {e}", cgroup.dir.display()))?;
        // (std opens every file close-on-exec.)
        cgroup.dir_fd = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY)
            .open(&cgroup.dir)
            .map_or(-1, std::os::fd::IntoRawFd::into_raw_fd);
        cgroup.keep();
        cgroup.procs_file = File::open(cgroup.dir.join("cgroup.procs")).ok();
        Ok(Box::leak(Box::new(cgroup)))
    }

    /// Puts a keeper into the new cgroup: a process that does nothing but wait for SIGKILL,
    /// which zklock sends when it removes the cgroup (and the kernel when zklock dies:
    /// parent-death signal).
    ///
    /// A cgroup that has no member costs the kernel far more to start a process in than one
    /// that has: on the benchmark's machine (Linux 6.18), 0.1 ms more when the first follows
    /// the mkdir at once, and 0.1–0.7 ms more when it comes later, as the command does once
    /// the lock's answers are in (or a waiter's turn, seconds later); a member that came and
    /// went helps only for some milliseconds, and a `stat` of the cgroup's files not at all.
    /// The keeper is made while the contender's create is on its way (containment.rs), and keeps
    /// the cgroup a populated one until the lock is released, so neither the command's start
    /// nor its end is the cgroup's first or last member. It never counts as the command's
    /// (`Cgroup::keeper`), and no `waitpid(-1)` of zklock's reaps it (no exit signal: only
    /// `__WCLONE` waits for it). Best effort: where it cannot be made, the command pays as
    /// before.
    fn keep(&self) {
        if let Some(pid) = crate::sys::keeper::start(self.dir_fd) {
            self.keeper.store(pid, Ordering::SeqCst);
        }
    }

    /// The keeper's pid, or 0: a member of the cgroup and a child of zklock that is not the
    /// command's.
    pub fn keeper(&self) -> i32 {
        self.keeper.load(Ordering::SeqCst)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The processes in it.
    pub fn pids(&self) -> Vec<i32> {
        match &self.procs_file {
            Some(file) => read_pids(file),
            None => File::open(self.dir.join("cgroup.procs"))
                .map(|file| read_pids(&file))
                .unwrap_or_default(),
        }
    }

    /// SIGKILLs everything in it at once (cgroup.kill).
    pub fn kill_all(&self) {
        kill_all_raw(&self.kill);
    }

    /// Stops the keeper, then removes the cgroup, which must be empty by then. Left in place
    /// (and harmless) if that fails.
    pub fn remove(&self) {
        let keeper = self.keeper.swap(0, Ordering::SeqCst);
        if keeper > 0 {
            crate::sys::keeper::stop(keeper);
        }
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The pids in a list the kernel makes anew at each read from its start (`cgroup.procs`,
/// `/proc/<pid>/task/<tid>/children`), read from the start of `file` (`pread` at offset 0):
/// a descriptor opened once serves every look, with one system call each. Empty if it
/// cannot be read.
pub fn read_pids(file: &File) -> Vec<i32> {
    // The usual list is a line or two: a buffer on the stack (a fresh one on the heap may
    // cost a page fault, more than the read), a larger one on the heap for a long list.
    let mut small = [0u8; 1024];
    match fill_from_start(file, &mut small) {
        Ok(n) if n < small.len() => return parse_pids(&small[..n]),
        Ok(_) => {}
        Err(_) => return Vec::new(),
    }
    let mut size = 2 * small.len();
    loop {
        let mut large = vec![0u8; size];
        match fill_from_start(file, &mut large) {
            Ok(n) if n < size => return parse_pids(&large[..n]),
            Ok(_) => size *= 2,
            Err(_) => return Vec::new(),
        }
    }
}

/// Reads `file` from its start until `buf` is full or the end; how much it read. These lists
/// are seq_files, which fill a read as far as the list goes: a short read is the end.
fn fill_from_start(file: &File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut len = 0;
    while len < buf.len() {
        match file.read_at(&mut buf[len..], len as u64) {
            Ok(n) if n < buf.len() - len => return Ok(len + n),
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(len)
}

fn parse_pids(text: &[u8]) -> Vec<i32> {
    text.split(|b| b.is_ascii_whitespace())
        .filter_map(|p| std::str::from_utf8(p).ok()?.parse().ok())
        .collect()
}

/// Writes "1" to `cgroup.kill`. Raw system calls only (no `errno`, no allocation).
pub fn kill_all_raw(kill: &CString) {
    raw::write_file(kill, b"1");
}

/// Whether cgroups have `cgroup.kill`: Linux 5.14 and later. (Asked of uname, not of a file:
/// the root cgroup has no cgroup.kill, and the first look at a file of a new cgroup costs the
/// kernel more than the whole check.)
fn has_cgroup_kill() -> bool {
    kernel_at_least(&crate::host::kernel_release(), (5, 14))
}

/// Whether a kernel release such as "6.1.0-18-amd64" is `min` or later.
fn kernel_at_least(release: &str, min: (u32, u32)) -> bool {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    let mut number = || parts.next().and_then(|p| p.parse::<u32>().ok());
    match (number(), number()) {
        (Some(major), Some(minor)) => (major, minor) >= min,
        _ => false,
    }
}

/// A small file of /proc in one read (std's `read_to_string` starts with a 32-byte probe and
/// grows from there, and /proc makes the text anew for every read).
fn read_proc(path: &str) -> Option<String> {
    let mut text = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|mut file| file.read_to_end(&mut text))
        .ok()?;
    String::from_utf8(text).ok()
}

/// Where the cgroup v2 hierarchy is mounted (/sys/fs/cgroup, or /sys/fs/cgroup/unified on a
/// hybrid system): asked of statfs in those two places, and of /proc/self/mountinfo (which
/// costs the kernel a tenth of a millisecond to write) only when neither is one.
pub fn v2_mount() -> Option<PathBuf> {
    for dir in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
        if rustix::fs::statfs(dir)
            // (Its type is a `long` on glibc, an `unsigned long` on musl.)
            .is_ok_and(|fs| fs.f_type as u64 == libc::CGROUP2_SUPER_MAGIC as u64)
        {
            return Some(PathBuf::from(dir));
        }
    }
    let info = read_proc("/proc/self/mountinfo")?;
    info.lines().find_map(|line| {
        let (before, after) = line.split_once(" - ")?;
        (after.split_whitespace().next()? == "cgroup2")
            .then(|| before.split_whitespace().nth(4).map(PathBuf::from))?
    })
}

#[cfg(test)]
mod tests {
    use super::kernel_at_least;

    #[test]
    fn kernel_releases() {
        assert!(kernel_at_least("6.1.0-18-amd64", (5, 14)));
        assert!(kernel_at_least("5.14.0", (5, 14)));
        assert!(!kernel_at_least("5.10.0-28-cloud-amd64", (5, 14)));
        assert!(!kernel_at_least("4.19.0", (5, 14)));
        assert!(!kernel_at_least("garbage", (5, 14)));
    }
}
