//! The `podplan` command line: reads files, calls one library operation,
//! prints its report. No planning logic lives here. Both binaries,
//! `podplan` and `kubectl-podplan` (the name kubectl runs plugins by), are
//! this module's [`main`].

#![warn(clippy::too_many_lines)]

use clap::{Args, Parser, Subcommand, ValueEnum};
use podplan::generate::{
    add_api_fields, drain_scenario, generate, ladder, DrainScenarioOptions, GenerateOptions,
    LadderSize,
};
use podplan::{
    explain, place, read_scenario_with, simulate, ExplainOptions, Input, Limits, PlaceOptions,
};
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
    /// The JSON report (docs/reports.md).
    Json,
    /// The same report as YAML (as `kubectl -o yaml`).
    Yaml,
}

#[derive(Subcommand)]
enum Command {
    /// Why is each pending pod (un)schedulable: kube-scheduler's filter phase.
    Explain(ExplainArgs),
    /// Where should the pending pods go, and which nodes to add, at least cost.
    Place(PlaceArgs),
    /// What kube-scheduler and cluster-autoscaler would do: the baseline.
    Simulate(SimulateArgs),
    /// Can these nodes be emptied without breaking a PodDisruptionBudget,
    /// what blocks it, and in what waves.
    Drain(DrainArgs),
    /// How many more copies of a pod fit (cluster-capacity).
    Headroom(HeadroomArgs),
    /// Write a generated multi-tenant scenario (a kubectl-style List) to stdout.
    Generate(GenerateArgs),
    /// The same scenario before and after a change: pods that become
    /// (un)schedulable, place cost, headroom, drain.
    Diff(DiffArgs),
    /// Which VM size for a pool: place with each candidate size and with a
    /// mix of the two cheapest, cheapest first.
    Sizes(SizesArgs),
    /// The price of isolation: the tenants on shared pools, on dedicated
    /// pools, and in a cluster each, planned from scratch, with the
    /// differences split into causes.
    Tenancy(TenancyArgs),
    /// Shell completions for bash, zsh, fish, elvish or PowerShell:
    /// `source <(podplan completions bash)`.
    Completions(CompletionsArgs),
}

/// The arguments of `podplan completions`.
#[derive(Args)]
struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// The limits a scenario is read and planned within (docs/input.md,
/// "Limits"): beyond one, podplan stops with an error naming the object.
#[derive(Args)]
#[command(next_help_heading = "Limits")]
struct LimitArgs {
    /// Most pods in the scenario: Pod objects and the replicas workloads
    /// still have to create.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_pods)]
    max_pods: usize,
    /// Most replicas one workload may ask for.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_workload_replicas)]
    max_replicas: u32,
    /// Most nodes per pool (a NodePool's maxCount and minCount; AKS allows
    /// 1,000); a NodePool's spec.nodeLimit replaces it for that pool.
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_pool_nodes)]
    max_pool_nodes: u32,
    /// Most nodes in the cluster: existing, added to reach minCount, and
    /// added by a plan (Kubernetes supports 5,000).
    #[arg(long, value_name = "N", default_value_t = Limits::default().max_nodes)]
    max_nodes: usize,
    /// Most bytes of input, and of the names and labels workload replicas
    /// copy from their templates.
    #[arg(long, value_name = "BYTES", default_value_t = Limits::default().max_input_bytes)]
    max_input_bytes: usize,
}

impl LimitArgs {
    /// The library's limits.
    fn limits(&self) -> Limits {
        Limits {
            max_pods: self.max_pods,
            max_workload_replicas: self.max_replicas,
            max_pool_nodes: self.max_pool_nodes,
            max_nodes: self.max_nodes,
            max_input_bytes: self.max_input_bytes,
        }
    }
}

