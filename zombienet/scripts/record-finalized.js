// (b) Records the node's current finalized block (number and hash) in a JSON file.
//
// args: [file] - absolute path, or a file name in zombienet's temp dir for this network
//                (default finalized-record.json).
// Returns the recorded block number.
const c = require("./common");

async function run(nodeName, networkInfo, args) {
  const file = c.recordPath(networkInfo, args[0]);
  const apis = await c.connectAll(networkInfo, [nodeName]);
  try {
    const api = apis[nodeName];
    const h = await c.heads(api);
    // The finalized block must also be the canonical block at its height.
    const canonical = await c.hashAt(api, h.finalized);
    if (canonical !== h.finalizedHash) {
      throw new Error(
        `${nodeName}: finalized #${h.finalized} is ${h.finalizedHash} but the canonical block at that height is ${canonical}`,
      );
    }
    const record = {
      node: nodeName,
      number: h.finalized,
      hash: h.finalizedHash,
      recordedAt: new Date().toISOString(),
    };
    c.writeRecord(file, record);
    c.log(`${nodeName}: recorded finalized #${record.number} ${record.hash} in ${file}`);
    return record.number;
  } finally {
    await c.disconnectAll(apis);
  }
}

module.exports = { run };
