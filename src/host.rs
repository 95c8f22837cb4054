//! This machine, as uname(2) tells it: one system call, where reading the same from /proc
//! takes five.

/// This machine's name, as `--id`'s default and the run record's `host` give it.
pub fn name() -> String {
    rustix::system::uname()
        .nodename()
        .to_string_lossy()
        .into_owned()
}

/// The kernel's release, such as "6.1.0-18-amd64".
pub fn kernel_release() -> String {
    rustix::system::uname()
        .release()
        .to_string_lossy()
        .into_owned()
}
