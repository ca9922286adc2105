//! Unit and property tests of the provider registry.

use crate::{
	mock::*, Catalogue, ClassBonds, DeviceCounts, Devices, Error, Event, GpuModel, HoldReason,
	Params, ProviderParams, Supply, WorkerKeys,
};
use crucible_primitives::{
	currency::CRU,
	providers::{
		DeviceId, DeviceState, DeviceUse, GpuClass, GpuInterface, GpuModelId, GpuVendor,
		ProviderFilter, ProviderRegistry, ProviderStatus, Reputation, ReputationCounters,
		ReputationEvent, SlashReason, Slashing, StatusFilter,
	},
	Balance,
};
use frame_support::{
	assert_noop, assert_ok, assert_storage_noop,
	traits::fungible::{Inspect, InspectHold},
};
use sp_runtime::{DispatchError, DispatchResult, Perbill};

/// The provider records (in the mock, `Providers` names the pallet).
type Records = crate::Providers<Test>;

const ENDPOINT: &[u8] = b"https://gpu.example.com:8443/worker";
const REGION: &[u8] = b"eu-west-1";
const BASE: Balance = 1_000 * CRU;
const DATACENTER: Balance = 500 * CRU;
const WORKSTATION: Balance = 250 * CRU;
const CONSUMER: Balance = 100 * CRU;
/// An account funded by the test itself.
const DAVE: u64 = 5;

fn held(who: u64) -> Balance {
	Balances::balance_on_hold(&HoldReason::ProviderBond.into(), &who)
}

fn free(who: u64) -> Balance {
	Balances::free_balance(who)
}

fn fund(who: u64, amount: Balance) {
	assert_ok!(Balances::force_set_balance(RuntimeOrigin::root(), who, amount));
}

fn try_register(who: u64, endpoint: &[u8], region: &[u8], k: u8, meta: &[u8]) -> DispatchResult {
	Providers::register_provider(
		RuntimeOrigin::signed(who),
		endpoint.to_vec(),
		region.to_vec(),
		key(k),
		meta.to_vec(),
	)
}

fn register(who: u64, k: u8) {
	assert_ok!(try_register(who, ENDPOINT, REGION, k, b"Acme GPUs"));
}

fn add(who: u64, model: GpuModelId, count: u32) {
	assert_ok!(Providers::add_devices(RuntimeOrigin::signed(who), model, count));
}

fn remove(who: u64, ids: &[DeviceId]) -> DispatchResult {
	Providers::remove_devices(RuntimeOrigin::signed(who), ids.to_vec())
}

fn suspend(who: u64, reason: &[u8]) -> DispatchResult {
	Providers::suspend(RuntimeOrigin::root(), who, reason.to_vec())
}

fn reinstate(who: u64, reason: &[u8]) -> DispatchResult {
	Providers::reinstate(RuntimeOrigin::root(), who, reason.to_vec())
}

fn deregister(who: u64) -> DispatchResult {
	Providers::deregister(RuntimeOrigin::signed(who))
}

fn withdraw(who: u64) -> DispatchResult {
	Providers::withdraw_bond(RuntimeOrigin::signed(who))
}

fn reserve(who: u64, ids: &[DeviceId], to: DeviceUse) -> DispatchResult {
	<Providers as ProviderRegistry<u64>>::reserve(&who, ids, to)
}

fn rebind(who: u64, ids: &[DeviceId], from: DeviceUse, to: DeviceUse) -> DispatchResult {
	<Providers as ProviderRegistry<u64>>::rebind(&who, ids, from, to)
}

fn release(who: u64, ids: &[DeviceId], from: DeviceUse) -> DispatchResult {
	<Providers as ProviderRegistry<u64>>::release(&who, ids, from)
}

fn slash(who: u64, amount: Balance, to: Option<u64>) -> Result<Balance, DispatchError> {
	<Providers as Slashing<u64>>::slash(&who, amount, to.as_ref(), SlashReason::Fraud)
}

fn free_devices(model: GpuModelId) -> u32 {
	<Providers as ProviderRegistry<u64>>::free_devices(model)
}

fn counts(registered: u32, free: u32, offered: u32, leased: u32) -> DeviceCounts {
	DeviceCounts { registered, free, offered, leased }
}

fn state(who: u64, id: DeviceId) -> DeviceState {
	Devices::<Test>::get(who).iter().find(|d| d.id == id).expect("device exists").state
}

fn status(who: u64) -> Option<ProviderStatus> {
	<Providers as ProviderRegistry<u64>>::status(&who)
}

fn offered(order: u64) -> DeviceUse {
	DeviceUse::Offered(order)
}

fn leased(lease: u64) -> DeviceUse {
	DeviceUse::Leased(lease)
}

fn model(name: &str, vram_mib: u32, class: GpuClass) -> GpuModel {
	GpuModel::new(GpuVendor::Amd, name, vram_mib, GpuInterface::Sxm, 1_000, class)
}

mod registration {
	use super::*;

	#[test]
	fn register_holds_the_base_bond() {
		test(|| {
			let before = free(ALICE);
			register(ALICE, 1);
			assert_eq!(held(ALICE), BASE);
			assert_eq!(free(ALICE), before - BASE);
			System::assert_last_event(
				Event::ProviderRegistered { who: ALICE, worker_key: key(1), bond: BASE }.into(),
			);
			let p = Records::get(ALICE).unwrap();
			assert_eq!(p.status, ProviderStatus::Active);
			assert_eq!(p.registered_at, 1);
			assert_eq!((p.base_bond, p.device_bonds, p.held, p.next_device), (BASE, 0, BASE, 0));
			assert_eq!((p.slashed_total, p.underbonded_since), (0, None));
			assert_eq!(&p.endpoint[..], ENDPOINT);
			assert_eq!(&p.region[..], REGION);
			assert_eq!(&p.metadata[..], b"Acme GPUs");
			assert_eq!(p.history.len(), 1);
			assert_eq!(p.history[0].status, ProviderStatus::Active);
			assert_eq!(WorkerKeys::<Test>::get(key(1)), Some(ALICE));
			assert_eq!(status(ALICE), Some(ProviderStatus::Active));
			assert_eq!(status(BOB), None);
			assert_eq!(Records::count(), 1);
		});
	}

	#[test]
	fn register_accepts_inputs_at_their_bounds() {
		test(|| {
			let endpoint = [&b"https://a.io/"[..], &[b'p'; 115]].concat();
			assert_eq!(endpoint.len(), crate::MAX_ENDPOINT_LEN as usize);
			let region = b"ab-cdefghijklmno";
			assert_eq!(region.len(), crate::MAX_REGION_LEN as usize);
			let meta = "é".repeat(crate::MAX_METADATA_LEN as usize / 2);
			assert_ok!(try_register(ALICE, &endpoint, region, 1, meta.as_bytes()));
			assert_ok!(try_register(BOB, b"http://[2606:4700::1111]:9000", b"de", 2, b""));
			assert_eq!(held(ALICE), BASE);
			assert_eq!(held(BOB), BASE);
		});
	}

	#[test]
	fn register_refuses_a_bond_the_account_cannot_pay() {
		test(|| {
			let before = free(POOR);
			assert_noop!(
				try_register(POOR, ENDPOINT, REGION, 9, b""),
				Error::<Test>::InsufficientBond
			);
			assert_eq!(free(POOR), before);
			assert_eq!(held(POOR), 0);
		});
	}

	#[test]
	fn register_refuses_malformed_input() {
		test(|| {
			let too_long = [&b"https://a.io/"[..], &[b'p'; 116]].concat();
			for bad in
				[&b"ftp://x"[..], b"https://user@h", b"gpu.example.com", b"https://h:0", &too_long]
			{
				assert_noop!(
					try_register(ALICE, bad, REGION, 1, b""),
					Error::<Test>::MalformedEndpoint
				);
			}
			for bad in [&b"DE"[..], b"x", b"us--east", b"", b"ab-cdefghijklmnop"] {
				assert_noop!(
					try_register(ALICE, ENDPOINT, bad, 1, b""),
					Error::<Test>::MalformedRegion
				);
			}
			let too_long = vec![b'a'; crate::MAX_METADATA_LEN as usize + 1];
			for bad in [&b"\xff\xfe"[..], b"line\nbreak", b"tab\there", &too_long] {
				assert_noop!(
					try_register(ALICE, ENDPOINT, REGION, 1, bad),
					Error::<Test>::MalformedText
				);
			}
			assert_eq!(held(ALICE), 0);
		});
	}

	#[test]
	fn register_refuses_a_second_record_or_a_used_key() {
		test(|| {
			register(ALICE, 1);
			assert_noop!(
				try_register(ALICE, ENDPOINT, REGION, 2, b""),
				Error::<Test>::AlreadyRegistered
			);
			assert_noop!(
				try_register(BOB, ENDPOINT, REGION, 1, b""),
				Error::<Test>::WorkerKeyInUse
			);
			assert_eq!(held(ALICE), BASE);
			assert_eq!(held(BOB), 0);
		});
	}

	#[test]
	fn private_endpoints_are_refused_unless_the_chain_allows_them() {
		new_test_ext().execute_with(|| {
			let private: [&[u8]; 5] = [
				b"http://10.0.0.7:8080/w",
				b"http://169.254.169.254/latest/meta-data/",
				b"http://localhost:9000",
				b"http://[::1]:80",
				b"http://gpu.local",
			];
			for url in private {
				assert_noop!(
					try_register(ALICE, url, REGION, 1, b"Acme"),
					Error::<Test>::PrivateEndpoint
				);
			}
			// Today's check took `http://0x7f000001/` (127.0.0.1 through inet_aton).
			assert_noop!(
				try_register(ALICE, b"http://0x7f000001/", REGION, 1, b"Acme"),
				Error::<Test>::MalformedEndpoint
			);
			register(ALICE, 1);
			for url in private {
				assert_noop!(
					Providers::set_endpoint(RuntimeOrigin::signed(ALICE), url.to_vec()),
					Error::<Test>::PrivateEndpoint
				);
			}
			// A dev chain allows them.
			assert_ok!(Providers::set_params(
				RuntimeOrigin::root(),
				ProviderParams { allow_private_endpoints: true, ..params() }
			));
			for url in private {
				assert_ok!(Providers::set_endpoint(RuntimeOrigin::signed(ALICE), url.to_vec()));
			}
		});
	}

