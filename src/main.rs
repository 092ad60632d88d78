//! The `podplan` command line: reads files, calls one library operation,
//! prints its report. No planning logic lives here.

use clap::{Parser, Subcommand, ValueEnum};
use podplan::ingest::generate::{generate, GenerateOptions};
use podplan::{explain, read_scenario, ExplainOptions, Input};
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "podplan", version, about = "Plans where Kubernetes pods go, with kube-scheduler's semantics")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    /// A readable table.
    Text,
    /// The JSON report of SPEC.md.
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Why is each pending pod (un)schedulable: kube-scheduler's filter phase.
    Explain {
        /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
        #[arg(required = true)]
        files: Vec<String>,
        /// Only this pending pod (NAMESPACE/NAME).
        #[arg(long)]
        pod: Option<String>,
        /// Reason histogram instead of per-node detail.
        #[arg(long)]
        summary: bool,
        /// Also consider one new node of each pool.
        #[arg(long)]
        with_pools: bool,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Write a generated multi-tenant scenario (a kubectl-style List) to stdout.
    Generate {
        /// Existing nodes.
        #[arg(long, default_value_t = 50)]
        nodes: usize,
        /// Bound pods spread over the nodes.
        #[arg(long, default_value_t = 1000)]
        bound_pods: usize,
        /// Pending pods.
        #[arg(long, default_value_t = 100)]
        pending_pods: usize,
        /// Deployments the pending pods belong to (0: every pending pod distinct).
        #[arg(long, default_value_t = 10)]
        pending_workloads: usize,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

fn read_files(files: &[String]) -> Result<Vec<(String, String)>, String> {
    files
        .iter()
        .map(|f| {
            let text = if f == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| format!("<stdin>: {e}"))?;
                s
            } else {
                std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?
            };
            let name = if f == "-" { "<stdin>".to_string() } else { f.clone() };
            Ok((name, text))
        })
        .collect()
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    match cli.command {
        Command::Generate {
            nodes,
            bound_pods,
            pending_pods,
            pending_workloads,
            seed,
        } => {
            let options = GenerateOptions {
                nodes,
                bound_pods,
                pending_pods,
                pending_workloads,
                seed,
            };
            println!("{}", generate(&options));
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            files,
            pod,
            summary,
            with_pools,
            output,
        } => {
            let texts = read_files(&files)?;
            let inputs: Vec<Input> = texts.iter().map(|(n, t)| Input::new(n, t)).collect();
            let cluster = read_scenario(&inputs).map_err(|e| e.to_string())?;
            for w in &cluster.warnings {
                eprintln!("warning: {w}");
            }
            let options = ExplainOptions {
                pod,
                summary,
                with_pools,
            };
            let report = explain(&cluster, &options).map_err(|e| e.to_string())?;
            match output {
                Output::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
                ),
                Output::Text => print!("{}", report.to_text()),
            }
            Ok(if report.any_unschedulable() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
