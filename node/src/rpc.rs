//! The node's JSON-RPC methods beyond the ones `sc-service` provides (`system_*`, `chain_*`,
//! `state_*`, `author_*`, `chainHead_v1_*`, ...): `system_accountNextIndex`, `payment_*`,
//! `grandpa_*`, and Crucible's own `crucible_*` methods ([`bme`], [`providers`], [`leases`]).

pub mod bme;
pub mod leases;
pub mod providers;

use std::sync::Arc;

use crucible_primitives::{AccountId, Balance, Nonce};
use crucible_runtime::opaque::Block;
use jsonrpsee::RpcModule;
use sc_consensus_grandpa::{
	FinalityProofProvider, GrandpaJustificationStream, SharedAuthoritySet, SharedVoterState,
};
use sc_consensus_grandpa_rpc::{Grandpa, GrandpaApiServer};
use sc_rpc::SubscriptionTaskExecutor;
use sc_transaction_pool_api::TransactionPool;
use sp_api::ProvideRuntimeApi;
use sp_block_builder::BlockBuilder;
use sp_blockchain::{Error as BlockChainError, HeaderBackend, HeaderMetadata};

/// Calls the runtime API through `f` at block `at` (default: the best block); a failed call is
/// JSON-RPC error 1 with the runtime's message. Shared by the `crucible_*` methods.
pub(crate) fn call_at<C, R>(
	client: &C,
	at: Option<<Block as sp_runtime::traits::Block>::Hash>,
	f: impl FnOnce(&C::Api, <Block as sp_runtime::traits::Block>::Hash) -> Result<R, sp_api::ApiError>,
) -> jsonrpsee::core::RpcResult<R>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block>,
{
	let at = at.unwrap_or_else(|| client.info().best_hash);
	f(&client.runtime_api(), at).map_err(|e| {
		jsonrpsee::types::ErrorObject::owned(1, "runtime API call failed", Some(e.to_string()))
	})
}

/// What the GRANDPA RPC methods read.
pub struct GrandpaDeps<B> {
	pub shared_voter_state: SharedVoterState,
	pub shared_authority_set: SharedAuthoritySet<<Block as sp_runtime::traits::Block>::Hash, u32>,
	pub justification_stream: GrandpaJustificationStream<Block>,
	pub subscription_executor: SubscriptionTaskExecutor,
	pub finality_provider: Arc<FinalityProofProvider<B, Block>>,
}

/// Everything the RPC methods read.
pub struct FullDeps<C, P, B> {
	pub client: Arc<C>,
	pub pool: Arc<P>,
	pub grandpa: GrandpaDeps<B>,
}

/// The RPC methods this node adds.
pub fn create_full<C, P, B>(
	deps: FullDeps<C, P, B>,
) -> Result<RpcModule<()>, Box<dyn std::error::Error + Send + Sync>>
where
	C: ProvideRuntimeApi<Block>
		+ HeaderBackend<Block>
		+ HeaderMetadata<Block, Error = BlockChainError>
		+ Send
		+ Sync
		+ 'static,
	C::Api: substrate_frame_rpc_system::AccountNonceApi<Block, AccountId, Nonce>,
	C::Api: pallet_transaction_payment_rpc::TransactionPaymentRuntimeApi<Block, Balance>,
	C::Api: BlockBuilder<Block>,
	C::Api: crucible_primitives::bme::BmeApi<Block, AccountId>,
	C::Api: crucible_primitives::providers::ProvidersApi<Block, AccountId>,
	C::Api: crucible_primitives::leases::LeasesApi<Block, AccountId>,
	P: TransactionPool + 'static,
	B: sc_client_api::Backend<Block> + Send + Sync + 'static,
	B::State: sc_client_api::StateBackend<sp_runtime::traits::HashingFor<Block>>,
{
	use pallet_transaction_payment_rpc::{TransactionPayment, TransactionPaymentApiServer};
	use substrate_frame_rpc_system::{System, SystemApiServer};

	let mut module = RpcModule::new(());
	let FullDeps { client, pool, grandpa } = deps;

	module.merge(System::new(client.clone(), pool).into_rpc())?;
	module.merge(TransactionPayment::new(client.clone()).into_rpc())?;
	module.merge(bme::BmeRpcServer::into_rpc(bme::Bme::new(client.clone())))?;
	module.merge(providers::ProvidersRpcServer::into_rpc(providers::Providers::new(
		client.clone(),
	)))?;
	module.merge(leases::LeasesRpcServer::into_rpc(leases::Leases::new(client)))?;
	module.merge(
		Grandpa::new(
			grandpa.subscription_executor,
			grandpa.shared_authority_set,
			grandpa.shared_voter_state,
			grandpa.justification_stream,
			grandpa.finality_provider,
		)
		.into_rpc(),
	)?;

	Ok(module)
}