	#[test]
	fn set_endpoint_changes_the_endpoint() {
		test(|| {
			register(ALICE, 1);
			assert_ok!(Providers::set_endpoint(
				RuntimeOrigin::signed(ALICE),
				b"http://8.8.4.4:8080/w".to_vec()
			));
			let endpoint = b"http://8.8.4.4:8080/w".to_vec().try_into().unwrap();
			System::assert_last_event(Event::EndpointChanged { who: ALICE, endpoint }.into());
			assert_eq!(&Records::get(ALICE).unwrap().endpoint[..], b"http://8.8.4.4:8080/w");
			assert_eq!(Providers::provider_view(ALICE).unwrap().endpoint, "http://8.8.4.4:8080/w");
			assert_noop!(
				Providers::set_endpoint(RuntimeOrigin::signed(ALICE), b"ftp://x".to_vec()),
				Error::<Test>::MalformedEndpoint
			);
			assert_noop!(
				Providers::set_endpoint(RuntimeOrigin::signed(BOB), ENDPOINT.to_vec()),
				Error::<Test>::NotRegistered
			);
		});
	}

	#[test]
	fn rotate_worker_key_moves_the_mapping() {
		test(|| {
			register(ALICE, 1);
			register(BOB, 2);
			assert_ok!(Providers::rotate_worker_key(RuntimeOrigin::signed(ALICE), key(3)));
			System::assert_last_event(
				Event::WorkerKeyRotated { who: ALICE, old: key(1), new: key(3) }.into(),
			);
			assert_eq!(WorkerKeys::<Test>::get(key(1)), None);
			assert_eq!(WorkerKeys::<Test>::get(key(3)), Some(ALICE));
			assert_eq!(Records::get(ALICE).unwrap().worker_key, key(3));
			// The old key is free for anyone, the new one is taken.
			assert_noop!(
				try_register(CHARLIE, ENDPOINT, REGION, 3, b""),
				Error::<Test>::WorkerKeyInUse
			);
			register(CHARLIE, 1);
			assert_noop!(
				Providers::rotate_worker_key(RuntimeOrigin::signed(ALICE), key(2)),
				Error::<Test>::WorkerKeyInUse
			);
			assert_noop!(
				Providers::rotate_worker_key(RuntimeOrigin::signed(ALICE), key(3)),
				Error::<Test>::SameWorkerKey
			);
			assert_noop!(
				Providers::rotate_worker_key(RuntimeOrigin::signed(DAVE), key(9)),
				Error::<Test>::NotRegistered
			);
		});
	}

	#[test]
	fn calls_of_non_providers_fail() {
		test(|| {
			let who = RuntimeOrigin::signed(ALICE);
			let e = || Error::<Test>::NotRegistered;
			assert_noop!(Providers::add_devices(who.clone(), H100_SXM, 1), e());
			assert_noop!(remove(ALICE, &[0]), e());
			assert_noop!(deregister(ALICE), e());
			assert_noop!(withdraw(ALICE), e());
			assert_noop!(suspend(ALICE, b"r"), e());
			assert_noop!(reinstate(ALICE, b"r"), e());
			assert_noop!(reserve(ALICE, &[0], offered(1)), e());
			assert_noop!(slash(ALICE, CRU, None), e());
			assert_eq!(Providers::provider_view(ALICE), None);
		});
	}
}

mod devices {
	use super::*;

	#[test]
	fn add_devices_holds_the_class_bond_per_device() {
		test(|| {
			register(ALICE, 1);
			let before = free(ALICE);
			add(ALICE, H100_SXM, 2);
			System::assert_last_event(
				Event::DevicesAdded {
					who: ALICE,
					model: H100_SXM,
					first: 0,
					count: 2,
					bond: 2 * DATACENTER,
				}
				.into(),
			);
			add(ALICE, L40S, 1);
			System::assert_last_event(
				Event::DevicesAdded {
					who: ALICE,
					model: L40S,
					first: 2,
					count: 1,
					bond: WORKSTATION,
				}
				.into(),
			);
			add(ALICE, RTX_4090, 3);
			let bonds = 2 * DATACENTER + WORKSTATION + 3 * CONSUMER;
			assert_eq!(held(ALICE), BASE + bonds);
			assert_eq!(free(ALICE), before - bonds);
			let devices = Devices::<Test>::get(ALICE);
			let ids: Vec<_> = devices.iter().map(|d| (d.id, d.model, d.bond)).collect();
			assert_eq!(
				ids,
				vec![
					(0, H100_SXM, DATACENTER),
					(1, H100_SXM, DATACENTER),
					(2, L40S, WORKSTATION),
					(3, RTX_4090, CONSUMER),
					(4, RTX_4090, CONSUMER),
					(5, RTX_4090, CONSUMER),
				]
			);
			assert!(devices.iter().all(|d| d.state == DeviceState::Free));
			let p = Records::get(ALICE).unwrap();
			assert_eq!((p.device_bonds, p.next_device), (bonds, 6));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(2, 2, 0, 0));
			assert_eq!(Supply::<Test>::get(L40S), counts(1, 1, 0, 0));
			assert_eq!(Supply::<Test>::get(RTX_4090), counts(3, 3, 0, 0));
			assert_eq!(free_devices(RTX_4090), 3);
		});
	}

	#[test]
	fn add_devices_refuses_what_it_cannot_do() {
		test(|| {
			register(ALICE, 1);
			let who = || RuntimeOrigin::signed(ALICE);
			assert_noop!(Providers::add_devices(who(), H100_SXM, 0), Error::<Test>::NoDevices);
			assert_noop!(Providers::add_devices(who(), 42, 1), Error::<Test>::UnknownModel);
			assert_noop!(
				Providers::add_devices(who(), RTX_4090, MAX_DEVICES + 1),
				Error::<Test>::TooManyDevices
			);
			assert_noop!(
				Providers::add_devices(who(), RTX_4090, u32::MAX),
				Error::<Test>::TooManyDevices
			);
			add(ALICE, RTX_4090, 10);
			assert_noop!(
				Providers::add_devices(who(), RTX_4090, MAX_DEVICES - 9),
				Error::<Test>::TooManyDevices
			);
			add(ALICE, RTX_4090, MAX_DEVICES - 10);
			assert_eq!(Devices::<Test>::get(ALICE).len(), MAX_DEVICES as usize);
			assert_eq!(held(ALICE), BASE + MAX_DEVICES as Balance * CONSUMER);
		});
	}

	#[test]
	fn add_devices_refuses_bonds_beyond_the_free_balance() {
		test(|| {
			fund(DAVE, 1_600 * CRU);
			register(DAVE, 5);
			assert_noop!(
				Providers::add_devices(RuntimeOrigin::signed(DAVE), H100_SXM, 2),
				Error::<Test>::InsufficientBond
			);
			add(DAVE, H100_SXM, 1);
			assert_eq!(held(DAVE), BASE + DATACENTER);
			assert_eq!(free(DAVE), 100 * CRU);
			assert_noop!(
				Providers::add_devices(RuntimeOrigin::signed(DAVE), RTX_4090, 1),
				Error::<Test>::InsufficientBond
			);
		});
	}

	#[test]
	fn add_devices_needs_an_active_provider() {
		test(|| {
			register(ALICE, 1);
			assert_ok!(suspend(ALICE, b"audit"));
			assert_noop!(
				Providers::add_devices(RuntimeOrigin::signed(ALICE), H100_SXM, 1),
				Error::<Test>::NotActive
			);
			assert_ok!(reinstate(ALICE, b"ok"));
			assert_ok!(deregister(ALICE));
			assert_noop!(
				Providers::add_devices(RuntimeOrigin::signed(ALICE), H100_SXM, 1),
				Error::<Test>::NotActive
			);
		});
	}

	#[test]
	fn remove_devices_releases_their_bonds() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 2);
			add(ALICE, RTX_4090, 2);
			let before = free(ALICE);
			assert_ok!(remove(ALICE, &[3, 0]));
			System::assert_last_event(
				Event::DevicesRemoved {
					who: ALICE,
					devices: vec![3, 0],
					released: DATACENTER + CONSUMER,
				}
				.into(),
			);
			assert_eq!(free(ALICE), before + DATACENTER + CONSUMER);
			assert_eq!(held(ALICE), BASE + DATACENTER + CONSUMER);
			let ids: Vec<_> = Devices::<Test>::get(ALICE).iter().map(|d| d.id).collect();
			assert_eq!(ids, vec![1, 2]);
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(1, 1, 0, 0));
			assert_eq!(Supply::<Test>::get(RTX_4090), counts(1, 1, 0, 0));
			// Ids are never reused.
			add(ALICE, H100_SXM, 1);
			assert_eq!(Devices::<Test>::get(ALICE).last().unwrap().id, 4);
		});
	}

	#[test]
	fn remove_devices_refuses_unknown_busy_or_no_devices() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 3);
			let e = |ids: &[DeviceId]| remove(ALICE, ids);
			assert_noop!(e(&[]), Error::<Test>::NoDevices);
			assert_noop!(e(&[7]), Error::<Test>::UnknownDevice);
			assert_noop!(e(&[0, 0]), Error::<Test>::UnknownDevice);
			assert_noop!(e(&[0; MAX_DEVICES as usize + 1]), Error::<Test>::TooManyDevices);
			assert_ok!(reserve(ALICE, &[1], offered(4)));
			assert_noop!(e(&[0, 1]), Error::<Test>::DeviceBusy);
			assert_ok!(rebind(ALICE, &[1], offered(4), leased(9)));
			assert_noop!(e(&[1]), Error::<Test>::DeviceBusy);
			assert_eq!(held(ALICE), BASE + 3 * DATACENTER);
		});
	}

	#[test]
	fn a_suspended_provider_keeps_its_device_bonds() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, L40S, 3);
			assert_ok!(suspend(ALICE, b"audit"));
			assert_eq!(Supply::<Test>::get(L40S), counts(3, 0, 0, 0));
			// Under suspension the bonds stay at stake: leaving goes through unbonding.
			assert_noop!(remove(ALICE, &[2]), Error::<Test>::NotActive);
			assert_eq!(held(ALICE), BASE + 3 * WORKSTATION);
			assert_ok!(reinstate(ALICE, b"cleared"));
			assert_eq!(Supply::<Test>::get(L40S), counts(3, 3, 0, 0));
			assert_ok!(remove(ALICE, &[2]));
			assert_eq!(Supply::<Test>::get(L40S), counts(2, 2, 0, 0));
			assert_eq!(held(ALICE), BASE + 2 * WORKSTATION);
		});
	}
}

mod lifecycle {
	use super::*;

