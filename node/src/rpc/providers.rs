//! `crucible_providers`, `crucible_provider`, `crucible_gpuCatalogue`, `crucible_gpuSupply`:
//! the provider registry over JSON-RPC, backed by the runtime's `ProvidersApi` (which explorers
//! can also reach with `state_call`). Every method takes an optional block hash (`at`, default:
//! the best block). Bonds are decimal strings of CRU plancks.

use std::sync::Arc;

use crucible_primitives::{
	providers::{
		GpuModelView, ProviderFilter, ProviderPage, ProviderView, ProvidersApi, SupplySummary,
	},
	AccountId,
};
use crucible_runtime::opaque::Block;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

type Hash = <Block as BlockT>::Hash;

/// Most providers one `crucible_providers` call returns.
pub const MAX_PROVIDERS_PER_PAGE: u32 = crucible_primitives::bounds::MAX_PAGE;

/// The registry's queries.
#[rpc(server, namespace = "crucible")]
pub trait ProvidersRpc {
	/// Providers matching `filter` (`{"status": "active"|"suspended"|"unbonding", "region":
	/// "eu-west", "model": 1}`, every field optional), after `cursor` (exclusive): at most
	/// `limit` (default and maximum 100). Pass the returned `next` as `cursor` for the next
	/// page; `next` is null on the last page.
	#[method(name = "providers")]
	fn providers(
		&self,
		filter: Option<ProviderFilter>,
		cursor: Option<AccountId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<ProviderPage<AccountId>>;

	/// One provider: worker key, endpoint, region, metadata, bond (base, devices, required,
	/// held, slashed in total, underbonded since), devices with their state, the latest status changes with governance's reasons,
	/// and reputation. Null if `who` is not a provider.
	#[method(name = "provider")]
	fn provider(
		&self,
		who: AccountId,
		at: Option<Hash>,
	) -> RpcResult<Option<ProviderView<AccountId>>>;

	/// The GPU catalogue: vendor, model, VRAM, interface, peak INT8 TOPS, class and the bond a
	/// new device of it holds.
	#[method(name = "gpuCatalogue")]
	fn catalogue(&self, at: Option<Hash>) -> RpcResult<Vec<GpuModelView>>;

	/// GPUs registered, free, offered and leased per model, and the number of providers.
	#[method(name = "gpuSupply")]
	fn supply(&self, at: Option<Hash>) -> RpcResult<SupplySummary>;
}

/// The registry's queries, answered from a client.
pub struct Providers<C> {
	client: Arc<C>,
}

impl<C> Providers<C> {
	/// Queries against `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> ProvidersRpcServer for Providers<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: ProvidersApi<Block, AccountId>,
{
	fn providers(
		&self,
		filter: Option<ProviderFilter>,
		cursor: Option<AccountId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<ProviderPage<AccountId>> {
		let limit = limit.unwrap_or(MAX_PROVIDERS_PER_PAGE).clamp(1, MAX_PROVIDERS_PER_PAGE);
		super::call_at(&*self.client, at, |api, at| {
			api.providers(at, filter.unwrap_or_default(), cursor, limit)
		})
	}

	fn provider(
		&self,
		who: AccountId,
		at: Option<Hash>,
	) -> RpcResult<Option<ProviderView<AccountId>>> {
		super::call_at(&*self.client, at, |api, at| api.provider(at, who))
	}

	fn catalogue(&self, at: Option<Hash>) -> RpcResult<Vec<GpuModelView>> {
		super::call_at(&*self.client, at, |api, at| api.catalogue(at))
	}

	fn supply(&self, at: Option<Hash>) -> RpcResult<SupplySummary> {
		super::call_at(&*self.client, at, |api, at| api.supply(at))
	}
}
