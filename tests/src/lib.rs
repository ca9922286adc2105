//! End-to-end test harness: starts the real `crucible-node` binary in a temporary directory on
//! free ports, and talks to it over JSON-RPC (jsonrpsee) with extrinsics built from the
//! runtime's own types and signed with sr25519 keys.
//!
//! Every node started here is killed when its [`Node`] is dropped.

use codec::{Decode, Encode};
use crucible_primitives::{AccountId, Balance, BlockNumber, Hash, Nonce};
use crucible_runtime::{
	Address, Runtime, RuntimeCall, RuntimeEvent, SignedPayload, TxExtension, UncheckedExtrinsic,
};
use frame_metadata_hash_extension::CheckMetadataHash;
use jsonrpsee::{
	core::client::{ClientT, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use serde_json::Value;
use sp_core::{sr25519, Pair};
use sp_keyring::Sr25519Keyring;
use sp_runtime::{generic::Era, MultiSignature};
use std::{
	net::TcpListener,
	path::{Path, PathBuf},
	process::{Child, Command, Stdio},
	time::{Duration, Instant},
};

pub use jsonrpsee;

/// The result of a JSON-RPC call.
pub type RpcResult<T> = Result<T, jsonrpsee::core::client::Error>;

/// The events of one block, as the runtime records them.
pub type EventRecords = Vec<frame_system::EventRecord<RuntimeEvent, Hash>>;

/// Path of the `crucible-node` binary built next to this test binary (same profile, same
/// target directory), or `$CRUCIBLE_NODE`.
pub fn node_binary() -> PathBuf {
	if let Ok(path) = std::env::var("CRUCIBLE_NODE") {
		return PathBuf::from(path);
	}
	// target/<profile>/deps/<test binary>
	let exe = std::env::current_exe().expect("test binary path");
	let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
	let node = profile_dir.join("crucible-node");
	assert!(
		node.is_file(),
		"{} not found: build it first (`make test` does: cargo build --release --workspace --bins)",
		node.display()
	);
	node
}

/// The repository root.
pub fn repo_root() -> PathBuf {
	Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ is in the repo").to_path_buf()
}

/// A free TCP port on 127.0.0.1, never one this process handed out before (tests run in
/// parallel threads: two nodes asking at once would otherwise be told the same port).
pub fn free_port() -> u16 {
	static HANDED_OUT: std::sync::Mutex<std::collections::BTreeSet<u16>> =
		std::sync::Mutex::new(std::collections::BTreeSet::new());
	let mut handed_out = HANDED_OUT.lock().unwrap_or_else(|e| e.into_inner());
	loop {
		let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
		if handed_out.insert(port) {
			return port;
		}
	}
}

/// A running `crucible-node`.
pub struct Node {
	child: Child,
	/// The node's JSON-RPC port (HTTP and WebSocket).
	pub rpc_port: u16,
	/// The node's p2p port.
	pub p2p_port: u16,
	/// The node's Prometheus port.
	pub prometheus_port: u16,
	dir: tempfile::TempDir,
}

/// How to start a node.
pub struct NodeBuilder {
	chain: String,
	args: Vec<String>,
}

impl NodeBuilder {
	/// A node of chain `chain` (`dev`, `local`, `testnet` or a file).
	pub fn new(chain: &str) -> Self {
		Self { chain: chain.into(), args: Vec::new() }
	}

	/// Add command-line arguments.
	pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
		self.args.extend(args.into_iter().map(Into::into));
		self
	}

	/// Start the node and wait until its RPC answers.
	pub async fn spawn(self) -> Node {
		let dir = tempfile::tempdir().expect("temp dir");
		let (rpc_port, p2p_port, prometheus_port) = (free_port(), free_port(), free_port());
		let log = std::fs::File::create(dir.path().join("node.log")).expect("log file");
		// A validator refuses to invent its network identity; give each node its own.
		let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
		let node_key = <sp_runtime::traits::BlakeTwo256 as sp_runtime::traits::Hash>::hash(
			&(rpc_port, p2p_port, nanos.as_nanos()).encode(),
		);
		let mut command = Command::new(node_binary());
		// The node dies with the thread that spawned it (this test's thread), even if the test
		// process is killed before `Node`'s drop runs.
		// SAFETY: prctl is async-signal-safe; nothing else runs between fork and exec.
		unsafe {
			use std::os::unix::process::CommandExt;
			command.pre_exec(|| {
				if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong) != 0 {
					return Err(std::io::Error::last_os_error());
				}
				Ok(())
			});
		}
		let child = command
			.arg("--chain")
			.arg(&self.chain)
			.arg("--base-path")
			.arg(dir.path().join("data"))
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--prometheus-port", &prometheus_port.to_string()])
			.args(["--node-key", &hex::encode(node_key.as_bytes())])
			.args(["--no-telemetry", "--no-mdns"])
			.args(["--listen-addr", &format!("/ip4/127.0.0.1/tcp/{p2p_port}")])
			.args(&self.args)
			.stdin(Stdio::null())
			.stdout(log.try_clone().unwrap())
			.stderr(log)
			.spawn()
			.expect("crucible-node starts");
		let mut node = Node { child, rpc_port, p2p_port, prometheus_port, dir };
		node.wait_for_rpc().await;
		node
	}
}