	#[test]
	fn a_provider_lives_and_leaves_without_a_trace() {
		test(|| {
			let before = free(ALICE);
			register(ALICE, 1);
			add(ALICE, H100_SXM, 2);
			add(ALICE, RTX_4090, 1);
			let bond = BASE + 2 * DATACENTER + CONSUMER;
			assert_eq!(held(ALICE), bond);
			assert_eq!(free(ALICE), before - bond);

			assert_ok!(Providers::rotate_worker_key(RuntimeOrigin::signed(ALICE), key(2)));
			assert!(!WorkerKeys::<Test>::contains_key(key(1)));
			assert_eq!(WorkerKeys::<Test>::get(key(2)), Some(ALICE));

			System::set_block_number(3);
			assert_ok!(suspend(ALICE, b"missed attestation"));
			System::assert_last_event(
				Event::Suspended {
					who: ALICE,
					reason: b"missed attestation".to_vec().try_into().unwrap(),
				}
				.into(),
			);
			assert_eq!(status(ALICE), Some(ProviderStatus::Suspended));
			assert_eq!(free_devices(H100_SXM), 0);
			assert_eq!(free_devices(RTX_4090), 0);
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(2, 0, 0, 0));
			let last = Records::get(ALICE).unwrap().history.last().cloned().unwrap();
			assert_eq!((last.at, last.status), (3, ProviderStatus::Suspended));
			assert_eq!(&last.reason[..], b"missed attestation");

			System::set_block_number(4);
			assert_ok!(reinstate(ALICE, b"passed re-test"));
			System::assert_last_event(
				Event::Reinstated {
					who: ALICE,
					reason: b"passed re-test".to_vec().try_into().unwrap(),
				}
				.into(),
			);
			assert_eq!(status(ALICE), Some(ProviderStatus::Active));
			assert_eq!(free_devices(H100_SXM), 2);
			assert_eq!(free_devices(RTX_4090), 1);

			System::set_block_number(5);
			assert_ok!(deregister(ALICE));
			let until = 5 + UNBONDING;
			System::assert_last_event(Event::Deregistered { who: ALICE, until }.into());
			assert_eq!(status(ALICE), Some(ProviderStatus::Unbonding { until }));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(2, 0, 0, 0));
			// The bond stays held while unbonding.
			assert_eq!(held(ALICE), bond);

			System::set_block_number(until as u64 - 1);
			assert_noop!(withdraw(ALICE), Error::<Test>::StillUnbonding);
			System::set_block_number(until as u64);
			assert_ok!(withdraw(ALICE));
			System::assert_last_event(Event::BondWithdrawn { who: ALICE, amount: bond }.into());

			assert_eq!(free(ALICE), before);
			assert_eq!(held(ALICE), 0);
			assert!(!Records::contains_key(ALICE));
			assert_eq!(Records::count(), 0);
			assert!(!Devices::<Test>::contains_key(ALICE));
			assert_eq!(WorkerKeys::<Test>::iter().count(), 0);
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(0, 0, 0, 0));
			assert_eq!(Supply::<Test>::get(RTX_4090), counts(0, 0, 0, 0));
			assert_eq!(status(ALICE), None);
			// It may come back as a new provider.
			register(ALICE, 1);
			assert_eq!(Records::get(ALICE).unwrap().next_device, 0);
		});
	}

	#[test]
	fn unbonding_blocks_changes() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 1);
			assert_ok!(deregister(ALICE));
			let e = || Error::<Test>::Unbonding;
			let who = || RuntimeOrigin::signed(ALICE);
			assert_noop!(Providers::set_endpoint(who(), ENDPOINT.to_vec()), e());
			assert_noop!(Providers::rotate_worker_key(who(), key(2)), e());
			assert_noop!(deregister(ALICE), e());
			assert_noop!(remove(ALICE, &[0]), e());
			assert_noop!(reserve(ALICE, &[0], offered(1)), Error::<Test>::NotActive);
			assert_noop!(suspend(ALICE, b"r"), Error::<Test>::NotActive);
			assert_noop!(reinstate(ALICE, b"r"), Error::<Test>::NotSuspended);
		});
	}

	#[test]
	fn withdraw_needs_unbonding() {
		test(|| {
			register(ALICE, 1);
			assert_noop!(withdraw(ALICE), Error::<Test>::NotUnbonding);
			assert_ok!(suspend(ALICE, b"r"));
			assert_noop!(withdraw(ALICE), Error::<Test>::NotUnbonding);
		});
	}

	#[test]
	fn deregister_needs_every_device_free() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 2);
			assert_ok!(reserve(ALICE, &[0], offered(1)));
			assert_noop!(deregister(ALICE), Error::<Test>::DevicesInUse);
			assert_ok!(rebind(ALICE, &[0], offered(1), leased(1)));
			assert_noop!(deregister(ALICE), Error::<Test>::DevicesInUse);
			assert_ok!(release(ALICE, &[0], leased(1)));
			assert_ok!(deregister(ALICE));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(2, 0, 0, 0));
		});
	}

	#[test]
	fn a_suspended_provider_may_deregister() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, L40S, 2);
			assert_ok!(suspend(ALICE, b"r"));
			assert_ok!(deregister(ALICE));
			assert_eq!(Supply::<Test>::get(L40S), counts(2, 0, 0, 0));
			System::set_block_number(1 + UNBONDING as u64);
			assert_ok!(withdraw(ALICE));
			assert_eq!(Supply::<Test>::get(L40S), counts(0, 0, 0, 0));
			assert_eq!(held(ALICE), 0);
		});
	}
}

mod governance {
	use super::*;

	#[test]
	fn governance_calls_need_the_market_origin() {
		test(|| {
			register(ALICE, 1);
			let o = || RuntimeOrigin::signed(BOB);
			let bad = DispatchError::BadOrigin;
			assert_noop!(Providers::set_params(o(), params()), bad);
			assert_noop!(
				Providers::set_model(o(), 7, model("MI300X", 196_608, GpuClass::Datacenter)),
				bad
			);
			assert_noop!(Providers::remove_model(o(), 2), bad);
			assert_noop!(Providers::suspend(o(), ALICE, b"r".to_vec()), bad);
			assert_ok!(suspend(ALICE, b"r"));
			assert_noop!(Providers::reinstate(o(), ALICE, b"r".to_vec()), bad);
		});
	}

	#[test]
	fn suspend_and_reinstate_check_status_and_reason() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 3);
			assert_noop!(suspend(ALICE, b""), Error::<Test>::EmptyReason);
			assert_noop!(suspend(ALICE, b"bad\x07"), Error::<Test>::MalformedText);
			assert_noop!(suspend(ALICE, &[b'r'; 65]), Error::<Test>::MalformedText);
			assert_noop!(reinstate(ALICE, b"r"), Error::<Test>::NotSuspended);
			assert_ok!(reserve(ALICE, &[0], offered(1)));
			assert_ok!(suspend(ALICE, b"audit"));
			// Only the two free devices leave the free counter.
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(3, 0, 1, 0));
			assert_noop!(suspend(ALICE, b"again"), Error::<Test>::NotActive);
			assert_noop!(reinstate(ALICE, b""), Error::<Test>::EmptyReason);
			assert_noop!(reserve(ALICE, &[1], offered(2)), Error::<Test>::NotActive);
			assert_ok!(reinstate(ALICE, b"ok"));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(3, 2, 1, 0));
			let history: Vec<_> = Providers::provider_view(ALICE)
				.unwrap()
				.history
				.into_iter()
				.map(|c| (c.status, c.reason))
				.collect();
			assert_eq!(
				history,
				vec![
					(ProviderStatus::Active, String::new()),
					(ProviderStatus::Suspended, "audit".into()),
					(ProviderStatus::Active, "ok".into()),
				]
			);
		});
	}

	#[test]
	fn history_keeps_the_latest_changes() {
		test(|| {
			register(ALICE, 1);
			for i in 0..10u8 {
				assert_ok!(suspend(ALICE, &[b'a' + i]));
				assert_ok!(reinstate(ALICE, &[b'A' + i]));
			}
			let history = Records::get(ALICE).unwrap().history;
			assert_eq!(history.len(), crate::HISTORY_LEN as usize);
			assert_eq!(&history.last().unwrap().reason[..], b"J");
			assert_eq!(&history[0].reason[..], b"g");
		});
	}

	#[test]
	fn set_params_changes_bonds_only_for_new_devices_and_providers() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 1);
			let new = ProviderParams {
				base_bond: 2_000 * CRU,
				device_bonds: ClassBonds {
					consumer: 150 * CRU,
					workstation: 300 * CRU,
					datacenter: 800 * CRU,
				},
				unbonding_period: 3,
				allow_private_endpoints: false,
				min_bond_ratio: Perbill::from_percent(80),
				underbonded_grace: 7,
			};
			assert_ok!(Providers::set_params(RuntimeOrigin::root(), new));
			System::assert_last_event(Event::ParamsSet { params: new }.into());
			assert_eq!(Params::<Test>::get(), new);
			// Existing bonds are unchanged.
			assert_eq!(held(ALICE), BASE + DATACENTER);
			add(ALICE, H100_SXM, 1);
			let bonds: Vec<_> = Devices::<Test>::get(ALICE).iter().map(|d| d.bond).collect();
			assert_eq!(bonds, vec![DATACENTER, 800 * CRU]);
			assert_eq!(held(ALICE), BASE + DATACENTER + 800 * CRU);
			// Removing the old device releases what it held, not the new price.
			let before = free(ALICE);
			assert_ok!(remove(ALICE, &[0]));
			assert_eq!(free(ALICE), before + DATACENTER);
			register(BOB, 2);
			assert_eq!(held(BOB), 2_000 * CRU);
			// The recorded base bond is what comes back.
			assert_ok!(deregister(ALICE));
			System::set_block_number(1 + 3);
			let before = free(ALICE);
			assert_ok!(withdraw(ALICE));
			assert_eq!(free(ALICE), before + BASE + 800 * CRU);
		});
	}

	#[test]
	fn set_params_refuses_zero_bonds_or_periods() {
		test(|| {
			let zero_base = ProviderParams { base_bond: 0, ..params() };
			let zero_device = ProviderParams {
				device_bonds: ClassBonds { consumer: 0, ..params().device_bonds },
				..params()
			};
			let zero_period = ProviderParams { unbonding_period: 0, ..params() };
			let zero_ratio = ProviderParams { min_bond_ratio: Perbill::from_parts(0), ..params() };
			for bad in [zero_base, zero_device, zero_period, zero_ratio] {
				assert_noop!(
					Providers::set_params(RuntimeOrigin::root(), bad),
					Error::<Test>::InvalidParams
				);
			}
		});
	}

	#[test]
	fn set_params_refuses_an_unbonding_period_a_slash_could_not_land_in() {
		test(|| {
			let short = ProviderParams { unbonding_period: MIN_UNBONDING - 1, ..params() };
			assert_noop!(
				Providers::set_params(RuntimeOrigin::root(), short),
				Error::<Test>::UnbondingTooShort
			);
			let just = ProviderParams { unbonding_period: MIN_UNBONDING, ..params() };
			assert_ok!(Providers::set_params(RuntimeOrigin::root(), just));
		});
	}

	#[test]
	fn set_model_adds_and_updates_entries() {
		test(|| {
			let mi300 = model("MI300X", 196_608, GpuClass::Datacenter);
			assert_ok!(Providers::set_model(RuntimeOrigin::root(), 7, mi300.clone()));
			System::assert_last_event(Event::ModelSet { id: 7 }.into());
			assert_eq!(Catalogue::<Test>::get(7), Some(mi300));
			assert_eq!(Catalogue::<Test>::count(), 7);
			assert_eq!(
				<Providers as ProviderRegistry<u64>>::model(7),
				Some((196_608, GpuClass::Datacenter))
			);
			register(ALICE, 1);
			add(ALICE, 7, 1);
			assert_eq!(held(ALICE), BASE + DATACENTER);
			// An unused entry may change; its count does not grow.
			let cheaper = model("H100 PCIe", 81_920, GpuClass::Workstation);
			assert_ok!(Providers::set_model(RuntimeOrigin::root(), 2, cheaper.clone()));
			assert_eq!(Catalogue::<Test>::get(2), Some(cheaper));
			assert_eq!(Catalogue::<Test>::count(), 7);
			add(ALICE, 2, 1);
			assert_eq!(held(ALICE), BASE + DATACENTER + WORKSTATION);
		});
	}

	#[test]
	fn set_model_refuses_invalid_full_or_used() {
		test(|| {
			let root = || RuntimeOrigin::root();
			let e = || Error::<Test>::InvalidModel;
			assert_noop!(Providers::set_model(root(), 7, model("", 1, GpuClass::Consumer)), e());
			assert_noop!(Providers::set_model(root(), 7, model("X", 0, GpuClass::Consumer)), e());
			let mut no_tops = model("X", 1, GpuClass::Consumer);
			no_tops.int8_tops = 0;
			assert_noop!(Providers::set_model(root(), 7, no_tops), e());
			let mut bad_name = model("X", 1, GpuClass::Consumer);
			bad_name.name = b"\xff".to_vec().try_into().unwrap();
			assert_noop!(Providers::set_model(root(), 7, bad_name), e());

			register(ALICE, 1);
			add(ALICE, H100_SXM, 1);
			assert_noop!(
				Providers::set_model(root(), H100_SXM, model("H100", 1, GpuClass::Consumer)),
				Error::<Test>::ModelInUse
			);
			assert_noop!(Providers::remove_model(root(), H100_SXM), Error::<Test>::ModelInUse);

			// The standard catalogue has 6 entries; MaxModels is 8.
			assert_ok!(Providers::set_model(root(), 7, model("A", 1, GpuClass::Consumer)));
			assert_ok!(Providers::set_model(root(), 8, model("B", 1, GpuClass::Consumer)));
			assert_noop!(
				Providers::set_model(root(), 9, model("C", 1, GpuClass::Consumer)),
				Error::<Test>::CatalogueFull
			);
			// A full catalogue may still change an existing entry.
			assert_ok!(Providers::set_model(root(), 8, model("B2", 2, GpuClass::Consumer)));
		});
	}

	#[test]
	fn remove_model_removes_an_unused_entry() {
		test(|| {
			assert_ok!(Providers::remove_model(RuntimeOrigin::root(), 4));
			System::assert_last_event(Event::ModelRemoved { id: 4 }.into());
			assert!(!Catalogue::<Test>::contains_key(4));
			assert_eq!(Catalogue::<Test>::count(), 5);
			assert_eq!(<Providers as ProviderRegistry<u64>>::model(4), None);
			assert_noop!(
				Providers::remove_model(RuntimeOrigin::root(), 4),
				Error::<Test>::UnknownModel
			);
			register(ALICE, 1);
			assert_noop!(
				Providers::add_devices(RuntimeOrigin::signed(ALICE), 4, 1),
				Error::<Test>::UnknownModel
			);
			// A model whose devices were all removed may go.
			add(ALICE, L40S, 1);
			assert_ok!(remove(ALICE, &[0]));
			assert_ok!(Providers::remove_model(RuntimeOrigin::root(), L40S));
			assert!(Providers::catalogue_view().iter().all(|m| m.id != L40S));
		});
	}
}

