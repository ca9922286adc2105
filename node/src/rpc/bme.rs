//! `crucible_bme*`: the burn-mint equilibrium over JSON-RPC, backed by the runtime's `BmeApi`
//! (which explorers can also reach with `state_call`). Every method takes an optional block
//! hash (`at`, default: the best block). Amounts are decimal strings; prices are 18-decimal
//! fixed-point strings (US dollars per CRU).

use std::sync::Arc;

use crucible_primitives::{
	bme::{
		AccountCreditsView, BmeApi, CreditTotals, EpochIndex, EpochPage, PriceView, QueueView,
		SupplyView,
	},
	AccountId,
};
use crucible_runtime::opaque::Block;
use jsonrpsee::{core::RpcResult, proc_macros::rpc};
use sp_api::ProvideRuntimeApi;
use sp_blockchain::HeaderBackend;
use sp_runtime::traits::Block as BlockT;

type Hash = <Block as BlockT>::Hash;

/// Most epochs one `crucible_bmeEpochs` call returns.
pub const MAX_EPOCHS_PER_PAGE: u32 = crucible_primitives::bounds::MAX_PAGE;

/// The BME's queries.
#[rpc(server, namespace = "crucible")]
pub trait BmeRpc {
	/// The live price, each feeder's latest feed (its age, whether fresh, whether dropped as
	/// an outlier), the TWAP, the mint and redeem prices, and the breaker with its reason.
	#[method(name = "bmePrice")]
	fn price(&self, at: Option<Hash>) -> RpcResult<PriceView<AccountId>>;

	/// Credits by bucket: minted, purchased, escrowed, earned, queued, redeemed, burned by
	/// the take-rate.
	#[method(name = "bmeCredits")]
	fn credits(&self, at: Option<Hash>) -> RpcResult<CreditTotals>;

	/// One account's purchased, earned and queued credits.
	#[method(name = "bmeAccount")]
	fn account(&self, who: AccountId, at: Option<Hash>) -> RpcResult<AccountCreditsView>;

	/// CRU burned, reminted, newly minted, realized net burn and emitted since genesis; the
	/// remint pool; net supply change over the last 24 and 720 epochs.
	#[method(name = "bmeSupply")]
	fn supply(&self, at: Option<Hash>) -> RpcResult<SupplyView>;

	/// The redemption queue: requests, credits, CRU expected at the current price, the next
	/// boundary's cap.
	#[method(name = "bmeQueue")]
	fn queue(&self, at: Option<Hash>) -> RpcResult<QueueView>;

	/// Completed epochs, newest first: at most `limit` (default and maximum 100) older than
	/// `before` (default: all). Pass the returned `next` as `before` for the next page.
	#[method(name = "bmeEpochs")]
	fn epochs(
		&self,
		before: Option<EpochIndex>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<EpochPage>;
}

/// The BME's queries, answered from a client.
pub struct Bme<C> {
	client: Arc<C>,
}

impl<C> Bme<C> {
	/// Queries against `client`.
	pub fn new(client: Arc<C>) -> Self {
		Self { client }
	}
}

impl<C> BmeRpcServer for Bme<C>
where
	C: ProvideRuntimeApi<Block> + HeaderBackend<Block> + Send + Sync + 'static,
	C::Api: BmeApi<Block, AccountId>,
{
	fn price(&self, at: Option<Hash>) -> RpcResult<PriceView<AccountId>> {
		super::call_at(&*self.client, at, |api, at| api.price(at))
	}

	fn credits(&self, at: Option<Hash>) -> RpcResult<CreditTotals> {
		super::call_at(&*self.client, at, |api, at| api.credits(at))
	}

	fn account(&self, who: AccountId, at: Option<Hash>) -> RpcResult<AccountCreditsView> {
		super::call_at(&*self.client, at, |api, at| api.account(at, who))
	}

	fn supply(&self, at: Option<Hash>) -> RpcResult<SupplyView> {
		super::call_at(&*self.client, at, |api, at| api.supply(at))
	}

	fn queue(&self, at: Option<Hash>) -> RpcResult<QueueView> {
		super::call_at(&*self.client, at, |api, at| api.queue(at))
	}

	fn epochs(
		&self,
		before: Option<EpochIndex>,
		limit: Option<u32>,
		at: Option<Hash>,
	) -> RpcResult<EpochPage> {
		let limit = limit.unwrap_or(MAX_EPOCHS_PER_PAGE).clamp(1, MAX_EPOCHS_PER_PAGE);
		super::call_at(&*self.client, at, |api, at| api.epochs(at, before, limit))
	}
}