impl Node {
	/// A single-validator development node (Alice authors and finalizes).
	pub async fn dev() -> Node {
		NodeBuilder::new("dev").args(["--alice", "--validator", "--force-authoring"]).spawn().await
	}

	/// The node's WebSocket RPC URL.
	pub fn ws_url(&self) -> String {
		format!("ws://127.0.0.1:{}", self.rpc_port)
	}

	/// The node's data directory.
	pub fn dir(&self) -> &Path {
		self.dir.path()
	}

	/// The node's log so far (for failure messages).
	pub fn log(&self) -> String {
		std::fs::read_to_string(self.dir.path().join("node.log")).unwrap_or_default()
	}

	async fn wait_for_rpc(&mut self) {
		let deadline = Instant::now() + Duration::from_secs(120);
		loop {
			if let Some(status) = self.child.try_wait().unwrap() {
				panic!("crucible-node exited with {status}:\n{}", self.log());
			}
			if let Ok(client) = WsClientBuilder::default().build(self.ws_url()).await {
				let health: RpcResult<Value> = client.request("system_health", rpc_params![]).await;
				if health.is_ok() {
					return;
				}
			}
			assert!(Instant::now() < deadline, "RPC did not come up:\n{}", self.log());
			tokio::time::sleep(Duration::from_millis(250)).await;
		}
	}

	/// A JSON-RPC connection to the node, with the chain facts needed to sign transactions.
	pub async fn chain(&self) -> Chain {
		Chain::connect(&self.ws_url()).await
	}

	/// Stop the node.
	pub fn kill(&mut self) {
		let _ = self.child.kill();
		let _ = self.child.wait();
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		self.kill();
		if std::thread::panicking() {
			let log = self.log();
			let tail: String = log
				.lines()
				.rev()
				.take(60)
				.collect::<Vec<_>>()
				.into_iter()
				.rev()
				.collect::<Vec<_>>()
				.join("\n");
			eprintln!(
				"---- last lines of the node log ({}) ----\n{tail}",
				self.dir.path().display()
			);
		}
	}
}

/// A JSON-RPC client of one node, with what signing needs.
pub struct Chain {
	/// The raw client, for any method.
	pub rpc: WsClient,
	/// Genesis block hash.
	pub genesis: Hash,
	/// Runtime spec version.
	pub spec_version: u32,
	/// Runtime transaction version.
	pub tx_version: u32,
}

/// The outcome of an extrinsic included in a finalized block.
pub struct Included {
	/// The finalized block that contains it.
	pub block: Hash,
	/// Its index in the block.
	pub index: u32,
	/// The events it emitted (in order).
	pub events: Vec<RuntimeEvent>,
}

impl Included {
	/// Whether it dispatched successfully.
	pub fn succeeded(&self) -> bool {
		self.events.iter().any(|e| {
			matches!(e, RuntimeEvent::System(frame_system::Event::ExtrinsicSuccess { .. }))
		})
	}

	/// Panic unless it dispatched successfully.
	pub fn expect_success(self) -> Self {
		assert!(self.succeeded(), "extrinsic failed: {:?}", self.events);
		self
	}
}

/// The account id of a dev key.
pub fn account(key: Sr25519Keyring) -> AccountId {
	key.to_account_id()
}

