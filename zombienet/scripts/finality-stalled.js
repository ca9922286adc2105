// (d) Checks that, on the given nodes, blocks are still produced but finality is stuck.
//
// args: observeSecs, node, node, ... (nodes default to the node the DSL line names)
// Reads best and finalized heights, waits observeSecs, reads them again: each node's best
// height must have grown and its finalized height (and hash) must not have changed.
// Returns 1 on success.
const c = require("./common");

async function run(nodeName, networkInfo, args) {
  const observeSecs = c.intArg(args[0], "observeSecs");
  const names = c.nodeNames(args.slice(1), [nodeName]);
  const apis = await c.connectAll(networkInfo, names);
  try {
    const before = await c.headsAll(apis);
    await c.sleep(observeSecs * 1000);
    const after = await c.headsAll(apis);
    const problems = [];
    for (const n of names) {
      const b = before[n];
      const a = after[n];
      c.log(
        `${n}: best #${b.best} -> #${a.best}, finalized #${b.finalized} -> #${a.finalized} over ${observeSecs}s`,
      );
      if (a.finalized !== b.finalized || a.finalizedHash !== b.finalizedHash) {
        problems.push(`${n}: finalized moved #${b.finalized} -> #${a.finalized}`);
      }
      if (a.best <= b.best) {
        problems.push(`${n}: best block did not grow (#${b.best} -> #${a.best})`);
      }
    }
    if (problems.length > 0) throw new Error(problems.join("; "));
    return 1;
  } finally {
    await c.disconnectAll(apis);
  }
}

module.exports = { run };