/// The arguments of `podplan sizes`.
#[derive(Args)]
struct SizesArgs {
    /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// The pool whose VM size is varied.
    #[arg(long, required = true)]
    pool: String,
    /// Candidate VM sizes (comma-separated catalogue names).
    #[arg(long, value_delimiter = ',', conflicts_with = "family")]
    candidates: Vec<String>,
    /// Candidate families (comma-separated, e.g. Dsv5,Esv5,Fsv2); with
    /// neither this nor --candidates, the family of the pool's size.
    #[arg(long, value_delimiter = ',')]
    family: Vec<String>,
    /// Region for prices; default the pool's region, else eastus.
    #[arg(long)]
    region: Option<String>,
    /// Prices (CSV, docs/input.md) consulted before the built-in ones.
    #[arg(long, value_name = "FILE.csv")]
    prices: Option<String>,
    /// Wall-clock budget in seconds for all the place runs together.
    #[arg(long, default_value_t = 20.0)]
    time_limit: f64,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The arguments of `podplan tenancy`.
#[derive(Args)]
struct TenancyArgs {
    /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// How pods are grouped into tenants: `namespace`, or `label:KEY`.
    #[arg(long, default_value = "namespace")]
    tenant_by: String,
    /// Only these tenants (comma-separated); the others' pods are left out.
    #[arg(long, value_delimiter = ',')]
    tenants: Vec<String>,
    /// Hourly fee of each cluster's control plane (AKS Standard tier
    /// 0.10; 0 for the Free tier).
    #[arg(long, default_value_t = 0.10)]
    control_plane_cost: f64,
    /// `shared` is the cluster as it runs: its nodes (at their pool's
    /// price) and the pods bound to them stay, pending pods are planned.
    #[arg(long, conflicts_with = "tenants")]
    keep_existing: bool,
    /// Wall-clock budget in seconds for all the `place` runs: a third
    /// per layout, the clusters of dedicated-clusters sharing theirs.
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    limits: LimitArgs,
}

/// `place --pool-sizes`.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum PoolSizes {
    /// The scenario's pools only.
    Given,
    /// Beside each pool with a catalogue VM size, a pool `<pool>-<size>`
    /// for every other priced size of its family.
    Auto,
}