impl Chain {
	/// Connect to `url` and read the genesis hash and runtime version.
	pub async fn connect(url: &str) -> Chain {
		let rpc = WsClientBuilder::default()
			.request_timeout(Duration::from_secs(60))
			.build(url)
			.await
			.expect("ws connect");
		let genesis: Hash = rpc.request("chain_getBlockHash", rpc_params![0]).await.unwrap();
		let version: Value = rpc.request("state_getRuntimeVersion", rpc_params![]).await.unwrap();
		let spec_version = version["specVersion"].as_u64().unwrap() as u32;
		let tx_version = version["transactionVersion"].as_u64().unwrap() as u32;
		Chain { rpc, genesis, spec_version, tx_version }
	}

	/// Sign `call` as `signer` with `nonce` (immortal, no tip).
	pub fn sign_with(
		&self,
		call: RuntimeCall,
		signer: &sr25519::Pair,
		nonce: Nonce,
	) -> UncheckedExtrinsic {
		self.sign_claiming(call, AccountId::from(signer.public()), signer, nonce)
	}

	/// Sign `call` with `signer`'s key but name `claimed` as the sender: a forged transaction
	/// whose signature does not verify unless `claimed` is `signer`'s account.
	pub fn sign_claiming(
		&self,
		call: RuntimeCall,
		claimed: AccountId,
		signer: &sr25519::Pair,
		nonce: Nonce,
	) -> UncheckedExtrinsic {
		self.sign_full(call, claimed, signer, nonce, None)
	}

	/// Sign `call` as `signer` with `nonce` in `CheckMetadataHash` mode 1, signing `hash` as
	/// the runtime's metadata hash (as an offline signer does after checking its proof).
	pub fn sign_with_metadata_hash(
		&self,
		call: RuntimeCall,
		signer: &sr25519::Pair,
		nonce: Nonce,
		hash: [u8; 32],
	) -> UncheckedExtrinsic {
		self.sign_full(call, AccountId::from(signer.public()), signer, nonce, Some(hash))
	}

	/// Sign `call` with `signer`'s key, naming `claimed` as the sender; `metadata_hash` picks
	/// `CheckMetadataHash` mode 1 with that hash, `None` mode 0.
	fn sign_full(
		&self,
		call: RuntimeCall,
		claimed: AccountId,
		signer: &sr25519::Pair,
		nonce: Nonce,
		metadata_hash: Option<[u8; 32]>,
	) -> UncheckedExtrinsic {
		let check_metadata = match metadata_hash {
			Some(hash) => CheckMetadataHash::<Runtime>::new_with_custom_hash(hash),
			None => CheckMetadataHash::<Runtime>::new(false),
		};
		let extension: TxExtension = (
			frame_system::AuthorizeCall::<Runtime>::new(),
			frame_system::CheckNonZeroSender::<Runtime>::new(),
			frame_system::CheckSpecVersion::<Runtime>::new(),
			frame_system::CheckTxVersion::<Runtime>::new(),
			frame_system::CheckGenesis::<Runtime>::new(),
			frame_system::CheckEra::<Runtime>::from(Era::Immortal),
			pallet_crucible_bme::CheckFeeder::<Runtime>::new(),
			frame_system::CheckNonce::<Runtime>::from(nonce),
			frame_system::CheckWeight::<Runtime>::new(),
			pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
			check_metadata,
			frame_system::WeightReclaim::<Runtime>::new(),
		);
		let implicit = (
			(),
			(),
			self.spec_version,
			self.tx_version,
			self.genesis,
			self.genesis,
			(),
			(),
			(),
			(),
			metadata_hash,
			(),
		);
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let signature = payload.using_encoded(|bytes| signer.sign(bytes));
		UncheckedExtrinsic::new_signed(
			call,
			Address::Id(claimed),
			MultiSignature::Sr25519(signature),
			extension,
		)
	}