mod registry {
	use super::*;

	#[test]
	fn reserve_rebind_release_keep_the_counters_exact() {
		test(|| {
			register(ALICE, 1);
			register(BOB, 2);
			add(ALICE, H100_SXM, 4);
			add(BOB, H100_SXM, 2);
			assert_eq!(free_devices(H100_SXM), 6);

			assert_ok!(reserve(ALICE, &[0, 1], offered(7)));
			assert_eq!(state(ALICE, 0), DeviceState::InUse(offered(7)));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(6, 4, 2, 0));
			assert_eq!(free_devices(H100_SXM), 4);

			assert_ok!(rebind(ALICE, &[0], offered(7), leased(70)));
			assert_eq!(state(ALICE, 0), DeviceState::InUse(leased(70)));
			assert_eq!(state(ALICE, 1), DeviceState::InUse(offered(7)));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(6, 4, 1, 1));

			assert_ok!(reserve(BOB, &[1], leased(71)));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(6, 3, 1, 2));

			assert_ok!(release(ALICE, &[1], offered(7)));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(6, 4, 0, 2));
			assert_ok!(release(ALICE, &[0], leased(70)));
			assert_ok!(release(BOB, &[1], leased(71)));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(6, 6, 0, 0));
			assert_eq!(free_devices(H100_SXM), 6);
			assert!(Devices::<Test>::get(ALICE).iter().all(|d| d.state == DeviceState::Free));
			let views = <Providers as ProviderRegistry<u64>>::devices(&ALICE);
			assert_eq!(views.len(), 4);
			assert!(views.iter().all(|d| d.model == H100_SXM && d.bond == DATACENTER));
		});
	}

	#[test]
	fn moves_are_all_or_nothing() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 3);
			add(ALICE, RTX_4090, 1);
			assert_ok!(reserve(ALICE, &[2], offered(1)));
			assert_noop!(reserve(ALICE, &[0, 3, 2], offered(2)), Error::<Test>::DeviceBusy);
			assert_eq!(state(ALICE, 0), DeviceState::Free);
			assert_eq!(state(ALICE, 3), DeviceState::Free);
			assert_noop!(reserve(ALICE, &[0, 0], offered(2)), Error::<Test>::UnknownDevice);
			assert_noop!(reserve(ALICE, &[0, 9], offered(2)), Error::<Test>::UnknownDevice);
			assert_noop!(reserve(ALICE, &[], offered(2)), Error::<Test>::NoDevices);
			// Wrong use named: the device is offered on order 1, not 2, and not leased.
			assert_noop!(rebind(ALICE, &[2], offered(2), leased(1)), Error::<Test>::DeviceNotInUse);
			assert_noop!(release(ALICE, &[2], leased(1)), Error::<Test>::DeviceNotInUse);
			assert_noop!(release(ALICE, &[2, 0], offered(1)), Error::<Test>::DeviceNotInUse);
			assert_noop!(release(ALICE, &[0], offered(1)), Error::<Test>::DeviceNotInUse);
			assert_noop!(release(BOB, &[0], offered(1)), Error::<Test>::NotRegistered);
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(3, 2, 1, 0));
			assert_eq!(Supply::<Test>::get(RTX_4090), counts(1, 1, 0, 0));
		});
	}

	#[test]
	fn devices_released_at_a_suspended_provider_are_not_free() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 3);
			assert_ok!(reserve(ALICE, &[0], offered(1)));
			assert_ok!(rebind(ALICE, &[0], offered(1), leased(1)));
			assert_ok!(reserve(ALICE, &[1], offered(2)));
			assert_ok!(suspend(ALICE, b"fault"));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(3, 0, 1, 1));
			assert_ok!(release(ALICE, &[0], leased(1)));
			assert_eq!(state(ALICE, 0), DeviceState::Free);
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(3, 0, 1, 0));
			// No new lease at a suspended provider: the offer can only be withdrawn.
			assert_noop!(rebind(ALICE, &[1], offered(2), leased(2)), Error::<Test>::NotActive);
			assert_ok!(release(ALICE, &[1], offered(2)));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(3, 0, 0, 0));
			assert_eq!(free_devices(H100_SXM), 0);
			assert_ok!(reinstate(ALICE, b"ok"));
			assert_eq!(Supply::<Test>::get(H100_SXM), counts(3, 3, 0, 0));
		});
	}

	#[test]
	fn reputation_counts_events_of_providers_only() {
		test(|| {
			register(ALICE, 1);
			let record = |who, e| <Providers as Reputation<u64>>::record(&who, e);
			record(ALICE, ReputationEvent::LeaseCompleted);
			record(ALICE, ReputationEvent::LeaseCompleted);
			record(ALICE, ReputationEvent::LeaseFaulted);
			record(ALICE, ReputationEvent::AttestationPassed);
			record(ALICE, ReputationEvent::AttestationFailed);
			record(ALICE, ReputationEvent::AttestationFailed);
			let expected = ReputationCounters {
				leases_completed: 2,
				leases_faulted: 1,
				attestations_passed: 1,
				attestations_failed: 2,
			};
			assert_eq!(<Providers as Reputation<u64>>::reputation(&ALICE), Some(expected));
			assert_eq!(Providers::provider_view(ALICE).unwrap().reputation, expected);
			assert_storage_noop!(record(BOB, ReputationEvent::LeaseCompleted));
			assert_eq!(<Providers as Reputation<u64>>::reputation(&BOB), None);
			assert!(!Records::contains_key(BOB));
		});
	}
}

mod slashing {
	use super::*;

