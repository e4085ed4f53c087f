//! The process's allocator: mimalloc, and how it asks the kernel for memory.
//!
//! On Linux mimalloc also serves malloc itself, for DuckDB's C++ (the `override` feature, see
//! Cargo.toml); elsewhere it is Rust's allocator only.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Turns transparent huge pages off for this process, before any heavy allocation.
///
/// mimalloc asks for huge pages on its segments (`madvise(MADV_HUGEPAGE)`), so the first
/// touch of every 2 MiB of them has the kernel zero a whole huge page, and memory that
/// mimalloc gives back and takes again is zeroed 2 MiB at a time once more. In the city's run
/// that zeroing was 15 % of all CPU samples (`clear_page_erms`, most of it under mimalloc's
/// page set-up for the csv reading thread's rows and DuckDB's vectors); with huge pages off the
/// run took 0.85× the time and 100 MiB less memory (bench/RESULTS.md, issue 28). The kernel
/// checks this flag at each fault, so setting it at the start of `main` covers everything
/// allocated after. It is the same switch as mimalloc's own `MIMALLOC_ALLOW_THP=0`, which is
/// read too early (at the process's start) to be set from here.
pub fn without_huge_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes one integer argument and touches no memory of ours; a
    // kernel without it returns an error, which leaves things as they were.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    #[test]
    fn huge_pages_are_off_for_the_process() {
        super::without_huge_pages();
        // SAFETY: PR_GET_THP_DISABLE takes no arguments and returns the flag.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        assert_eq!(disabled, 1);
    }
}
