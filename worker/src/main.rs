//! `crucible-worker`: the provider's worker client.
//!
//! It runs the attestation challenges of the provider's devices (seeded INT8 GEMMs, see
//! `crucible_primitives::challenge`) on the CPU backend, checks its own output before it
//! commits, and will serve row openings to validators (the chain client and HTTP API land with
//! the attestation pallet). Subcommands: `key generate|inspect`, `inventory`, `bench`,
//! `selftest`. Exit codes are in [`exit`].

mod bench;
mod config;
mod engine;
mod exit;
mod gemm;
mod inventory;
mod key;
mod selftest;

use clap::{Parser, Subcommand};
use crucible_primitives::challenge::Shape;
use exit::Exit;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "crucible-worker", version, about = "Crucible's worker client")]
struct Cli {
	/// The TOML configuration.
	#[arg(long, global = true)]
	config: Option<PathBuf>,
	#[command(subcommand)]
	command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
	/// Create or show the worker key.
	Key {
		#[command(subcommand)]
		action: KeyAction,
	},
	/// The GPUs (NVML), the CPU kernels and the configured device map.
	Inventory {
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Measure the CPU backend on one shape.
	Bench {
		/// The backend (only `cpu` in this build).
		#[arg(long, default_value = "cpu")]
		backend: String,
		/// K,N,ROWS.
		#[arg(long, default_value = "1024,256,3815")]
		shape: String,
		/// Seconds to run (at least one device run).
		#[arg(long, default_value_t = 5.0)]
		seconds: f64,
		/// Threads (0: every core).
		#[arg(long, default_value_t = 0)]
		threads: usize,
		/// The kernel: auto, avx512-vnni, avx2 or scalar.
		#[arg(long, default_value = "auto")]
		kernel: String,
		/// Print JSON.
		#[arg(long)]
		json: bool,
	},
	/// Check the challenge vectors, every kernel against the reference, and the self-check.
	Selftest,
}

#[derive(Subcommand, Debug)]
enum KeyAction {
	/// Write a new key (hex seed, mode 0600) and print its public key.
	Generate {
		/// The key file to create (never overwritten).
		#[arg(long)]
		out: PathBuf,
	},
	/// Print the public key of a key file.
	Inspect {
		/// The key file.
		#[arg(long)]
		file: PathBuf,
	},
}

fn load_config(path: &Option<PathBuf>) -> Result<Option<config::Config>, Exit> {
	let Some(path) = path else { return Ok(None) };
	let text = std::fs::read_to_string(path)
		.map_err(|e| Exit::new(exit::BAD_CONFIG, format!("{}: {e}", path.display())))?;
	config::Config::parse(&text)
		.map(Some)
		.map_err(|e| Exit::new(exit::BAD_CONFIG, format!("{}: {e}", path.display())))
}

fn threads(n: usize) -> usize {
	if n == 0 {
		std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
	} else {
		n
	}
}

fn kernel(name: &str) -> Result<gemm::Kernel, Exit> {
	let available = gemm::Kernel::available();
	if name == "auto" {
		return Ok(available[0]);
	}
	available.into_iter().find(|k| k.name() == name).ok_or_else(|| {
		Exit::new(
			exit::BACKEND_UNAVAILABLE,
			format!("kernel {name:?} is not available on this CPU"),
		)
	})
}

fn run(cli: Cli) -> Result<(), Exit> {
	match cli.command {
		Command::Key { action: KeyAction::Generate { out } } => {
			println!("{}", key::describe(&key::generate(&out)?));
		}
		Command::Key { action: KeyAction::Inspect { file } } => {
			println!("{}", key::describe(&key::load(&file)?));
		}
		Command::Inventory { json } => {
			let config = load_config(&cli.config)?;
			let inv = inventory::read(config.as_ref(), &|_| None);
			if json {
				println!("{}", serde_json::to_string_pretty(&inv).expect("serializable"));
			} else {
				print!("{}", inv.text());
			}
		}
		Command::Bench { backend, shape, seconds, threads: t, kernel: k, json } => {
			if backend != "cpu" {
				return Err(Exit::new(
					exit::BACKEND_UNAVAILABLE,
					format!("backend {backend:?}: this build has only cpu"),
				));
			}
			let parts: Vec<u32> = shape.split(',').filter_map(|p| p.trim().parse().ok()).collect();
			let (k_dim, n_dim, rows) = match parts[..] {
				[k, n, r] if r > 0 => (k, n, r),
				_ => {
					return Err(Exit::new(
						exit::BAD_CONFIG,
						format!("--shape {shape:?}: want K,N,ROWS"),
					))
				}
			};
			let shape = Shape::new(k_dim, n_dim).ok_or_else(|| {
				Exit::new(
					exit::BAD_CONFIG,
					"--shape: K and N are multiples of 64, K <= 65536, N <= 16384",
				)
			})?;
			let report = bench::run(kernel(&k)?, shape, rows, seconds, threads(t));
			if json {
				println!("{}", serde_json::to_string_pretty(&report).expect("serializable"));
			} else {
				println!("{}", report.text());
			}
		}
		Command::Selftest => match selftest::run() {
			Ok(lines) => println!("{}\nselftest passed", lines.join("\n")),
			Err(lines) => {
				return Err(Exit::new(
					exit::OTHER,
					format!("{}\nselftest FAILED", lines.join("\n")),
				))
			}
		},
	}
	Ok(())
}

fn main() {
	let cli = Cli::parse();
	match run(cli) {
		Ok(()) => std::process::exit(exit::OK),
		Err(e) => {
			eprintln!("{}", e.message);
			std::process::exit(e.code);
		}
	}
}
