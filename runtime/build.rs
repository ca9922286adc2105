fn main() {
	#[cfg(feature = "std")]
	{
		// The target directory lives outside the checkout ($HOME/.cache/crucible/target), so the
		// wasm builder cannot find this workspace by walking up from OUT_DIR: point it here. Set
		// for this build script only — a wasm-building dependency (the benchmark CLI's test
		// runtime) must find its own manifest, not this workspace.
		let workspace = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
			.parent()
			.expect("the runtime is a member of the workspace");
		std::env::set_var("WASM_BUILD_WORKSPACE_HINT", workspace);
		// With the metadata hash (the node's build): CRU, 12 decimals, as the chain specs say.
		#[cfg(feature = "metadata-hash")]
		substrate_wasm_builder::WasmBuilder::init_with_defaults()
			.enable_metadata_hash("CRU", 12)
			.build();
		#[cfg(not(feature = "metadata-hash"))]
		substrate_wasm_builder::WasmBuilder::build_using_defaults();
	}
}