	#[test]
	fn a_beneficiary_that_cannot_receive_the_slash_leaves_it_to_the_treasury() {
		test(|| {
			register(ALICE, 1);
			let treasury = free(TREASURY);
			// Below the existential deposit, to an account that does not exist.
			let tiny = CRU / 10_000;
			assert_eq!(slash(ALICE, tiny, Some(777)), Ok(tiny));
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					amount: tiny,
					beneficiary: TREASURY,
					reason: SlashReason::Fraud,
				}
				.into(),
			);
			assert_eq!(free(777), 0);
			assert_eq!(free(TREASURY), treasury + tiny);
			assert_eq!(held(ALICE), BASE - tiny);
		});
	}

	#[test]
	fn a_slash_the_treasury_cannot_receive_is_not_recorded() {
		test(|| {
			register(ALICE, 1);
			// The treasury account is gone: a slash below the existential deposit cannot
			// create it.
			assert_ok!(Balances::transfer_all(RuntimeOrigin::signed(TREASURY), BOB, false));
			assert_eq!(free(TREASURY), 0);
			let before = Records::get(ALICE).unwrap();
			System::reset_events();
			assert!(slash(ALICE, CRU / 10_000, None).is_err());
			assert_eq!(held(ALICE), BASE);
			assert_eq!(Records::get(ALICE).unwrap(), before, "no slash recorded");
			assert!(System::events().is_empty());
		});
	}

	#[test]
	fn slash_moves_held_cru_to_the_beneficiary_or_treasury() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 2);
			let (alice, bob, treasury) = (free(ALICE), free(BOB), free(TREASURY));
			let r = SlashReason::LeaseFault(4);
			assert_eq!(
				<Providers as Slashing<u64>>::slash(&ALICE, 300 * CRU, Some(&BOB), r),
				Ok(300 * CRU)
			);
			System::assert_last_event(
				Event::Slashed { who: ALICE, amount: 300 * CRU, beneficiary: BOB, reason: r }
					.into(),
			);
			assert_eq!(free(BOB), bob + 300 * CRU);
			assert_eq!(held(ALICE), 1_700 * CRU);
			assert_eq!(Records::get(ALICE).unwrap().slashed_total, 300 * CRU);

			assert_eq!(slash(ALICE, 200 * CRU, None), Ok(200 * CRU));
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					amount: 200 * CRU,
					beneficiary: TREASURY,
					reason: SlashReason::Fraud,
				}
				.into(),
			);
			assert_eq!(free(TREASURY), treasury + 200 * CRU);
			assert_eq!(held(ALICE), 1_500 * CRU);

			// Bounded by the hold.
			assert_eq!(slash(ALICE, 1_000_000 * CRU, None), Ok(1_500 * CRU));
			assert_eq!(held(ALICE), 0);
			assert_eq!(free(TREASURY), treasury + 1_700 * CRU);
			assert_eq!(Records::get(ALICE).unwrap().slashed_total, 2_000 * CRU);
			assert_eq!(slash(ALICE, CRU, Some(BOB)), Ok(0));
			System::assert_last_event(
				Event::Slashed {
					who: ALICE,
					amount: 0,
					beneficiary: BOB,
					reason: SlashReason::Fraud,
				}
				.into(),
			);
			// The slashed account's free balance is untouched.
			assert_eq!(free(ALICE), alice);
			let view = Providers::provider_view(ALICE).unwrap().bond;
			assert_eq!(
				(view.base, view.devices, view.required, view.held, view.slashed_total),
				(BASE, 2 * DATACENTER, 2_000 * CRU, 0, 2_000 * CRU)
			);
			assert_eq!(view.underbonded_since, Some(1));
		});
	}

	#[test]
	fn slash_works_while_unbonding() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, RTX_4090, 1);
			assert_ok!(deregister(ALICE));
			let before = free(CHARLIE);
			assert_eq!(slash(ALICE, 400 * CRU, Some(CHARLIE)), Ok(400 * CRU));
			assert_eq!(free(CHARLIE), before + 400 * CRU);
			System::set_block_number(1 + UNBONDING as u64);
			let before = free(ALICE);
			assert_ok!(withdraw(ALICE));
			System::assert_last_event(
				Event::BondWithdrawn { who: ALICE, amount: 700 * CRU }.into(),
			);
			assert_eq!(free(ALICE), before + 700 * CRU);
		});
	}

	#[test]
	fn after_a_slash_removal_releases_only_what_is_held_above_the_rest_required() {
		test(|| {
			let start = free(ALICE);
			register(ALICE, 1);
			add(ALICE, H100_SXM, 4);
			assert_eq!(held(ALICE), 3_000 * CRU);
			// An odd amount, to catch rounding.
			let cut = 700 * CRU + 123;
			assert_eq!(slash(ALICE, cut, None), Ok(cut));

			// Held 2,300 − 123 against 2,500 still required: nothing comes back.
			assert_ok!(remove(ALICE, &[0]));
			System::assert_last_event(
				Event::DevicesRemoved { who: ALICE, devices: vec![0], released: 0 }.into(),
			);
			assert_eq!(held(ALICE), 3_000 * CRU - cut);
			// Required falls to 1,500: what is held above it comes back, and no more.
			assert_ok!(remove(ALICE, &[1, 2]));
			System::assert_last_event(
				Event::DevicesRemoved {
					who: ALICE,
					devices: vec![1, 2],
					released: 800 * CRU - 123,
				}
				.into(),
			);
			assert_eq!(held(ALICE), 1_500 * CRU);
			assert_eq!(Records::get(ALICE).unwrap().underbonded_since, None);
			assert_ok!(remove(ALICE, &[3]));
			assert_eq!(held(ALICE), BASE);

			assert_ok!(deregister(ALICE));
			System::set_block_number(1 + UNBONDING as u64);
			assert_ok!(withdraw(ALICE));
			System::assert_last_event(Event::BondWithdrawn { who: ALICE, amount: BASE }.into());
			assert_eq!(held(ALICE), 0);
			assert_eq!(start - free(ALICE), cut);
		});
	}

	#[test]
	fn slashes_beyond_the_bond_floor_the_hold_at_zero() {
		test(|| {
			let start = free(ALICE);
			register(ALICE, 1);
			add(ALICE, H100_SXM, 2);
			let cut = 1_800 * CRU;
			assert_eq!(slash(ALICE, cut, Some(BOB)), Ok(cut));
			assert_eq!(held(ALICE), 200 * CRU);
			// Required falls to 1,500, above the 200 held: nothing comes back.
			assert_ok!(remove(ALICE, &[0]));
			System::assert_last_event(
				Event::DevicesRemoved { who: ALICE, devices: vec![0], released: 0 }.into(),
			);
			assert_eq!(held(ALICE), 200 * CRU);
			assert_eq!(slash(ALICE, cut, Some(BOB)), Ok(200 * CRU));
			assert_eq!(held(ALICE), 0);
			assert_eq!(Records::get(ALICE).unwrap().slashed_total, 2_000 * CRU);
			assert_ok!(deregister(ALICE));
			System::set_block_number(1 + UNBONDING as u64);
			assert_ok!(withdraw(ALICE));
			System::assert_last_event(Event::BondWithdrawn { who: ALICE, amount: 0 }.into());
			assert_eq!(start - free(ALICE), 2_000 * CRU);
		});
	}

	#[test]
	fn devices_added_after_a_slash_hold_their_full_bond_and_forgive_nothing() {
		test(|| {
			register(ALICE, 1);
			add(ALICE, H100_SXM, 2);
			let cut = 600 * CRU;
			assert_eq!(slash(ALICE, cut, None), Ok(cut));
			let short = |p: &crate::Provider| p.required() - p.held;
			assert_eq!(short(&Records::get(ALICE).unwrap()), cut);
			// A new device's bond is held in full, and the shortfall stays what the slash made.
			let before = free(ALICE);
			add(ALICE, RTX_4090, 2);
			assert_eq!(before - free(ALICE), 2 * CONSUMER);
			assert_eq!(held(ALICE), 2_000 * CRU - cut + 2 * CONSUMER);
			let p = Records::get(ALICE).unwrap();
			assert_eq!((short(&p), p.slashed_total), (cut, cut));
			// Removing a device while short gives nothing back: the hold stays at stake.
			let held_before = held(ALICE);
			assert_ok!(remove(ALICE, &[2]));
			assert_eq!(held(ALICE), held_before);
			assert_eq!(Records::get(ALICE).unwrap().slashed_total, cut);
		});
	}
}

mod underbonded {
	use super::*;

	/// Alice with two H100s (2,000 CRU required), slashed `cut` at block `at`.
	fn slashed_at(at: u64, cut: Balance) {
		register(ALICE, 1);
		add(ALICE, H100_SXM, 2);
		System::set_block_number(at);
		assert_eq!(slash(ALICE, cut, None), Ok(cut));
	}

	fn bonded(who: u64) -> bool {
		<Providers as ProviderRegistry<u64>>::bonded(&who)
	}

	fn since(who: u64) -> Option<u32> {
		Records::get(who).unwrap().underbonded_since
	}

	#[test]
	fn a_slash_below_the_ratio_starts_the_clock_and_a_small_one_does_not() {
		test(|| {
			// 90% of 2,000 is 1,800: a slash of 200 leaves the provider bonded.
			slashed_at(3, 200 * CRU);
			assert!(bonded(ALICE));
			assert_eq!(since(ALICE), None);
			System::set_block_number(4);
			assert_eq!(slash(ALICE, 1, None), Ok(1));
			assert!(!bonded(ALICE));
			assert_eq!(since(ALICE), Some(4));
			// A later slash keeps the clock where it started.
			System::set_block_number(6);
			assert_eq!(slash(ALICE, CRU, None), Ok(CRU));
			assert_eq!(since(ALICE), Some(4));
			assert!(!bonded(BOB), "not a provider");
		});
	}

	#[test]
	fn a_top_up_restores_the_bond_and_stops_the_clock() {
		test(|| {
			slashed_at(3, 500 * CRU);
			assert!(!bonded(ALICE));
			let before = free(ALICE);
			assert_ok!(Providers::top_up_bond(RuntimeOrigin::signed(ALICE), 300 * CRU));
			System::assert_last_event(
				Event::BondToppedUp { who: ALICE, amount: 300 * CRU, held: 1_800 * CRU }.into(),
			);
			assert_eq!(before - free(ALICE), 300 * CRU);
			assert_eq!(held(ALICE), 1_800 * CRU);
			assert!(bonded(ALICE));
			assert_eq!(since(ALICE), None);
			// Above what is required is fine too: it is held and slashable.
			assert_ok!(Providers::top_up_bond(RuntimeOrigin::signed(ALICE), 500 * CRU));
			assert_eq!(held(ALICE), 2_300 * CRU);
			assert_eq!(Records::get(ALICE).unwrap().slashed_total, 500 * CRU);
		});
	}

	#[test]
	fn top_up_refuses_zero_strangers_the_unbonding_and_what_cannot_be_held() {
		test(|| {
			register(ALICE, 1);
			let top_up = |who, amount| Providers::top_up_bond(RuntimeOrigin::signed(who), amount);
			assert_noop!(top_up(ALICE, 0), Error::<Test>::ZeroAmount);
			assert_noop!(top_up(BOB, CRU), Error::<Test>::NotRegistered);
			assert_noop!(top_up(ALICE, 10_000_000 * CRU), Error::<Test>::InsufficientBond);
			assert_ok!(deregister(ALICE));
			assert_noop!(top_up(ALICE, CRU), Error::<Test>::Unbonding);
		});
	}