	/// The runtime's metadata hash (RFC 78) as an offline signer computes it: the merkleized
	/// digest of `Metadata_metadata_at_version(15)` with the runtime's spec name and version,
	/// its SS58 prefix, and CRU's symbol and decimals.
	pub async fn metadata_hash(&self) -> [u8; 32] {
		use frame_metadata::{RuntimeMetadata, RuntimeMetadataPrefixed};
		let arg = format!("0x{}", hex::encode(15u32.encode()));
		let raw: String = self
			.rpc
			.request("state_call", rpc_params!["Metadata_metadata_at_version", arg])
			.await
			.unwrap();
		let bytes = hex::decode(raw.trim_start_matches("0x")).unwrap();
		let encoded = Option::<Vec<u8>>::decode(&mut &bytes[..]).unwrap().expect("metadata v15");
		let RuntimeMetadataPrefixed(_, RuntimeMetadata::V15(metadata)) =
			RuntimeMetadataPrefixed::decode(&mut &encoded[..]).unwrap()
		else {
			panic!("metadata v15")
		};
		let ss58 = metadata
			.pallets
			.iter()
			.find(|p| p.name == "System")
			.and_then(|p| p.constants.iter().find(|c| c.name == "SS58Prefix"))
			.map(|c| u16::decode(&mut &c.value[..]).unwrap())
			.expect("System.SS58Prefix");
		let version: Value =
			self.rpc.request("state_getRuntimeVersion", rpc_params![]).await.unwrap();
		let extra = merkleized_metadata::ExtraInfo {
			spec_version: self.spec_version,
			spec_name: version["specName"].as_str().unwrap().into(),
			base58_prefix: ss58,
			decimals: crucible_primitives::currency::DECIMALS,
			token_symbol: "CRU".into(),
		};
		merkleized_metadata::generate_metadata_digest(&RuntimeMetadata::V15(metadata), extra)
			.unwrap()
			.hash()
	}

	/// The next nonce of `who`, counting transactions in the pool (`system_accountNextIndex`).
	pub async fn next_nonce(&self, who: &AccountId) -> Nonce {
		let ss58 = sp_core::crypto::Ss58Codec::to_ss58check(who);
		self.rpc.request("system_accountNextIndex", rpc_params![ss58]).await.unwrap()
	}

	/// Sign `call` as `key` with its next nonce.
	pub async fn sign(&self, call: RuntimeCall, key: Sr25519Keyring) -> UncheckedExtrinsic {
		let nonce = self.next_nonce(&key.to_account_id()).await;
		self.sign_with(call, &key.pair(), nonce)
	}

	/// Submit a signed extrinsic and wait until it is in a finalized block.
	pub async fn submit_finalized(&self, xt: &UncheckedExtrinsic) -> RpcResult<Included> {
		let bytes = format!("0x{}", hex::encode(xt.encode()));
		let mut sub = self
			.rpc
			.subscribe::<Value, _>(
				"author_submitAndWatchExtrinsic",
				rpc_params![bytes],
				"author_unwatchExtrinsic",
			)
			.await?;
		let deadline = Instant::now() + Duration::from_secs(120);
		loop {
			let left = deadline.saturating_duration_since(Instant::now());
			let status = tokio::time::timeout(left, sub.next())
				.await
				.expect("extrinsic not finalized in 120 s")
				.expect("subscription open")?;
			if let Some(hash) = status.get("finalized") {
				let block: Hash = serde_json::from_value(hash.clone()).unwrap();
				return Ok(self.included(block, xt).await);
			}
			if status.is_string() && ["invalid", "dropped"].contains(&status.as_str().unwrap()) {
				panic!("extrinsic {status}");
			}
			if status.get("usurped").is_some() || status.get("finalityTimeout").is_some() {
				panic!("extrinsic {status}");
			}
		}
	}

	/// Sign `call` as `key`, submit it, wait for finality and expect success.
	pub async fn execute(&self, call: RuntimeCall, key: Sr25519Keyring) -> Included {
		let xt = self.sign(call, key).await;
		self.submit_finalized(&xt).await.expect("submitted").expect_success()
	}

	async fn included(&self, block: Hash, xt: &UncheckedExtrinsic) -> Included {
		let signed: Value = self.rpc.request("chain_getBlock", rpc_params![block]).await.unwrap();
		let encoded = format!("0x{}", hex::encode(xt.encode()));
		let index = signed["block"]["extrinsics"]
			.as_array()
			.unwrap()
			.iter()
			.position(|e| e.as_str() == Some(encoded.as_str()))
			.expect("extrinsic is in the block it was finalized in") as u32;
		let events = self
			.events(block)
			.await
			.into_iter()
			.filter(|r| r.phase == frame_system::Phase::ApplyExtrinsic(index))
			.map(|r| r.event)
			.collect();
		Included { block, index, events }
	}

	/// Raw storage at `key` (at the best block, or at `at`).
	pub async fn storage_raw(&self, key: &[u8], at: Option<Hash>) -> Option<Vec<u8>> {
		let key = format!("0x{}", hex::encode(key));
		let value: Option<sp_core::Bytes> =
			self.rpc.request("state_getStorage", rpc_params![key, at]).await.unwrap();
		value.map(|b| b.0)
	}

