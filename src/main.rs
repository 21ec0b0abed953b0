use std::process::ExitCode;

fn main() -> ExitCode {
    bilim::cli::main()
}