/// The arguments of `podplan diff`.
#[derive(Args)]
struct DiffArgs {
    /// The base scenario's files (JSON or YAML, merged in order).
    #[arg(required = true)]
    files: Vec<String>,
    /// The change's files: their objects replace or add to the base's (by
    /// kind, namespace and name); with the annotation
    /// `podplan.dev/delete: "true"` they delete them.
    #[arg(long = "with", value_name = "CHANGE", required = true, num_args = 1..)]
    change: Vec<String>,
    /// Also drain this pool before and after the change.
    #[arg(long, value_name = "POOL")]
    drain_pool: Option<String>,
    /// Wall-clock budget in seconds: place before and place after get
    /// half each, as does each headroom run.
    #[arg(long, default_value_t = 5.0)]
    time_limit: f64,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The arguments of `podplan explain`.
#[derive(Args)]
struct ExplainArgs {
    /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// Only this pending pod (NAMESPACE/NAME).
    #[arg(long)]
    pod: Option<String>,
    /// Reason histogram instead of per-node detail.
    #[arg(long)]
    summary: bool,
    /// Also consider one new node of each pool; a pool at its maxCount
    /// offers none (its node is rejected by ClusterAutoscaler).
    #[arg(long)]
    with_pools: bool,
    /// For each pod that fits no existing node, the smallest changes that
    /// make it fit, each proven by re-running the filters, with JSON
    /// patches for `kubectl patch --type=json`.
    #[arg(long)]
    fix: bool,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The arguments of `podplan place`.
#[derive(Args)]
struct PlaceArgs {
    /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// Wall-clock limit in seconds (parsing included).
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
    /// Let bound pods move too: consolidation (which existing nodes can go).
    #[arg(long)]
    repack: bool,
    /// `auto`: let place choose among the VM sizes of each pool's family
    /// (new pools `<pool>-<size>`, priced from the catalogue).
    #[arg(long, value_enum, default_value_t = PoolSizes::Given)]
    pool_sizes: PoolSizes,
    /// Prices (CSV, docs/input.md) for pools without costPerHour,
    /// consulted before the built-in ones.
    #[arg(long, value_name = "FILE.csv")]
    prices: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The arguments of `podplan simulate`.
#[derive(Args)]
struct SimulateArgs {
    /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// Wall-clock limit in seconds (parsing included).
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
    /// Prices (CSV, docs/input.md) for pools without costPerHour,
    /// consulted before the built-in ones.
    #[arg(long, value_name = "FILE.csv")]
    prices: Option<String>,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The arguments of `podplan drain`.
#[derive(Args)]
struct DrainArgs {
    /// Scenario files (JSON or YAML, merged in order); `-` reads stdin.
    #[arg(required = true)]
    files: Vec<String>,
    /// Nodes to drain (comma-separated names).
    #[arg(long, value_delimiter = ',', required_unless_present = "pool")]
    nodes: Vec<String>,
    /// Drain every node of this pool.
    #[arg(long)]
    pool: Option<String>,
    /// New nodes of the pool available from the first wave (AKS max
    /// surge), clipped to what the pool's maxCount allows.
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
    #[command(flatten)]
    limits: LimitArgs,
}

/// The arguments of `podplan headroom`.
#[derive(Args)]
struct HeadroomArgs {
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
    /// Prices (CSV, docs/input.md) for pools without costPerHour,
    /// consulted before the built-in ones.
    #[arg(long, value_name = "FILE.csv")]
    prices: Option<String>,
    /// Wall-clock limit in seconds for adding copies (parsing excluded).
    #[arg(long, default_value_t = 10.0)]
    time_limit: f64,
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Output::Text)]
    output: Output,
    #[command(flatten)]
    limits: LimitArgs,
}

/// The arguments of `podplan generate`.
#[derive(Args)]
struct GenerateArgs {
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
    /// Add the fields the API server and kubelet write (uid, managedFields,
    /// annotations, full status), which podplan skips: a dump as heavy as
    /// `kubectl get -o json` prints, for measuring reading speed.
    #[arg(long)]
    api_fields: bool,
}

/// An input file's bytes: stdin is read into memory, a file is mapped.
enum FileBytes {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl FileBytes {
    /// The bytes as text, or an error naming `name` and the first bad byte.
    fn text(&self, name: &str) -> Result<&str, String> {
        let bytes = match self {
            FileBytes::Read(bytes) => bytes.as_slice(),
            FileBytes::Mapped(map) => &map[..],
        };
        std::str::from_utf8(bytes).map_err(|e| {
            format!(
                "{name}: not UTF-8 text (invalid byte at offset {})",
                e.valid_up_to()
            )
        })
    }
}

/// The bytes of `file`; `-` is stdin.
fn file_bytes(file: &str) -> Result<FileBytes, String> {
    if file == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| format!("<stdin>: {e}"))?;
        return Ok(FileBytes::Read(bytes));
    }
    let opened = std::fs::File::open(file).map_err(|e| format!("{file}: {e}"))?;
    let metadata = opened.metadata().map_err(|e| format!("{file}: {e}"))?;
    if !metadata.is_file() || metadata.len() == 0 {
        // Pipes, devices and empty files cannot be mapped; read them.
        let mut bytes = Vec::new();
        (&opened)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{file}: {e}"))?;
        return Ok(FileBytes::Read(bytes));
    }
    // SAFETY: the map is read-only and lives until the scenario is read.
    // Mapping spares copying a large dump into fresh memory (about 0.2 s
    // for 300 MB); a file truncated by another process while it is being
    // read would fault, a risk every mapping reader (ripgrep, git) accepts.
    unsafe { memmap2::Mmap::map(&opened) }
        .map(FileBytes::Mapped)
        .map_err(|e| format!("{file}: {e}"))
}

/// The files' display names (`-` is `<stdin>`) and bytes.
fn read_files(files: &[String]) -> Result<Vec<(String, FileBytes)>, String> {
    files
        .iter()
        .map(|f| {
            let name = if f == "-" { "<stdin>" } else { f.as_str() };
            Ok((name.to_string(), file_bytes(f)?))
        })
        .collect()
}

/// Prints `report` as pretty JSON, or the text view `text` makes.
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
        Output::Yaml => emit(&serde_norway::to_string(report).map_err(|e| e.to_string())?),
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

/// The scenario of `files` priced with the price file `prices` (if any),
/// its warnings printed on stderr.
fn read_priced_cluster(
    files: &[String],
    prices: Option<&podplan::prices::PriceTable>,
    limits: &LimitArgs,
) -> Result<podplan::model::Cluster, String> {
    let mut cluster = read_quiet_cluster(files, limits)?;
    if let Some(table) = prices {
        cluster.apply_prices(table);
    }
    for w in &cluster.warnings {
        eprintln!("warning: {w}");
    }
    Ok(cluster)
}

/// The price table of a `--prices` file.
fn read_prices(file: &str) -> Result<podplan::prices::PriceTable, String> {
    let (name, bytes) = read_files(&[file.to_string()])?
        .pop()
        .ok_or("no price file")?;
    podplan::prices::PriceTable::parse(&name, bytes.text(&name)?).map_err(|e| e.to_string())
}

/// The scenario of `files`, its warnings printed on stderr.
fn read_cluster(files: &[String], limits: &LimitArgs) -> Result<podplan::model::Cluster, String> {
    read_priced_cluster(files, None, limits)
}

/// The scenario of `files` within `limits`, warnings not printed.
fn read_quiet_cluster(
    files: &[String],
    limits: &LimitArgs,
) -> Result<podplan::model::Cluster, String> {
    let files = read_files(files)?;
    let inputs = files
        .iter()
        .map(|(name, bytes)| Ok(Input::new(name, bytes.text(name)?)))
        .collect::<Result<Vec<Input>, String>>()?;
    let started = web_time::Instant::now();
    let cluster = read_scenario_with(&inputs, &limits.limits()).map_err(|e| e.to_string())?;
    if std::env::var_os("PODPLAN_DEBUG").is_some() {
        let bytes: usize = inputs.iter().map(|i| i.text.len()).sum();
        eprintln!(
            "{:>8} ms  read {:.1} MB into the model",
            started.elapsed().as_millis(),
            bytes as f64 / 1e6
        );
    }
    Ok(cluster)
}

/// Runs the parsed command; `Err` is a message for stderr (exit 2).
fn run(cli: Cli) -> Result<ExitCode, String> {
    let started = web_time::Instant::now();
    match cli.command {
        Command::Explain(args) => explain_command(args),
        Command::Place(args) => plan_command(
            &PlanSetup {
                files: &args.files,
                prices: args.prices.as_deref(),
                pool_sizes: args.pool_sizes,
                limits: &args.limits,
            },
            args.time_limit,
            args.repack,
            args.output,
            started,
            place,
        ),
        Command::Simulate(args) => plan_command(
            &PlanSetup {
                files: &args.files,
                prices: args.prices.as_deref(),
                pool_sizes: PoolSizes::Given,
                limits: &args.limits,
            },
            args.time_limit,
            false,
            args.output,
            started,
            simulate,
        ),
        Command::Sizes(args) => sizes_command(args),
        Command::Drain(args) => drain_command(args),
        Command::Headroom(args) => headroom_command(args),
        Command::Generate(args) => generate_command(args),
        Command::Diff(args) => diff_command(args),
        Command::Tenancy(args) => tenancy_command(args),
        Command::Completions(args) => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let name = command.get_name().to_string();
            clap_complete::generate(args.shell, &mut command, name, &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `explain`: exit 1 when some pod fits no node.
fn explain_command(args: ExplainArgs) -> Result<ExitCode, String> {
    let cluster = read_cluster(&args.files, &args.limits)?;
    let options = ExplainOptions {
        pod: args.pod,
        summary: args.summary,
        with_pools: args.with_pools,
        fix: args.fix,
    };
    let report = explain(&cluster, &options).map_err(|e| e.to_string())?;
    print_json_or_text(args.output, &report, || report.to_text())?;
    free_at_exit(cluster);
    Ok(exit_code(report.any_unschedulable()))
}

/// `drain`: exit 1 when the drain cannot finish.
fn drain_command(args: DrainArgs) -> Result<ExitCode, String> {
    let cluster = read_cluster(&args.files, &args.limits)?;
    let options = podplan::DrainOptions {
        nodes: args.nodes,
        pool: args.pool,
        surge: args.surge,
        max_unavailable: args.max_unavailable,
        force: args.force,
        delete_emptydir_data: args.delete_emptydir_data,
    };
    let report = podplan::drain(&cluster, &options).map_err(|e| e.to_string())?;
    print_json_or_text(args.output, &report, || report.to_text())?;
    free_at_exit(cluster);
    Ok(exit_code(!report.feasible))
}

/// `headroom`: copies of the manifest of `--pod`, else of `--workload`'s
/// pod template. The scenario is read first, so its errors come first.
fn headroom_command(args: HeadroomArgs) -> Result<ExitCode, String> {
    let prices = args.prices.as_deref().map(read_prices).transpose()?;
    let cluster = read_priced_cluster(&args.files, prices.as_ref(), &args.limits)?;
    let pod = match args.pod {
        Some(file) => Some(read_pod_manifest(file)?),
        None => None,
    };
    let options = podplan::HeadroomOptions {
        workload: args.workload,
        pod,
        with_pools: args.with_pools,
        time_limit: args.time_limit,
        ..Default::default()
    };
    let report = podplan::headroom(&cluster, &options).map_err(|e| e.to_string())?;
    print_json_or_text(args.output, &report, || report.to_text())?;
    free_at_exit(cluster);
    Ok(ExitCode::SUCCESS)
}

/// `diff`: exit 1 when the change makes a pod unschedulable that was not.
fn diff_command(args: DiffArgs) -> Result<ExitCode, String> {
    let base = read_files(&args.files)?;
    let change = read_files(&args.change)?;
    let options = podplan::DiffOptions {
        time_limit: args.time_limit,
        drain_pool: args.drain_pool,
        limits: args.limits.limits(),
    };
    let report = podplan::diff(&diff_inputs(&base)?, &diff_inputs(&change)?, &options)
        .map_err(|e| e.to_string())?;
    print_json_or_text(args.output, &report, || report.to_text())?;
    Ok(exit_code(report.newly_unschedulable))
}

/// `tenancy`: exit 1 when a layout leaves a pod pending.
fn tenancy_command(args: TenancyArgs) -> Result<ExitCode, String> {
    let cluster = read_cluster(&args.files, &args.limits)?;
    let options = podplan::TenancyOptions {
        tenant_by: args.tenant_by,
        tenants: args.tenants,
        control_plane_cost: args.control_plane_cost,
        keep_existing: args.keep_existing,
        time_limit: args.time_limit,
    };
    let report = podplan::tenancy(&cluster, &options).map_err(|e| e.to_string())?;
    print_json_or_text(args.output, &report, || report.to_text())?;
    free_at_exit(cluster);
    let unplaced = report
        .layouts
        .iter()
        .flat_map(|l| &l.runs)
        .any(|r| !r.unplaced.is_empty());
    Ok(exit_code(unplaced))
}

/// The inputs of `diff`'s files.
fn diff_inputs(files: &[(String, FileBytes)]) -> Result<Vec<Input<'_>>, String> {
    files
        .iter()
        .map(|(name, bytes)| Ok(Input::new(name, bytes.text(name)?)))
        .collect()
}

/// The Pod manifest of `headroom --pod FILE`, as read.
fn read_pod_manifest(file: String) -> Result<podplan::report::headroom::PodManifest, String> {
    let (file, bytes) = read_files(&[file])?.pop().ok_or("no pod manifest")?;
    let text = bytes.text(&file)?.to_string();
    Ok(podplan::report::headroom::PodManifest { file, text })
}

/// `generate`: a ladder instance when `--ladder` is given, else a running
/// cluster to drain when `--drain-workloads` is, else the explain-style
/// cluster; printed as one line of JSON.
fn generate_command(args: GenerateArgs) -> Result<ExitCode, String> {
    let mut scenario = match (args.ladder, args.drain_workloads) {
        (Some(size), _) => {
            let size = LadderSize::parse(&size)
                .ok_or_else(|| format!("unknown ladder size {size:?} (xs, s, m, l, xl)"))?;
            ladder(size, args.seed)
        }
        (None, Some(workloads)) => drain_scenario(&DrainScenarioOptions {
            nodes: args.nodes,
            pods: args.bound_pods,
            workloads,
            seed: args.seed,
        }),
        (None, None) => generate(&GenerateOptions {
            nodes: args.nodes,
            bound_pods: args.bound_pods,
            pending_pods: args.pending_pods,
            pending_workloads: args.pending_workloads,
            seed: args.seed,
        }),
    };
    if args.api_fields {
        add_api_fields(&mut scenario);
    }
    emit(&format!("{scenario}\n"));
    Ok(ExitCode::SUCCESS)
}

/// `sizes`: exit 1 when no candidate places every pod.
fn sizes_command(args: SizesArgs) -> Result<ExitCode, String> {
    let prices = args.prices.as_deref().map(read_prices).transpose()?;
    let cluster = read_priced_cluster(&args.files, prices.as_ref(), &args.limits)?;
    let options = podplan::SizesOptions {
        pool: args.pool,
        candidates: args.candidates,
        families: args.family,
        region: args.region,
        time_limit: args.time_limit,
        prices,
    };
    let report = podplan::sizes(&cluster, &options).map_err(|e| e.to_string())?;
    print_json_or_text(args.output, &report, || report.to_text())?;
    free_at_exit(cluster);
    Ok(exit_code(report.best().is_none_or(|r| r.unplaced > 0)))
}

/// What `place` and `simulate` read: the files, a price file, and whether
/// to add candidate pools of other VM sizes.
struct PlanSetup<'a> {
    files: &'a [String],
    prices: Option<&'a str>,
    pool_sizes: PoolSizes,
    limits: &'a LimitArgs,
}

/// `place` and `simulate`: read, run with what is left of the time limit
/// after parsing, print; exit 1 when the plan leaves a pod pending.
fn plan_command(
    setup: &PlanSetup,
    time_limit: f64,
    repack: bool,
    output: Output,
    started: web_time::Instant,
    operation: fn(&podplan::model::Cluster, &PlaceOptions) -> podplan::Result<podplan::PlaceReport>,
) -> Result<ExitCode, String> {
    let table = setup.prices.map(read_prices).transpose()?;
    let mut cluster = read_priced_cluster(setup.files, table.as_ref(), setup.limits)?;
    if setup.pool_sizes == PoolSizes::Auto {
        let (wider, notes) = podplan::with_pool_sizes(&cluster, table.as_ref());
        for n in notes {
            eprintln!("note: {n}");
        }
        cluster = wider;
    }
    // The limit covers parsing too.
    let left = (time_limit - started.elapsed().as_secs_f64()).max(0.05);
    let options = PlaceOptions {
        time_limit: left,
        repack,
    };
    let report = operation(&cluster, &options).map_err(|e| e.to_string())?;
    debug_time(started, "planned");
    print_json_or_text(output, &report, || report.to_text())?;
    debug_time(started, "printed");
    free_at_exit(cluster);
    Ok(exit_code(!report.unplaced.is_empty()))
}

/// The process ends right after a command: freeing a 150,000-pod cluster
/// object by object would cost about a tenth of a second and buys nothing.
fn free_at_exit(cluster: podplan::model::Cluster) {
    std::mem::forget(cluster);
}

/// Exit 1 when the answer is "no" (a pod unschedulable or left pending, a
/// drain blocked), else 0.
fn exit_code(no: bool) -> ExitCode {
    if no {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Parses the command line, runs it, and turns an error into its message
/// on stderr and exit 2.
pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// With `PODPLAN_DEBUG` set, the time since `started` and what was done by
/// then, on stderr (as the library's trace prints its steps).
fn debug_time(started: web_time::Instant, what: &str) {
    if std::env::var_os("PODPLAN_DEBUG").is_some() {
        eprintln!(
            "{:>8} ms  {what} (since the command started)",
            started.elapsed().as_millis()
        );
    }
}
