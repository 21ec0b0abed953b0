use std::process::ExitCode;

/// mimalloc rather than glibc's malloc: less time in allocation under load and less
/// memory kept per thread (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    bilim::cli::main()
}
