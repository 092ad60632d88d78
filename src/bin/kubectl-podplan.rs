//! The `kubectl-podplan` binary: the same command line as `podplan`, under
//! the name kubectl runs plugins by (`kubectl podplan explain ...`).

#[path = "../cli.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