	/// A decoded storage value, if present.
	pub async fn storage<T: Decode>(&self, key: &[u8], at: Option<Hash>) -> Option<T> {
		self.storage_raw(key, at).await.map(|raw| T::decode(&mut &raw[..]).expect("decodes"))
	}

	/// The events of block `at`.
	pub async fn events(&self, at: Hash) -> EventRecords {
		// `frame_system::Events` is private to its pallet; its key is public knowledge.
		let key = frame_support::storage::storage_prefix(b"System", b"Events");
		self.storage(&key, Some(at)).await.unwrap_or_default()
	}

	/// The account info of `who` (nonce, free, reserved, frozen).
	pub async fn account(
		&self,
		who: &AccountId,
		at: Option<Hash>,
	) -> frame_system::AccountInfo<Nonce, pallet_balances::AccountData<Balance>> {
		let key = frame_system::Account::<Runtime>::hashed_key_for(who);
		self.storage(&key, at).await.unwrap_or_default()
	}

	/// Free CRU of `who`.
	pub async fn free(&self, who: &AccountId) -> Balance {
		self.account(who, None).await.data.free
	}

	/// Total CRU issuance.
	pub async fn total_issuance(&self, at: Option<Hash>) -> Balance {
		let key = pallet_balances::TotalIssuance::<Runtime>::hashed_key();
		self.storage(&key, at).await.unwrap_or_default()
	}

	/// Header of `at` (or of the best block).
	pub async fn header(&self, at: Option<Hash>) -> crucible_runtime::Header {
		let header: Value = self.rpc.request("chain_getHeader", rpc_params![at]).await.unwrap();
		serde_json::from_value(header).unwrap()
	}

	/// The best block number.
	pub async fn best_number(&self) -> BlockNumber {
		self.header(None).await.number
	}

	/// The finalized head hash and number.
	pub async fn finalized(&self) -> (Hash, BlockNumber) {
		let hash: Hash = self.rpc.request("chain_getFinalizedHead", rpc_params![]).await.unwrap();
		(hash, self.header(Some(hash)).await.number)
	}

	/// The hash of block `number`.
	pub async fn block_hash(&self, number: BlockNumber) -> Option<Hash> {
		self.rpc.request("chain_getBlockHash", rpc_params![number]).await.unwrap()
	}

	/// Wait until the finalized head reaches `number`.
	pub async fn wait_finalized(&self, number: BlockNumber, timeout: Duration) -> Hash {
		let deadline = Instant::now() + timeout;
		loop {
			let (hash, finalized) = self.finalized().await;
			if finalized >= number {
				return hash;
			}
			assert!(
				Instant::now() < deadline,
				"finalized head stuck at {finalized}, wanted {number}"
			);
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}

	/// The settlement of the mint whose `mint_credits` emitted `requested`: from its
	/// settlement block on (a mint waits, block by block, until the oracle's median uses only
	/// feeds submitted after the request), the first finalized block with the buyer's
	/// settlement events (`CreditsMinted`, or `MintRefunded`), and those events.
	pub async fn mint_settlement(&self, requested: &[RuntimeEvent]) -> (Hash, Vec<RuntimeEvent>) {
		use pallet_crucible_bme::Event as Bme;
		let (who, due) = requested
			.iter()
			.find_map(|e| match e {
				RuntimeEvent::Bme(Bme::MintRequested { who, settles_at, .. }) => {
					Some((who.clone(), *settles_at))
				}
				_ => None,
			})
			.expect("a MintRequested event");
		for at in due..due + 60 {
			self.wait_finalized(at, Duration::from_secs(60)).await;
			let block = self.block_hash(at).await.expect("a finalized block exists");
			let events: Vec<RuntimeEvent> = self
				.events(block)
				.await
				.into_iter()
				.filter(|r| r.phase == frame_system::Phase::Initialization)
				.map(|r| r.event)
				.filter(|e| {
					matches!(e, RuntimeEvent::Bme(
						Bme::CreditsMinted { who: w, .. } | Bme::MintRefunded { who: w, .. }
					) if *w == who)
				})
				.collect();
			if !events.is_empty() {
				return (block, events);
			}
		}
		panic!("the mint requested for block {due} did not settle within 60 blocks");
	}

	/// Wait until the best block reaches `number`.
	pub async fn wait_best(&self, number: BlockNumber, timeout: Duration) {
		let deadline = Instant::now() + timeout;
		while self.best_number().await < number {
			assert!(Instant::now() < deadline, "best block did not reach {number}");
			tokio::time::sleep(Duration::from_millis(500)).await;
		}
	}
}

/// Submit several signed extrinsics at once and wait until all are finalized.
pub async fn submit_all(chain: &Chain, xts: &[UncheckedExtrinsic]) -> Vec<Included> {
	let futures = xts.iter().map(|xt| chain.submit_finalized(xt));
	futures::future::join_all(futures)
		.await
		.into_iter()
		.map(|r| r.expect("submitted").expect_success())
		.collect()
}

/// OpenGov, as a CRU holder drives it.
pub mod gov {
	use super::*;
	use crucible_runtime::OriginCaller;
	use frame_support::traits::{schedule::DispatchTime, Bounded};
	use pallet_conviction_voting::{AccountVote, Conviction, Vote};
	use sp_runtime::traits::{BlakeTwo256, Hash as _};