	#[test]
	fn anyone_suspends_an_underbonded_provider_once_the_grace_has_passed() {
		test(|| {
			let suspend_it = |who| Providers::suspend_underbonded(RuntimeOrigin::signed(BOB), who);
			register(CHARLIE, 3);
			assert_noop!(suspend_it(CHARLIE), Error::<Test>::NotUnderbonded);
			assert_noop!(suspend_it(DAVE), Error::<Test>::NotRegistered);
			slashed_at(3, 500 * CRU);
			System::set_block_number(3 + GRACE as u64 - 1);
			assert_noop!(suspend_it(ALICE), Error::<Test>::GraceNotOver);
			System::set_block_number(3 + GRACE as u64);
			assert_eq!(free_devices(H100_SXM), 2);
			assert_ok!(suspend_it(ALICE));
			let reason: crate::Reason = b"underbonded".to_vec().try_into().unwrap();
			System::assert_last_event(
				Event::Suspended { who: ALICE, reason: reason.clone() }.into(),
			);
			let p = Records::get(ALICE).unwrap();
			assert_eq!(p.status, ProviderStatus::Suspended);
			assert_eq!(p.history.last().map(|c| c.reason.clone()), Some(reason));
			assert_eq!(free_devices(H100_SXM), 0);
			assert_noop!(suspend_it(ALICE), Error::<Test>::NotActive);
			// Topped up and reinstated by governance, it bids again.
			assert_ok!(Providers::top_up_bond(RuntimeOrigin::signed(ALICE), 500 * CRU));
			assert_ok!(reinstate(ALICE, b"topped up"));
			assert!(bonded(ALICE));
		});
	}

	#[test]
	fn a_ratio_lowered_then_raised_again_gives_a_whole_grace_from_the_raise() {
		test(|| {
			let suspend_it = || Providers::suspend_underbonded(RuntimeOrigin::signed(BOB), ALICE);
			let set_ratio = |percent| {
				let params =
					ProviderParams { min_bond_ratio: Perbill::from_percent(percent), ..params() };
				Providers::set_params(RuntimeOrigin::root(), params)
			};
			let shown = || Providers::provider_view(ALICE).unwrap().bond.underbonded_since;
			// Slashed at block 3 to 75% of its bond, under the 90% ratio.
			slashed_at(3, 500 * CRU);
			assert_eq!(shown(), Some(3));
			// Governance lowers the ratio: it is bonded again and may bid.
			System::set_block_number(10);
			assert_ok!(set_ratio(70));
			assert!(bonded(ALICE));
			assert_eq!(shown(), None);
			assert_noop!(suspend_it(), Error::<Test>::NotUnderbonded);
			// Raised again long after: the clock of block 3 does not count, the grace runs
			// from the raise.
			System::set_block_number(100 + GRACE as u64);
			assert_ok!(set_ratio(90));
			assert!(!bonded(ALICE));
			let raised = 100 + GRACE;
			assert_eq!(shown(), Some(raised));
			assert_noop!(suspend_it(), Error::<Test>::GraceNotOver);
			System::set_block_number(u64::from(raised + GRACE) - 1);
			assert_noop!(suspend_it(), Error::<Test>::GraceNotOver);
			System::set_block_number(u64::from(raised + GRACE));
			assert_ok!(suspend_it());
		});
	}

	#[test]
	fn a_provider_that_restores_its_bond_in_time_is_not_suspended() {
		test(|| {
			slashed_at(3, 500 * CRU);
			assert_ok!(Providers::top_up_bond(RuntimeOrigin::signed(ALICE), 500 * CRU));
			System::set_block_number(100);
			assert_noop!(
				Providers::suspend_underbonded(RuntimeOrigin::signed(BOB), ALICE),
				Error::<Test>::NotUnderbonded
			);
		});
	}

	#[test]
	fn governance_slashes_active_suspended_and_unbonding_providers() {
		test(|| {
			let gov_slash = |who, amount| {
				Providers::slash(RuntimeOrigin::root(), who, amount, SlashReason::Governance)
			};
			register(ALICE, 1);
			register(BOB, 2);
			register(CHARLIE, 3);
			assert_ok!(suspend(BOB, b"audit"));
			assert_ok!(deregister(CHARLIE));
			let treasury = free(TREASURY);
			for who in [ALICE, BOB, CHARLIE] {
				assert_ok!(gov_slash(who, 100 * CRU));
				System::assert_last_event(
					Event::Slashed {
						who,
						amount: 100 * CRU,
						beneficiary: TREASURY,
						reason: SlashReason::Governance,
					}
					.into(),
				);
				assert_eq!(held(who), BASE - 100 * CRU);
			}
			assert_eq!(free(TREASURY), treasury + 300 * CRU);
			// The unbonding provider withdraws only what is left.
			System::set_block_number(1 + UNBONDING as u64);
			let before = free(CHARLIE);
			assert_ok!(withdraw(CHARLIE));
			assert_eq!(free(CHARLIE), before + BASE - 100 * CRU);
			assert_noop!(
				Providers::slash(RuntimeOrigin::signed(ALICE), BOB, CRU, SlashReason::Governance),
				DispatchError::BadOrigin
			);
			assert_noop!(gov_slash(ALICE, 0), Error::<Test>::ZeroAmount);
			assert_noop!(gov_slash(DAVE, CRU), Error::<Test>::NotRegistered);
		});
	}
}

mod views {
	use super::*;

	/// Every page of `filter` with `limit` per page, checking each page's shape.
	fn all_pages(filter: &ProviderFilter, limit: u32) -> Vec<u64> {
		let mut out = Vec::new();
		let mut cursor = None;
		for _ in 0..100 {
			let page = Providers::providers_page(filter.clone(), cursor, limit);
			out.extend(page.providers.iter().map(|s| s.owner));
			match page.next {
				Some(next) => {
					assert_eq!(page.providers.len(), limit as usize, "only a full page has a next");
					cursor = Some(next);
				}
				None => return out,
			}
		}
		panic!("pages never end");
	}

	fn sorted(mut v: Vec<u64>) -> Vec<u64> {
		v.sort();
		v
	}

	#[test]
	fn pages_cover_every_provider_once() {
		test(|| {
			let accounts: Vec<u64> = (10..17).collect();
			for &who in &accounts {
				fund(who, 10_000 * CRU);
				register(who, who as u8);
			}
			let all = ProviderFilter::default();
			for limit in [1, 2, 3, 6, 7, 100] {
				let got = all_pages(&all, limit);
				assert_eq!(got.len(), accounts.len(), "limit {limit}");
				assert_eq!(sorted(got), accounts, "limit {limit}");
			}
			let page = Providers::providers_page(all.clone(), None, 7);
			assert_eq!((page.providers.len(), page.next), (7, None));
			let page = Providers::providers_page(all.clone(), None, 6);
			assert_eq!(page.providers.len(), 6);
			let rest = Providers::providers_page(all.clone(), page.next, 6);
			assert_eq!((rest.providers.len(), rest.next), (1, None));
			// A limit of zero still returns one.
			assert_eq!(Providers::providers_page(all, None, 0).providers.len(), 1);
		});
	}

	#[test]
	fn pages_filter_by_status_region_and_model() {
		test(|| {
			let accounts: Vec<u64> = (10..18).collect();
			for &who in &accounts {
				fund(who, 10_000 * CRU);
				let region: &[u8] = if who % 2 == 0 { b"de" } else { b"us-east" };
				assert_ok!(try_register(who, ENDPOINT, region, who as u8, b""));
			}
			add(10, L40S, 2);
			add(13, L40S, 1);
			add(13, RTX_4090, 1);
			add(14, H100_SXM, 1);
			assert_ok!(suspend(11, b"r"));
			assert_ok!(suspend(12, b"r"));
			assert_ok!(deregister(15));
			let f = |status, region: Option<&str>, model| ProviderFilter {
				status,
				region: region.map(Into::into),
				model,
			};
			let unbonding = Some(StatusFilter::Unbonding);
			for limit in [1, 2, 100] {
				let active = all_pages(&f(Some(StatusFilter::Active), None, None), limit);
				assert_eq!(sorted(active), vec![10, 13, 14, 16, 17]);
				let suspended = all_pages(&f(Some(StatusFilter::Suspended), None, None), limit);
				assert_eq!(sorted(suspended), vec![11, 12]);
				assert_eq!(all_pages(&f(unbonding, None, None), limit), vec![15]);
				let de = all_pages(&f(None, Some("de"), None), limit);
				assert_eq!(sorted(de), vec![10, 12, 14, 16]);
				let l40s = all_pages(&f(None, None, Some(L40S)), limit);
				assert_eq!(sorted(l40s), vec![10, 13]);
				let active_us_l40s =
					all_pages(&f(Some(StatusFilter::Active), Some("us-east"), Some(L40S)), limit);
				assert_eq!(active_us_l40s, vec![13]);
				assert!(all_pages(&f(None, Some("fr"), None), limit).is_empty());
				assert!(all_pages(&f(None, None, Some(2)), limit).is_empty());
			}
			assert_ok!(reserve(10, &[0], offered(1)));
			let page = Providers::providers_page(f(None, None, Some(L40S)), None, 100);
			let ten = page.providers.iter().find(|s| s.owner == 10).unwrap();
			assert_eq!(ten.status, ProviderStatus::Active);
			assert_eq!(ten.region, "de");
			assert_eq!(ten.endpoint, core::str::from_utf8(ENDPOINT).unwrap());
			assert_eq!((ten.devices, ten.free), (2, 1));
			assert_eq!(ten.bond, BASE + 2 * WORKSTATION);
		});
	}

	/// Trie nodes that the registry's views read on hostile arguments, on a registry of `n`
	/// providers with a device each (the budget only stops a runaway walk).
	fn hostile_reads(n: u64) -> u32 {
		let mut ext = new_test_ext();
		ext.execute_with(|| {
			for who in 100..100 + n {
				fund(who, 10_000 * CRU);
				let mut raw = [3u8; 32];
				raw[..8].copy_from_slice(&who.to_le_bytes());
				assert_ok!(Providers::register_provider(
					RuntimeOrigin::signed(who),
					ENDPOINT.to_vec(),
					REGION.to_vec(),
					crucible_primitives::providers::WorkerKey::from_raw(raw),
					vec![],
				));
				add(who, RTX_4090, 1);
			}
		});
		let none = ProviderFilter { region: Some("nowhere".into()), ..Default::default() };
		let rtx = ProviderFilter { model: Some(RTX_4090), ..Default::default() };
		crucible_primitives::testing::with_read_budget(&mut ext, 200_000, || {
			assert!(Providers::providers_page(none.clone(), None, u32::MAX).providers.is_empty());
			let page = Providers::providers_page(rtx.clone(), None, u32::MAX);
			assert_eq!(page.providers.len() as u64, n.min(100));
			let _ = Providers::providers_page(ProviderFilter::default(), Some(u64::MAX), u32::MAX);
			let _ = Providers::provider_view(u64::MAX);
			let _ = Providers::catalogue_view();
			let _ = Providers::supply_view();
		})
		.1
	}

