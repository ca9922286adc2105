// (f) Checks that the block recorded by record-finalized.js is still finalized, with the same
// hash at the same height, on the given nodes.
//
// args: file, node, node, ... (file as in record-finalized.js; nodes default to all nodes)
// Returns 1 on success.
const c = require("./common");

async function run(nodeName, networkInfo, args) {
  const file = c.recordPath(networkInfo, args[0]);
  const record = c.readRecord(file);
  const names = c.nodeNames(args.slice(1), Object.keys(networkInfo.nodesByName));
  const apis = await c.connectAll(networkInfo, names);
  try {
    const problems = [];
    for (const n of names) {
      const h = await c.heads(apis[n]);
      const hash = await c.hashAt(apis[n], record.number);
      c.log(`${n}: block #${record.number} is ${hash}, finalized #${h.finalized}`);
      if (h.finalized < record.number) {
        problems.push(`${n}: finalized #${h.finalized} is below the recorded #${record.number}`);
      }
      if (hash !== record.hash) {
        problems.push(`${n}: block #${record.number} is ${hash}, recorded ${record.hash}`);
      }
    }
    if (problems.length > 0) throw new Error(problems.join("; "));
    return 1;
  } finally {
    await c.disconnectAll(apis);
  }
}

module.exports = { run };