	/// A referendum's state as stored.
	pub type ReferendumInfo = pallet_referenda::ReferendumInfoOf<Runtime, ()>;

	/// `proposer` notes the preimage of `proposal` and submits it as a referendum to be
	/// dispatched with `origin` one block after approval; `depositor` places the decision
	/// deposit. Returns the referendum index.
	pub async fn propose(
		chain: &Chain,
		proposer: Sr25519Keyring,
		origin: OriginCaller,
		proposal: RuntimeCall,
		depositor: Sr25519Keyring,
	) -> u32 {
		let bytes = proposal.encode();
		let hash = BlakeTwo256::hash(&bytes);
		let len = bytes.len() as u32;
		let nonce = chain.next_nonce(&proposer.to_account_id()).await;
		let note = chain.sign_with(
			RuntimeCall::Preimage(pallet_preimage::Call::note_preimage { bytes }),
			&proposer.pair(),
			nonce,
		);
		let submit = chain.sign_with(
			RuntimeCall::Referenda(pallet_referenda::Call::submit {
				proposal_origin: Box::new(origin),
				proposal: Bounded::Lookup { hash, len },
				enactment_moment: DispatchTime::After(1),
			}),
			&proposer.pair(),
			nonce + 1,
		);
		let included = submit_all(chain, &[note, submit]).await;
		let index = included[1]
			.events
			.iter()
			.find_map(|e| match e {
				RuntimeEvent::Referenda(pallet_referenda::Event::Submitted { index, .. }) => {
					Some(*index)
				}
				_ => None,
			})
			.expect("Submitted event");
		chain
			.execute(
				RuntimeCall::Referenda(pallet_referenda::Call::place_decision_deposit { index }),
				depositor,
			)
			.await;
		index
	}

	/// Conviction votes: `(voter, aye, conviction, balance)`, submitted together.
	pub async fn vote(
		chain: &Chain,
		index: u32,
		votes: &[(Sr25519Keyring, bool, Conviction, Balance)],
	) {
		let mut xts = Vec::new();
		for (voter, aye, conviction, balance) in votes {
			let call = RuntimeCall::ConvictionVoting(pallet_conviction_voting::Call::vote {
				poll_index: index,
				vote: AccountVote::Standard {
					vote: Vote { aye: *aye, conviction: *conviction },
					balance: *balance,
				},
			});
			xts.push(chain.sign(call, *voter).await);
		}
		submit_all(chain, &xts).await;
	}

	/// The stored state of referendum `index` at the best block.
	pub async fn info(chain: &Chain, index: u32) -> Option<ReferendumInfo> {
		let key = pallet_referenda::ReferendumInfoFor::<Runtime>::hashed_key_for(index);
		chain.storage(&key, None).await
	}

	/// Wait until referendum `index` is decided (no longer ongoing) and return its state.
	pub async fn decided(chain: &Chain, index: u32, timeout: Duration) -> ReferendumInfo {
		let deadline = Instant::now() + timeout;
		loop {
			match info(chain, index).await {
				Some(pallet_referenda::ReferendumInfo::Ongoing(_)) | None => {}
				Some(decided) => return decided,
			}
			assert!(Instant::now() < deadline, "referendum {index} undecided after {timeout:?}");
			tokio::time::sleep(Duration::from_secs(1)).await;
		}
	}
}