	#[test]
	fn views_read_no_more_with_more_providers_whatever_the_arguments() {
		// A filter nobody matches reads 1,000 providers at most, a page holds 100 at most:
		// 1,100 providers and 1,300 cost the same to within the trie's depth.
		let (few, many) = (hostile_reads(1_100), hostile_reads(1_300));
		assert!(many <= few + few / 10, "{few} trie reads with 1,100 providers, {many} with 1,300");
		assert!(hostile_reads(0) < 1_000);
	}

	#[test]
	fn provider_view_shows_the_record() {
		test(|| {
			System::set_block_number(4);
			assert_ok!(try_register(ALICE, ENDPOINT, b"de", 1, "Acme — Frankfurt".as_bytes()));
			add(ALICE, H100_SXM, 1);
			add(ALICE, RTX_4090, 1);
			assert_ok!(reserve(ALICE, &[1], leased(3)));
			assert_eq!(slash(ALICE, 50 * CRU, None), Ok(50 * CRU));
			let v = Providers::provider_view(ALICE).unwrap();
			assert_eq!(v.owner, ALICE);
			assert_eq!(v.status, ProviderStatus::Active);
			assert_eq!(v.worker_key, key(1));
			assert_eq!(v.endpoint, core::str::from_utf8(ENDPOINT).unwrap());
			assert_eq!(v.region, "de");
			assert_eq!(v.metadata, "Acme — Frankfurt");
			assert_eq!(v.registered_at, 4);
			let b = v.bond;
			assert_eq!(
				(b.base, b.devices, b.required, b.held, b.slashed_total),
				(
					BASE,
					DATACENTER + CONSUMER,
					BASE + DATACENTER + CONSUMER,
					BASE + DATACENTER + CONSUMER - 50 * CRU,
					50 * CRU
				)
			);
			assert_eq!(b.underbonded_since, None, "50 CRU is within the ratio");
			let devices: Vec<_> =
				v.devices.iter().map(|d| (d.id, d.model, d.bond, d.state)).collect();
			assert_eq!(
				devices,
				vec![
					(0, H100_SXM, DATACENTER, DeviceState::Free),
					(1, RTX_4090, CONSUMER, DeviceState::InUse(leased(3))),
				]
			);
			assert_eq!(v.history.len(), 1);
			assert_eq!((v.history[0].at, v.history[0].status), (4, ProviderStatus::Active));
			assert_eq!(v.reputation, ReputationCounters::default());
		});
	}

	#[test]
	fn catalogue_view_is_sorted_with_current_bonds() {
		test(|| {
			assert_ok!(Providers::set_model(
				RuntimeOrigin::root(),
				0,
				model("MI300X", 196_608, GpuClass::Datacenter)
			));
			let view = Providers::catalogue_view();
			let ids: Vec<_> = view.iter().map(|m| m.id).collect();
			assert_eq!(ids, vec![0, 1, 2, 3, 4, 5, 6]);
			let h100 = &view[1];
			assert_eq!(h100.name, "H100 SXM");
			assert_eq!((h100.vram_mib, h100.int8_tops), (81_920, 1_979));
			assert_eq!((h100.vendor, h100.interface), (GpuVendor::Nvidia, GpuInterface::Sxm));
			assert_eq!((h100.class, h100.bond_per_device), (GpuClass::Datacenter, DATACENTER));
			assert_eq!(view[5].bond_per_device, WORKSTATION);
			assert_eq!(view[6].bond_per_device, CONSUMER);
			let new = ProviderParams {
				device_bonds: ClassBonds {
					consumer: CRU,
					workstation: 2 * CRU,
					datacenter: 3 * CRU,
				},
				..params()
			};
			assert_ok!(Providers::set_params(RuntimeOrigin::root(), new));
			let bonds: Vec<_> =
				Providers::catalogue_view().iter().map(|m| m.bond_per_device).collect();
			assert_eq!(bonds, vec![3 * CRU, 3 * CRU, 3 * CRU, 3 * CRU, 3 * CRU, 2 * CRU, CRU]);
		});
	}

	#[test]
	fn supply_view_counts_devices_per_model() {
		test(|| {
			register(ALICE, 1);
			register(BOB, 2);
			add(ALICE, H100_SXM, 3);
			add(BOB, H100_SXM, 1);
			add(BOB, RTX_4090, 2);
			assert_ok!(reserve(ALICE, &[0], offered(1)));
			assert_ok!(reserve(ALICE, &[1], leased(2)));
			assert_ok!(suspend(BOB, b"r"));
			let s = Providers::supply_view();
			assert_eq!(s.providers, 2);
			assert_eq!(s.models.len(), 6);
			let row = |id| {
				let m = s.models.iter().find(|m| m.model == id).unwrap();
				(m.name.clone(), m.registered, m.free, m.offered, m.leased)
			};
			assert_eq!(row(H100_SXM), ("H100 SXM".into(), 4, 1, 1, 1));
			assert_eq!(row(RTX_4090), ("RTX 4090".into(), 2, 0, 0, 0));
			assert_eq!(row(L40S), ("L40S".into(), 0, 0, 0, 0));
			let ids: Vec<_> = s.models.iter().map(|m| m.model).collect();
			assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
		});
	}
}

mod properties {
	use super::*;
	use proptest::prelude::*;
	use std::collections::BTreeMap;

	const ACCOUNTS: [u64; 3] = [ALICE, BOB, CHARLIE];
	const MODELS: [GpuModelId; 3] = [H100_SXM, L40S, RTX_4090];
	/// Every account whose CRU is counted: providers, beneficiaries and the treasury.
	const ALL: [u64; 5] = [ALICE, BOB, CHARLIE, POOR, TREASURY];

	#[derive(Clone, Debug)]
	enum Op {
		/// Register with one of the account's own two keys.
		Register(usize, u8),
		Add(usize, usize, u32),
		/// Remove `n` devices from the `at`-th on (wrapping, so ids may repeat).
		Remove(usize, u8, u8),
		/// Reserve `n` devices from the `at`-th on (of the free ones if `free_only`), leased or
		/// offered, for id `u`.
		Reserve(usize, u8, u8, bool, bool, u8),
		/// Rebind the `at`-th device in use from its use (or a wrong one) to lease `u`.
		Rebind(usize, u8, u8),
		/// Release the `at`-th device in use from its use.
		Release(usize, u8),
		/// Rotate to a key that may belong to another account.
		Rotate(usize, u8),
		Suspend(usize),
		Reinstate(usize),
		Deregister(usize),
		Advance(u8),
		Withdraw(usize),
		/// Slash an amount to one of `ALL` (or the treasury when `None`).
		Slash(usize, Balance, Option<usize>),
		/// New bonds and unbonding period, scaled by `k` (devices keep their bonds).
		SetParams(u8),
		TopUp(usize, Balance),
		SuspendUnderbonded(usize),
	}

	fn op() -> impl Strategy<Value = Op> {
		let who = || 0usize..3;
		prop_oneof![
			2 => (who(), 0u8..2).prop_map(|(w, k)| Op::Register(w, k)),
			4 => (who(), 0usize..3, 1u32..4).prop_map(|(w, m, n)| Op::Add(w, m, n)),
			2 => (who(), any::<u8>(), 1u8..3).prop_map(|(w, a, n)| Op::Remove(w, a, n)),
			4 => (who(), any::<u8>(), 1u8..4, any::<bool>(), any::<bool>(), 0u8..4)
				.prop_map(|(w, a, n, f, l, u)| Op::Reserve(w, a, n, f, l, u)),
			2 => (who(), any::<u8>(), 0u8..4).prop_map(|(w, a, u)| Op::Rebind(w, a, u)),
			3 => (who(), any::<u8>()).prop_map(|(w, a)| Op::Release(w, a)),
			1 => (who(), 0u8..6).prop_map(|(w, k)| Op::Rotate(w, k)),
			1 => who().prop_map(Op::Suspend),
			1 => who().prop_map(Op::Reinstate),
			1 => who().prop_map(Op::Deregister),
			2 => (1u8..12).prop_map(Op::Advance),
			4 => who().prop_map(Op::Withdraw),
			2 => (who(), 0..4_000 * CRU, proptest::option::of(0usize..5))
				.prop_map(|(w, a, b)| Op::Slash(w, a, b)),
			1 => (1u8..5).prop_map(Op::SetParams),
			2 => (who(), 0..1_000 * CRU).prop_map(|(w, a)| Op::TopUp(w, a)),
			1 => who().prop_map(Op::SuspendUnderbonded),
		]
	}

	/// Worker key `k` of the `w`-th account (keys 0 and 1 of each are its own).
	fn key_of(w: usize, k: u8) -> crucible_primitives::providers::WorkerKey {
		key(10 * (w as u8 + 1) + k)
	}

	/// `n` device ids of `who` from the `at`-th on (of its free ones if `free_only` and it has
	/// some), wrapping; an unknown id if it has none.
	fn pick(who: u64, at: u8, n: u8, free_only: bool) -> Vec<DeviceId> {
		let mut devices = Devices::<Test>::get(who).into_inner();
		if free_only && devices.iter().any(|d| d.state == DeviceState::Free) {
			devices.retain(|d| d.state == DeviceState::Free);
		}
		if devices.is_empty() {
			return vec![at.into()];
		}
		(0..n as usize).map(|i| devices[(at as usize + i) % devices.len()].id).collect()
	}

	/// The `at`-th device of `who` in use (any device if none is), with its state.
	fn pick_in_use(who: u64, at: u8) -> (DeviceId, DeviceState) {
		let mut devices = Devices::<Test>::get(who).into_inner();
		if devices.iter().any(|d| d.state != DeviceState::Free) {
			devices.retain(|d| d.state != DeviceState::Free);
		}
		match devices.get(at as usize % devices.len().max(1)) {
			Some(d) => (d.id, d.state),
			None => (at.into(), DeviceState::Free),
		}
	}

