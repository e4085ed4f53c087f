//! The process's allocator: mimalloc, and how it asks the kernel for memory.
//!
//! On Linux mimalloc also serves malloc itself, for DuckDB's C++ (the `override` feature, see
//! Cargo.toml); elsewhere it is Rust's allocator only.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process, before any heavy allocation; returns
/// whether the kernel took the setting.
///
/// mimalloc asked for huge pages on its segments (`madvise(MADV_HUGEPAGE)`), so the first touch
/// of every 2 MiB of them had the kernel zero a whole huge page, and memory that mimalloc gave
/// back and took again was zeroed 2 MiB at a time once more. In the city's run that zeroing was
/// 15% of all CPU samples (`clear_page_erms`, most of it under mimalloc's page set-up for the
/// csv reading thread's rows and DuckDB's vectors); without huge pages the run took 0.90× the
/// time and 90 MiB less memory (bench/RESULTS.md, "Huge pages off", issue 28). Two switches,
/// for two kinds of machine: mimalloc is built without that `madvise` (its `no_thp` feature,
/// Cargo.toml), which is enough where huge pages are given only on request (as on the build
/// machine); and this call, for kernels that give them to every large mapping. Since Linux 4.13 the
/// kernel checks the flag at each fault, so setting it at the start of `main` covers everything
/// allocated after (child processes inherit it: the only one, `xdg-open` of `vbrief serve`,
/// does not care). It is what mimalloc itself does for `MIMALLOC_ALLOW_THP=0` as it loads.
pub fn without_huge_pages() -> bool {
    #[cfg(target_os = "linux")]
    {
        let (on, unused) = (1 as libc::c_ulong, 0 as libc::c_ulong);
        // SAFETY: PR_SET_THP_DISABLE takes one integer argument and touches no memory of ours;
        // a kernel without it returns an error, which leaves things as they were.
        unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, on, unused, unused, unused) == 0 }
    }
    #[cfg(not(target_os = "linux"))]
    false
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn huge_pages_are_off_for_the_process() {
        // A kernel or sandbox that refuses the setting leaves nothing to check.
        if super::without_huge_pages() {
            let unused = 0 as libc::c_ulong;
            // SAFETY: PR_GET_THP_DISABLE takes no arguments and returns the flag.
            let disabled =
                unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, unused, unused, unused, unused) };
            assert_eq!(disabled, 1);
        }
    }
}
