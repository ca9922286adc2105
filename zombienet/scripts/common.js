// Helpers shared by the js-scripts that zombienet runs from ../local.zndsl.
//
// zombienet v1 loads each script with require() and calls its exported
// `run(nodeName, networkInfo, args)`; while it runs, the global `zombie` holds
// { ApiPromise, Keyring, WsProvider, util, connect, registerParachain }, where
// `zombie.connect(wsUri, types)` resolves to a ready polkadot.js ApiPromise.
// `args` is the DSL's `with "..."` string split on ",".
const fs = require("fs");
const path = require("path");

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Parses a positive integer argument, or fails the test with a clear message.
function intArg(value, what) {
  const n = Number.parseInt(String(value).trim(), 10);
  if (!Number.isInteger(n) || n <= 0) {
    throw new Error(`bad ${what} argument: ${JSON.stringify(value)}`);
  }
  return n;
}

// Node names from args (trimmed, empty ones dropped), or `fallback` when none.
function nodeNames(args, fallback) {
  const names = args.map((a) => String(a).trim()).filter((a) => a.length > 0);
  return names.length > 0 ? names : fallback;
}

// Connects to the named nodes; returns { name: api }.
async function connectAll(networkInfo, names) {
  const apis = {};
  try {
    for (const name of names) {
      const node = networkInfo.nodesByName[name];
      if (!node) throw new Error(`no node named ${name} in this network`);
      apis[name] = await zombie.connect(node.wsUri, node.userDefinedTypes);
    }
  } catch (err) {
    await disconnectAll(apis);
    throw err;
  }
  return apis;
}

async function disconnectAll(apis) {
  await Promise.all(
    Object.values(apis).map((api) => api.disconnect().catch(() => undefined)),
  );
}

// Best and finalized block numbers (and the finalized hash) as the node sees them.
async function heads(api) {
  const finalizedHash = await api.rpc.chain.getFinalizedHead();
  const finalizedHeader = await api.rpc.chain.getHeader(finalizedHash);
  const bestHeader = await api.rpc.chain.getHeader();
  return {
    best: bestHeader.number.toNumber(),
    finalized: finalizedHeader.number.toNumber(),
    finalizedHash: finalizedHash.toHex(),
  };
}

async function headsAll(apis) {
  const out = {};
  for (const [name, api] of Object.entries(apis)) out[name] = await heads(api);
  return out;
}

// Hash of the block at `number` on the node's canonical chain.
async function hashAt(api, number) {
  return (await api.rpc.chain.getBlockHash(number)).toHex();
}

// The record file: an absolute path, or a name inside zombienet's temp dir for this network.
function recordPath(networkInfo, arg) {
  const name = (arg && String(arg).trim()) || "finalized-record.json";
  return path.isAbsolute(name) ? name : path.join(networkInfo.tmpDir, name);
}

function writeRecord(file, record) {
  fs.writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
}

function readRecord(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function log(msg) {
  console.log(`\t[crucible] ${msg}`);
}

module.exports = {
  sleep,
  intArg,
  nodeNames,
  connectAll,
  disconnectAll,
  heads,
  headsAll,
  hashAt,
  recordPath,
  writeRecord,
  readRecord,
  log,
};
