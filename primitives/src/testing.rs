//! Test helpers: run code against a committed state and count what it reads from the trie.
//!
//! frame-benchmarking's read counter is not implemented for `TestExternalities`, and a storage
//! proof dedupes the nodes it holds, so neither says how much a runtime API call costs. Here the
//! state of a [`sp_io::TestExternalities`] is committed and wrapped in a trie backend whose
//! node storage counts every fetch, with no cache in between; a call that fetches more than its
//! budget panics, so a hostile argument that makes a view walk storage fails the test at once
//! instead of running for an hour.

use sp_core::Blake2Hasher as BlakeTwo256;
use sp_core::Hasher;
use sp_state_machine::{DBValue, OverlayedChanges, TrieBackendBuilder, TrieBackendStorage};
use std::sync::atomic::{AtomicU32, Ordering};

/// Trie node storage that counts its fetches and panics past `budget`.
struct Counting<'a, S> {
	inner: &'a S,
	fetches: AtomicU32,
	budget: u32,
}

impl<S: TrieBackendStorage<BlakeTwo256>> TrieBackendStorage<BlakeTwo256> for Counting<'_, S> {
	fn get(
		&self,
		key: &<BlakeTwo256 as Hasher>::Out,
		prefix: (&[u8], Option<u8>),
	) -> Result<Option<DBValue>, sp_state_machine::DefaultError> {
		let n = self.fetches.fetch_add(1, Ordering::Relaxed) + 1;
		assert!(n <= self.budget, "more than {} trie node reads", self.budget);
		self.inner.get(key, prefix)
	}
}

/// Runs `f` on the committed state of `ext` (its changes discarded afterwards), counting the
/// trie nodes it reads; panics once they exceed `budget`. Returns `f`'s result and the count.
pub fn with_read_budget<R>(
	ext: &mut sp_io::TestExternalities,
	budget: u32,
	f: impl FnOnce() -> R,
) -> (R, u32) {
	ext.commit_all().expect("the state commits");
	let backend = ext.as_backend();
	let counting =
		Counting { inner: backend.backend_storage(), fetches: AtomicU32::new(0), budget };
	let trie = TrieBackendBuilder::new(counting, *backend.root()).build();
	let mut overlay = OverlayedChanges::default();
	let mut state = sp_state_machine::Ext::new(&mut overlay, &trie, None);
	let result = sp_externalities::set_and_run_with_externalities(&mut state, f);
	(result, trie.backend_storage().fetches.load(Ordering::Relaxed))
}
