//! This machine, as uname(2) tells it: one system call, where reading the same from /proc
//! takes five.

/// This machine's name, as `--id`'s default and the run record's `host` give it.
pub fn name() -> String {
    field(|u| &u.nodename)
}

/// The kernel's release, such as "6.1.0-18-amd64".
pub fn kernel_release() -> String {
    field(|u| &u.release)
}

fn field(which: fn(&libc::utsname) -> &[libc::c_char; 65]) -> String {
    // SAFETY: uname fills the struct it is given.
    let mut name: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut name) } != 0 {
        return String::new();
    }
    // SAFETY: uname NUL-terminates every field.
    let text = unsafe { std::ffi::CStr::from_ptr(which(&name).as_ptr()) };
    text.to_string_lossy().into_owned()
}
