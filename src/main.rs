//! The `podplan` command line: reads files, calls one library operation,
//! prints its report. No planning logic lives here.

use clap::{Parser, Subcommand, ValueEnum};
use podplan::generate::{
    drain_scenario, generate, ladder, DrainScenarioOptions, GenerateOptions, LadderSize,
};
use podplan::{explain, place, read_scenario, simulate, ExplainOptions, Input, PlaceOptions};
use std::io::Read;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "podplan",
    version,
    about = "Plans where Kubernetes pods go, with kube-scheduler's semantics"
)]
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
    /// Where should the pending pods go, and which nodes to add, at least cost.
    Place {
        /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
        #[arg(required = true)]
        files: Vec<String>,
        /// Wall-clock limit in seconds (parsing included).
        #[arg(long, default_value_t = 10.0)]
        time_limit: f64,
        /// Let bound pods move too: consolidation (which existing nodes can go).
        #[arg(long)]
        repack: bool,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// What kube-scheduler and cluster-autoscaler would do: the baseline.
    Simulate {
        /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
        #[arg(required = true)]
        files: Vec<String>,
        /// Wall-clock limit in seconds (parsing included).
        #[arg(long, default_value_t = 10.0)]
        time_limit: f64,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Can these nodes be emptied without breaking a PodDisruptionBudget,
    /// what blocks it, and in what waves.
    Drain {
        /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
        #[arg(required = true)]
        files: Vec<String>,
        /// Nodes to drain (comma-separated names).
        #[arg(long, value_delimiter = ',', required_unless_present = "pool")]
        nodes: Vec<String>,
        /// Drain every node of this pool.
        #[arg(long)]
        pool: Option<String>,
        /// New nodes of the pool available from the first wave (AKS max surge).
        #[arg(long, default_value_t = 0)]
        surge: usize,
        /// At most this many drained nodes have evictions in one wave.
        #[arg(long)]
        max_unavailable: Option<usize>,
        /// Delete pods without a controller (kubectl drain --force).
        #[arg(long)]
        force: bool,
        /// Evict pods with emptyDir volumes (kubectl drain --delete-emptydir-data).
        #[arg(long)]
        delete_emptydir_data: bool,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// How many more copies of a pod fit (cluster-capacity).
    Headroom {
        /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
        #[arg(required = true)]
        files: Vec<String>,
        /// A Pod manifest (YAML or JSON) holding exactly one Pod to copy.
        #[arg(
            long,
            value_name = "FILE",
            required_unless_present = "workload",
            conflicts_with = "workload"
        )]
        pod: Option<String>,
        /// A Deployment, StatefulSet, ReplicaSet or Job of the scenario
        /// (NAMESPACE/NAME) whose pod template is copied.
        #[arg(long, value_name = "NS/NAME")]
        workload: Option<String>,
        /// Let pools add nodes up to their maxCount.
        #[arg(long)]
        with_pools: bool,
        /// Wall-clock limit in seconds for adding copies (parsing excluded).
        #[arg(long, default_value_t = 10.0)]
        time_limit: f64,
        /// Output format.
        #[arg(long, short, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
    /// Write a generated multi-tenant scenario (a kubectl-style List) to stdout.
    Generate {
        /// A capacity-planning ladder instance (xs, s, m, l, xl) instead of
        /// the explain-style cluster.
        #[arg(long)]
        ladder: Option<String>,
        /// A running cluster to drain instead (pool `drain` holds a fifth of
        /// the nodes), with this many workloads, each under a PDB; its pods
        /// number --bound-pods.
        #[arg(long)]
        drain_workloads: Option<usize>,
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
            if f == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| format!("<stdin>: {e}"))?;
                Ok(("<stdin>".to_string(), s))
            } else {
                let text = std::fs::read_to_string(f).map_err(|e| format!("{f}: {e}"))?;
                Ok((f.clone(), text))
            }
        })
        .collect()
}

fn print_json_or_text<T: serde::Serialize>(
    output: Output,
    report: &T,
    text: impl FnOnce() -> String,
) -> Result<(), String> {
    match output {
        Output::Json => emit(&format!(
            "{}\n",
            serde_json::to_string_pretty(report).map_err(|e| e.to_string())?
        )),
        Output::Text => emit(&text()),
    }
    Ok(())
}

