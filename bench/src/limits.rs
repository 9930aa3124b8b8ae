//! Raising the limit of open files: thousands of idle connections need
//! thousands of descriptors, in this process and in the server (a child
//! inherits the limit).

/// Raises the soft limit of open files to the hard limit; returns the limit now.
#[cfg(target_os = "linux")]
pub fn raise_open_files() -> u64 {
    #[repr(C)]
    struct Rlimit {
        current: u64,
        max: u64,
    }
    extern "C" {
        fn getrlimit(resource: i32, limit: *mut Rlimit) -> i32;
        fn setrlimit(resource: i32, limit: *const Rlimit) -> i32;
    }
    const RLIMIT_NOFILE: i32 = 7;
    let mut limit = Rlimit { current: 0, max: 0 };
    // SAFETY: `limit` is a valid, writable `struct rlimit` (two 64-bit values on Linux).
    if unsafe { getrlimit(RLIMIT_NOFILE, &mut limit) } != 0 {
        return 1024;
    }
    if limit.current < limit.max {
        let raised = Rlimit { current: limit.max, max: limit.max };
        // SAFETY: `raised` is a valid `struct rlimit`; raising the soft limit up to the hard one is allowed.
        if unsafe { setrlimit(RLIMIT_NOFILE, &raised) } == 0 {
            return limit.max;
        }
    }
    limit.current
}

/// Elsewhere: assume the common default and let the cap in `main` explain.
#[cfg(not(target_os = "linux"))]
pub fn raise_open_files() -> u64 {
    256
}
