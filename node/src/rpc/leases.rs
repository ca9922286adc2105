//! `crucible_openOrders`, `crucible_order`, `crucible_leases`, `crucible_lease`,
//! `crucible_leasesRunningLow`, `crucible_leasesStuck`, `crucible_marketSummary`: the lease
//! market over JSON-RPC,
//! backed by the runtime's `LeasesApi` (also reachable with `state_call`). Every method takes an
//! optional block hash (`at`, default: the best block). Credits are decimal strings of
//! micro-credits, CRU amounts decimal strings of plancks.

use std::sync::Arc;

use crucible_primitives::{
	leases::{
		LeaseFilter, LeasePage, LeaseView, LeasesApi, MarketSummary, OrderPage, OrderView,
		StuckPage, SweepTask,
	},
	providers::{LeaseId, OrderId},
	AccountId,
};
use crucible_runtime::opaque::Block;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

type Hash = <Block as BlockT>::Hash;

/// Most items one list call returns.
pub const MAX_PER_PAGE: u32 = crucible_primitives::bounds::MAX_PAGE;

/// The lease market's queries.
#[rpc(server, namespace = "crucible")]
pub trait LeasesRpc {
	/// Orders taking bids, each with its bids and the devices they offer, after `cursor`
	/// (exclusive, an order id): at most `limit` (default and maximum 100). `next` is the
	/// cursor of the next page, null on the last.
	#[method(name = "openOrders")]
	fn open_orders(
		&self,
		cursor: Option<OrderId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<OrderPage<AccountId>>;

	/// One open order with its bids; null once it became a lease or closed.
	#[method(name = "order")]
	fn order(&self, id: OrderId, at: Option<Hash>) -> RpcResult<Option<OrderView<AccountId>>>;

	/// Leases matching `filter` (`{"tenant": ss58, "provider": ss58, "status":
	/// "running"|"low"|"due"}`, every field optional), after `cursor` (a lease id): at most
	/// `limit` (default and maximum 100).
	#[method(name = "leases")]
	fn leases(
		&self,
		filter: Option<LeaseFilter<AccountId>>,
		cursor: Option<LeaseId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<LeasePage<AccountId>>;

	/// One lease as of the block: owed and not settled, remaining for the tenant, withdrawable
	/// by the provider, its due block and status. Null once closed.
	#[method(name = "lease")]
	fn lease(&self, id: LeaseId, at: Option<Hash>) -> RpcResult<Option<LeaseView<AccountId>>>;

	/// Leases warned that their escrow runs dry within the governed low-funds horizon (each
	/// with its due block), from an index in storage order after `cursor` (the `next` of the
	/// previous page): at most `limit`.
	#[method(name = "leasesRunningLow")]
	fn running_low(
		&self,
		cursor: Option<LeaseId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<LeasePage<AccountId>>;

	/// Sweep tasks parked after failing every attempt, each with the block it was parked at
	/// and its last error, in storage order after `cursor` (the `next` of the previous
	/// page): at most `limit`. The market-admin track's `leases.forceClose(task)` closes
	/// their orders and leases.
	#[method(name = "leasesStuck")]
	fn stuck_tasks(
		&self,
		cursor: Option<SweepTask>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<StuckPage>;

	/// Open orders, active leases, leased GPUs; per model: registered and leased GPUs,
	/// utilization, leases started in the last day and their median price per GPU-hour.
	#[method(name = "marketSummary")]
	fn summary(&self, at: Option<Hash>) -> RpcResult<MarketSummary>;
}

/// The market's queries, answered from a client.
pub struct Leases<C> {
	client: Arc<C>,
}

impl<C> Leases<C> {
	/// Queries against `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

fn page(limit: Option<u32>) -> u32 {
	limit.unwrap_or(MAX_PER_PAGE).clamp(1, MAX_PER_PAGE)
}

impl<C> LeasesRpcServer for Leases<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: LeasesApi<Block, AccountId>,
{
	fn open_orders(
		&self,
		cursor: Option<OrderId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<OrderPage<AccountId>> {
		super::call_at(&*self.client, at, |api, at| api.open_orders(at, cursor, page(limit)))
	}

	fn order(&self, id: OrderId, at: Option<Hash>) -> RpcResult<Option<OrderView<AccountId>>> {
		super::call_at(&*self.client, at, |api, at| api.order(at, id))
	}

	fn leases(
		&self,
		filter: Option<LeaseFilter<AccountId>>,
		cursor: Option<LeaseId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<LeasePage<AccountId>> {
		super::call_at(&*self.client, at, |api, at| {
			api.leases(at, filter.unwrap_or_default(), cursor, page(limit))
		})
	}

	fn lease(&self, id: LeaseId, at: Option<Hash>) -> RpcResult<Option<LeaseView<AccountId>>> {
		super::call_at(&*self.client, at, |api, at| api.lease(at, id))
	}

	fn running_low(
		&self,
		cursor: Option<LeaseId>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<LeasePage<AccountId>> {
		super::call_at(&*self.client, at, |api, at| api.running_low(at, cursor, page(limit)))
	}

	fn stuck_tasks(
		&self,
		cursor: Option<SweepTask>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<StuckPage> {
		super::call_at(&*self.client, at, |api, at| api.stuck_tasks(at, cursor, page(limit)))
	}

	fn summary(&self, at: Option<Hash>) -> RpcResult<MarketSummary> {
		super::call_at(&*self.client, at, |api, at| api.summary(at))
	}
}
