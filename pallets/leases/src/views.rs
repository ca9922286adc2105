//! What the runtime API returns: orders with bids, leases as of now, the market summary.
//! Read-only; every list is paginated and scans a bounded number of entries.

use crate::pallet::*;
use alloc::{string::String, vec::Vec};
use crucible_primitives::{
	leases::{
		BidView, LeaseFilter, LeasePage, LeaseStatus, LeaseView, MarketSummary, ModelMarketView,
		OrderPage, OrderView, StuckPage, StuckTaskView,
	},
	providers::{GpuModelId, LeaseId, OrderId},
	time::DAYS,
	BlockNumber,
};

pub use crucible_primitives::bounds::{MAX_PAGE, SCAN_LIMIT};

impl<T: Config> Pallet<T> {
	/// One open order with its bids.
	pub fn order_view(id: OrderId) -> Option<OrderView<T::AccountId>> {
		Orders::<T>::get(id).map(|o| Self::make_order_view(id, o))
	}

	fn make_order_view(id: OrderId, o: OrderOf<T>) -> OrderView<T::AccountId> {
		let bids = Bids::<T>::get(id)
			.into_iter()
			.map(|b| BidView {
				provider: b.provider,
				price: b.price,
				devices: b.devices.into_inner(),
				models: b.models.into_inner(),
				deposit: b.deposit,
				placed_at: b.placed_at,
			})
			.collect();
		OrderView {
			id,
			tenant: o.tenant,
			models: o.request.models.into_inner(),
			min_vram_mib: o.request.min_vram_mib,
			gpus: o.request.gpus,
			region: o.request.region.map(|r| String::from_utf8_lossy(&r).into_owned()),
			max_price: o.max_price,
			duration: o.duration,
			escrow: o.escrow,
			created_at: o.created_at,
			bid_until: o.bid_until,
			bids,
		}
	}

	/// Open orders in storage order, after `cursor`.
	pub fn open_orders(cursor: Option<OrderId>, limit: u32) -> OrderPage<T::AccountId> {
		let limit = limit.clamp(1, MAX_PAGE) as usize;
		let mut iter = match cursor {
			Some(c) => Orders::<T>::iter_from(Orders::<T>::hashed_key_for(c)),
			None => Orders::<T>::iter(),
		};
		let mut orders = Vec::new();
		let mut next = None;
		for (id, o) in iter.by_ref() {
			orders.push(Self::make_order_view(id, o));
			if orders.len() == limit {
				next = Some(id);
				break;
			}
		}
		if next.is_some() && iter.next().is_none() {
			next = None;
		}
		OrderPage { orders, next }
	}

	/// Where a lease stands at `now`.
	fn status_of(lease: &LeaseOf<T>, now: BlockNumber, horizon: BlockNumber) -> LeaseStatus {
		if now >= lease.meter.due_block() {
			LeaseStatus::Due
		} else if lease.meter.low_funds(now, horizon) {
			LeaseStatus::Low
		} else {
			LeaseStatus::Running
		}
	}

	/// A lease as of `now`, "low" within `horizon` blocks of running dry.
	pub fn make_lease_view(
		id: LeaseId,
		lease: LeaseOf<T>,
		now: BlockNumber,
		horizon: BlockNumber,
	) -> LeaseView<T::AccountId> {
		let status = Self::status_of(&lease, now, horizon);
		let (_, owed) = lease.meter.owed(now);
		LeaseView {
			id,
			tenant: lease.tenant,
			provider: lease.provider,
			devices: lease.devices.into_inner(),
			price: lease.meter.price,
			start: lease.start,
			end: lease.meter.end,
			settled_at: lease.meter.settled_at,
			owed,
			remaining: lease.meter.remaining.saturating_sub(owed),
			withdrawable: lease.accrued.saturating_add(owed),
			withdrawn: lease.withdrawn,
			funded: lease.funded,
			due: lease.meter.due_block(),
			runs_dry: lease.meter.runs_dry(),
			status,
		}
	}

	/// One lease as of now.
	pub fn lease_view(id: LeaseId) -> Option<LeaseView<T::AccountId>> {
		let horizon = Params::<T>::get().low_funds_horizon;
		Leases::<T>::get(id).map(|l| Self::make_lease_view(id, l, Self::now(), horizon))
	}