	fn apply(op: Op) -> DispatchResult {
		let signed = |w: usize| RuntimeOrigin::signed(ACCOUNTS[w]);
		match op {
			Op::Register(w, k) => Providers::register_provider(
				signed(w),
				ENDPOINT.to_vec(),
				REGION.to_vec(),
				key_of(w, k),
				vec![],
			),
			Op::Add(w, m, n) => Providers::add_devices(signed(w), MODELS[m], n),
			Op::Remove(w, at, n) => remove(ACCOUNTS[w], &pick(ACCOUNTS[w], at, n, false)),
			Op::Reserve(w, at, n, free_only, lease, u) => {
				let to = if lease { leased(u.into()) } else { offered(u.into()) };
				reserve(ACCOUNTS[w], &pick(ACCOUNTS[w], at, n, free_only), to)
			}
			Op::Rebind(w, at, u) => {
				let (id, s) = pick_in_use(ACCOUNTS[w], at);
				let from = match s {
					DeviceState::InUse(use_) => use_,
					DeviceState::Free => offered(u.into()),
				};
				rebind(ACCOUNTS[w], &[id], from, leased(u.into()))
			}
			Op::Release(w, at) => {
				let (id, s) = pick_in_use(ACCOUNTS[w], at);
				let from = match s {
					DeviceState::InUse(use_) => use_,
					DeviceState::Free => offered(0),
				};
				release(ACCOUNTS[w], &[id], from)
			}
			Op::Rotate(w, k) => {
				Providers::rotate_worker_key(signed(w), key_of(k as usize / 2, k % 2))
			}
			Op::Suspend(w) => suspend(ACCOUNTS[w], b"audit"),
			Op::Reinstate(w) => reinstate(ACCOUNTS[w], b"cleared"),
			Op::Deregister(w) => deregister(ACCOUNTS[w]),
			Op::Advance(n) => {
				System::set_block_number(System::block_number() + u64::from(n));
				Ok(())
			}
			Op::Withdraw(w) => withdraw(ACCOUNTS[w]),
			Op::Slash(w, amount, to) => slash(ACCOUNTS[w], amount, to.map(|b| ALL[b])).map(|_| ()),
			Op::SetParams(k) => {
				let k = Balance::from(k);
				let params = ProviderParams {
					base_bond: 500 * CRU * k,
					device_bonds: ClassBonds {
						consumer: 70 * CRU * k + 1,
						workstation: 250 * CRU * k + 3,
						datacenter: 400 * CRU * k + 7,
					},
					unbonding_period: k as u32,
					allow_private_endpoints: false,
					min_bond_ratio: Perbill::from_percent(70 + 7 * k as u32),
					underbonded_grace: k as u32,
				};
				Providers::set_params(RuntimeOrigin::root(), params)
			}
			Op::TopUp(w, amount) => Providers::top_up_bond(signed(w), amount),
			Op::SuspendUnderbonded(w) => {
				Providers::suspend_underbonded(RuntimeOrigin::signed(TREASURY), ACCOUNTS[w])
			}
		}
	}

	/// What the events say of one provider since it registered.
	#[derive(Default, Debug)]
	struct Ledger {
		/// Base and device bonds held.
		bonds: Balance,
		top_ups: Balance,
		released: Balance,
		slashed: Balance,
		/// What removals kept back to cover slashes: removed devices' bonds less the release.
		kept: Balance,
	}

	/// Fold the events of one op into the ledgers; `removed` is the bond of the devices a
	/// removal named (read before it ran).
	fn fold_events(ledgers: &mut BTreeMap<u64, Ledger>, removed: Balance) {
		for record in System::events() {
			let RuntimeEvent::Providers(event) = record.event else { continue };
			match event {
				Event::ProviderRegistered { who, bond, .. } => {
					ledgers.insert(who, Ledger { bonds: bond, ..Default::default() });
				}
				Event::DevicesAdded { who, bond, .. } => {
					ledgers.entry(who).or_default().bonds += bond;
				}
				Event::BondToppedUp { who, amount, .. } => {
					ledgers.entry(who).or_default().top_ups += amount;
				}
				Event::DevicesRemoved { who, released, .. } => {
					let l = ledgers.entry(who).or_default();
					l.released += released;
					l.bonds -= removed;
					l.kept += removed - released;
				}
				Event::Slashed { who, amount, .. } => {
					ledgers.entry(who).or_default().slashed += amount;
				}
				Event::BondWithdrawn { who, .. } => {
					ledgers.remove(&who);
				}
				_ => {}
			}
		}
		System::reset_events();
	}

	/// The bond of the devices of `who` that `ids` names (each once).
	fn bonds_of(who: u64, ids: &[DeviceId]) -> Balance {
		Devices::<Test>::get(who).iter().filter(|d| ids.contains(&d.id)).map(|d| d.bond).sum()
	}

	fn total() -> Balance {
		ALL.iter().map(Balances::total_balance).sum()
	}

	/// The invariants, rechecked from storage and the events without the pallet's own
	/// bookkeeping.
	fn check(
		start: Balance,
		issuance: Balance,
		ledgers: &BTreeMap<u64, Ledger>,
	) -> Result<(), TestCaseError> {
		Providers::do_try_state().map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
		let mut recount = BTreeMap::<GpuModelId, DeviceCounts>::new();
		for (who, p) in Records::iter() {
			let devices = Devices::<Test>::get(who);
			let bonds: Balance = devices.iter().map(|d| d.bond).sum();
			let l = ledgers.get(&who).expect("a provider has registered");
			// held == required + top-ups − Σ Slashed, plus what removals kept back.
			prop_assert_eq!(p.required(), p.base_bond + bonds);
			prop_assert_eq!(l.bonds, p.required());
			prop_assert_eq!(held(who) + l.slashed, p.required() + l.top_ups + l.kept);
			prop_assert_eq!(p.slashed_total, l.slashed);
			let ratio = Params::<Test>::get().min_bond_ratio;
			prop_assert_eq!(<Providers as ProviderRegistry<u64>>::bonded(&who), p.bonded(ratio));
			for d in devices.iter() {
				let c = recount.entry(d.model).or_default();
				c.registered += 1;
				match d.state {
					DeviceState::Free if p.status == ProviderStatus::Active => c.free += 1,
					DeviceState::Free => {}
					DeviceState::InUse(DeviceUse::Offered(_)) => c.offered += 1,
					DeviceState::InUse(DeviceUse::Leased(_)) => c.leased += 1,
				}
			}
		}
		for m in MODELS {
			let expected = recount.get(&m).copied().unwrap_or_default();
			prop_assert_eq!(Supply::<Test>::get(m), expected);
			prop_assert_eq!(free_devices(m), expected.free);
		}
		for who in ALL {
			if !Records::contains_key(who) {
				prop_assert_eq!(held(who), 0);
			}
		}
		prop_assert_eq!(total(), start);
		prop_assert_eq!(Balances::total_issuance(), issuance);
		Ok(())
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(48))]
		#[test]
		fn invariants_hold_over_random_sequences(ops in proptest::collection::vec(op(), 1..60)) {
			new_test_ext().execute_with(|| -> Result<(), TestCaseError> {
				let start = total();
				let issuance = Balances::total_issuance();
				// A short unbonding period, so that bonds get withdrawn; two providers with
				// devices to start with (Charlie registers only if an op says so).
				let short = ProviderParams { unbonding_period: 2, ..params() };
				assert_ok!(Providers::set_params(RuntimeOrigin::root(), short));
				for (w, m) in [(0, H100_SXM), (1, RTX_4090)] {
					assert_ok!(apply(Op::Register(w, 0)));
					add(ACCOUNTS[w], m, 2);
				}
				let mut ledgers = BTreeMap::new();
				fold_events(&mut ledgers, 0);
				check(start, issuance, &ledgers)?;
				for op in ops {
					let removed = match op {
						Op::Remove(w, at, n) => {
							let mut ids = pick(ACCOUNTS[w], at, n, false);
							ids.dedup();
							bonds_of(ACCOUNTS[w], &ids)
						}
						_ => 0,
					};
					let bond_of = |w: usize| Records::get(ACCOUNTS[w]).map(|p| (p.held, p.required()));
					let before = if let Op::Remove(w, ..) = op { bond_of(w) } else { None };
					// A failed op is fine; the checks below show it changed nothing wrong.
					let done = apply(op.clone()).is_ok();
					if let (Op::Remove(w, ..), Some((held, _)), true) = (&op, before, done) {
						// A removal releases at most the devices' bonds, only what is held
						// above the new requirement, and keeps back only what is needed.
						let (after, required) = bond_of(*w).expect("still registered");
						let released = held - after;
						prop_assert!(released <= removed);
						prop_assert!(released == 0 || after >= required, "released into a shortfall");
						prop_assert!(released == removed || after <= required, "kept back too much");
					}
					fold_events(&mut ledgers, removed);
					check(start, issuance, &ledgers)?;
				}
				Ok(())
			})?;
		}
	}
}

#[test]
fn attestation_reads_the_registration_the_devices_and_a_cursor_over_providers() {
	new_test_ext().execute_with(|| {
		System::set_block_number(3);
		register(ALICE, 1);
		System::set_block_number(5);
		add(ALICE, H100_SXM, 2);
		let view = <Providers as ProviderRegistry<u64>>::attestation_view(&ALICE).unwrap();
		assert_eq!(view.worker_key, key(1));
		assert_eq!(view.endpoint, ENDPOINT.to_vec());
		assert_eq!(view.registered_at, 3);
		assert_eq!(view.status, ProviderStatus::Active);
		assert_eq!(view.bond_held, held(ALICE));
		assert!(<Providers as ProviderRegistry<u64>>::attestation_view(&DAVE).is_none());
		// Devices record the block they were added in.
		let devices = <Providers as ProviderRegistry<u64>>::devices(&ALICE);
		assert!(devices.iter().all(|d| d.added_at == 5), "{devices:?}");
		assert_eq!(
			<Providers as ProviderRegistry<u64>>::int8_tops(H100_SXM),
			Catalogue::<Test>::get(H100_SXM).map(|m| m.int8_tops)
		);
		assert_eq!(<Providers as ProviderRegistry<u64>>::int8_tops(999), None);
		// A cursor of pages of one visits every provider once.
		register(BOB, 2);
		register(CHARLIE, 3);
		let mut seen = Vec::new();
		let mut after = None;
		loop {
			let page = <Providers as ProviderRegistry<u64>>::providers_after(after.as_ref(), 1);
			let Some(last) = page.last().copied() else { break };
			seen.extend(page);
			after = Some(last);
		}
		seen.sort();
		assert_eq!(seen, vec![ALICE, BOB, CHARLIE]);
		// Suspension through the trait records the reason; a second one fails.
		assert_ok!(<Providers as ProviderRegistry<u64>>::suspend(
			&BOB,
			b"attestation fraud: round 1, device 0"
		));
		assert_eq!(
			<Providers as ProviderRegistry<u64>>::status(&BOB),
			Some(ProviderStatus::Suspended)
		);
		assert_noop!(
			<Providers as ProviderRegistry<u64>>::suspend(&BOB, b"again"),
			Error::<Test>::NotActive
		);
	});
}
