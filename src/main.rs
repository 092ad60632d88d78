//! The `podplan` binary: the command line of `cli.rs`.

#[path = "cli.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