	/// Leases matching `filter`, in storage order, after `cursor`.
	pub fn leases_page(
		filter: LeaseFilter<T::AccountId>,
		cursor: Option<LeaseId>,
		limit: u32,
	) -> LeasePage<T::AccountId> {
		let limit = limit.clamp(1, MAX_PAGE) as usize;
		let now = Self::now();
		let horizon = Params::<T>::get().low_funds_horizon;
		// Walk the narrowest index the filter allows.
		let ids: alloc::boxed::Box<dyn Iterator<Item = LeaseId>> =
			match (&filter.tenant, &filter.provider) {
				(Some(t), _) => match cursor {
					Some(c) => alloc::boxed::Box::new(TenantLeases::<T>::iter_key_prefix_from(
						t,
						TenantLeases::<T>::hashed_key_for(t, c),
					)),
					None => alloc::boxed::Box::new(TenantLeases::<T>::iter_key_prefix(t)),
				},
				(None, Some(p)) => match cursor {
					Some(c) => alloc::boxed::Box::new(ProviderLeases::<T>::iter_key_prefix_from(
						p,
						ProviderLeases::<T>::hashed_key_for(p, c),
					)),
					None => alloc::boxed::Box::new(ProviderLeases::<T>::iter_key_prefix(p)),
				},
				(None, None) => match cursor {
					Some(c) => alloc::boxed::Box::new(
						Leases::<T>::iter_from(Leases::<T>::hashed_key_for(c)).map(|(id, _)| id),
					),
					None => alloc::boxed::Box::new(Leases::<T>::iter_keys()),
				},
			};
		let mut leases = Vec::new();
		let mut next = None;
		let mut scanned = 0;
		let mut ids = ids.peekable();
		while let Some(id) = ids.next() {
			scanned += 1;
			if let Some(l) = Leases::<T>::get(id) {
				let keep = filter.provider.as_ref().is_none_or(|p| *p == l.provider)
					&& filter.tenant.as_ref().is_none_or(|t| *t == l.tenant)
					&& filter.status.is_none_or(|s| s == Self::status_of(&l, now, horizon));
				if keep {
					leases.push(Self::make_lease_view(id, l, now, horizon));
				}
			}
			if leases.len() == limit || scanned == SCAN_LIMIT as usize {
				if ids.peek().is_some() {
					next = Some(id);
				}
				break;
			}
		}
		LeasePage { leases, next }
	}

	/// Leases warned of low funds (`LeaseLowFunds`: the escrow runs dry within the low-funds
	/// horizon) and not topped up or closed since, in storage order after the lease `cursor`:
	/// up to `limit` (at most [`MAX_PAGE`]). Walks the [`RunningLow`] index, so a page reads
	/// at most `limit + 1` index keys and `limit` leases. A lease past its due block that the
	/// sweep has not closed yet shows with status `Due`.
	pub fn running_low(cursor: Option<LeaseId>, limit: u32) -> LeasePage<T::AccountId> {
		let limit = limit.clamp(1, MAX_PAGE) as usize;
		let now = Self::now();
		let horizon = Params::<T>::get().low_funds_horizon;
		let mut ids = match cursor {
			Some(c) => RunningLow::<T>::iter_keys_from(RunningLow::<T>::hashed_key_for(c)),
			None => RunningLow::<T>::iter_keys(),
		};
		let mut leases = Vec::new();
		let mut next = None;
		for id in ids.by_ref() {
			// The index and the leases change together: a missing lease is a defect that
			// `try_state` reports; here it is skipped.
			if let Some(l) = Leases::<T>::get(id) {
				leases.push(Self::make_lease_view(id, l, now, horizon));
			}
			if leases.len() == limit {
				next = Some(id);
				break;
			}
		}
		if next.is_some() && ids.next().is_none() {
			next = None;
		}
		LeasePage { leases, next }
	}

	/// Sweep tasks parked after failing every attempt, in storage order after the task
	/// `cursor`: up to `limit` (at most [`MAX_PAGE`]). Reads at most `limit + 1` entries.
	pub fn stuck_tasks(cursor: Option<crate::Task>, limit: u32) -> StuckPage {
		let limit = limit.clamp(1, MAX_PAGE) as usize;
		let mut entries = match cursor {
			Some(c) => StuckTasks::<T>::iter_from(StuckTasks::<T>::hashed_key_for(c)),
			None => StuckTasks::<T>::iter(),
		};
		let tasks: Vec<StuckTaskView> = entries
			.by_ref()
			.take(limit)
			.map(|(task, s)| StuckTaskView { task, since: s.since, error: s.error })
			.collect();
		let next = (tasks.len() == limit && entries.next().is_some())
			.then(|| tasks.last().map(|t| t.task))
			.flatten();
		StuckPage { tasks, next }
	}

	/// The market as a whole; `supply` gives each catalogue model's registered and leased
	/// devices (from the registry). Reads one [`MarketDay`] entry per model of `supply` and
	/// three counters; sorts at most `RECENT_PRICES` prices per model.
	pub fn market_summary(supply: impl Iterator<Item = (GpuModelId, u32, u32)>) -> MarketSummary {
		let now = Self::now();
		let since = now.saturating_sub(DAYS);
		let models = supply
			.map(|(model, registered, leased)| {
				let day = MarketDay::<T>::get(model);
				let utilization_ppm = if registered == 0 {
					0
				} else {
					(u64::from(leased) * 1_000_000 / u64::from(registered)) as u32
				};
				ModelMarketView {
					model,
					registered,
					leased,
					utilization_ppm,
					leases_last_day: day.starts(now),
					median_per_gpu_hour: day.median(since),
				}
			})
			.collect();
		MarketSummary {
			open_orders: Orders::<T>::count(),
			active_leases: Leases::<T>::count(),
			leased_gpus: LeasedGpus::<T>::get(),
			models,
		}
	}
}