/// Writes to stdout; a reader that went away (`podplan ... | head`) ends
/// the output quietly instead of panicking as `print!` does.
fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    if out
        .write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .is_err()
    {
        // Nothing more can be shown; the exit code still tells the outcome.
    }
}

fn read_cluster(files: &[String]) -> Result<podplan::model::Cluster, String> {
    let texts = read_files(files)?;
    let inputs: Vec<Input> = texts.iter().map(|(n, t)| Input::new(n, t)).collect();
    let cluster = read_scenario(&inputs).map_err(|e| e.to_string())?;
    for w in &cluster.warnings {
        eprintln!("warning: {w}");
    }
    Ok(cluster)
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let started = web_time::Instant::now();
    match cli.command {
        Command::Place {
            files,
            time_limit,
            repack,
            output,
        } => plan_command(&files, time_limit, repack, output, started, place),
        Command::Simulate {
            files,
            time_limit,
            output,
        } => plan_command(&files, time_limit, false, output, started, simulate),
        Command::Generate {
            ladder: Some(size),
            seed,
            ..
        } => {
            let size = LadderSize::parse(&size)
                .ok_or_else(|| format!("unknown ladder size {size:?} (xs, s, m, l, xl)"))?;
            emit(&format!("{}\n", ladder(size, seed)));
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            ladder: None,
            drain_workloads: Some(workloads),
            nodes,
            bound_pods,
            seed,
            ..
        } => {
            let options = DrainScenarioOptions {
                nodes,
                pods: bound_pods,
                workloads,
                seed,
            };
            emit(&format!("{}\n", drain_scenario(&options)));
            Ok(ExitCode::SUCCESS)
        }
        Command::Generate {
            ladder: None,
            drain_workloads: None,
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
            emit(&format!("{}\n", generate(&options)));
            Ok(ExitCode::SUCCESS)
        }
        Command::Drain {
            files,
            nodes,
            pool,
            surge,
            max_unavailable,
            force,
            delete_emptydir_data,
            output,
        } => {
            let cluster = read_cluster(&files)?;
            let options = podplan::DrainOptions {
                nodes,
                pool,
                surge,
                max_unavailable,
                force,
                delete_emptydir_data,
            };
            let report = podplan::drain(&cluster, &options).map_err(|e| e.to_string())?;
            print_json_or_text(output, &report, || report.to_text())?;
            Ok(if report.feasible {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Headroom {
            files,
            pod,
            workload,
            with_pools,
            time_limit,
            output,
        } => {
            let cluster = read_cluster(&files)?;
            let pod = match pod {
                Some(file) => {
                    let (file, text) = read_files(&[file])?.pop().ok_or("no pod manifest")?;
                    Some(podplan::report::headroom::PodManifest { file, text })
                }
                None => None,
            };
            let options = podplan::HeadroomOptions {
                workload,
                pod,
                with_pools,
                time_limit,
                ..Default::default()
            };
            let report = podplan::headroom(&cluster, &options).map_err(|e| e.to_string())?;
            print_json_or_text(output, &report, || report.to_text())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain {
            files,
            pod,
            summary,
            with_pools,
            output,
        } => {
            let cluster = read_cluster(&files)?;
            let options = ExplainOptions {
                pod,
                summary,
                with_pools,
            };
            let report = explain(&cluster, &options).map_err(|e| e.to_string())?;
            print_json_or_text(output, &report, || report.to_text())?;
            Ok(if report.any_unschedulable() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
    }
}

/// `place` and `simulate`: read, run with what is left of the time limit
/// after parsing, print.
fn plan_command(
    files: &[String],
    time_limit: f64,
    repack: bool,
    output: Output,
    started: web_time::Instant,
    operation: fn(&podplan::model::Cluster, &PlaceOptions) -> podplan::Result<podplan::PlaceReport>,
) -> Result<ExitCode, String> {
    let cluster = read_cluster(files)?;
    // The limit covers parsing too.
    let left = (time_limit - started.elapsed().as_secs_f64()).max(0.05);
    let options = PlaceOptions {
        time_limit: left,
        repack,
    };
    let report = operation(&cluster, &options).map_err(|e| e.to_string())?;
    print_json_or_text(output, &report, || report.to_text())?;
    Ok(exit_for(&report))
}

/// Exit 1 when the plan leaves a pod pending.
fn exit_for(report: &podplan::PlaceReport) -> ExitCode {
    if report.unplaced.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
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
