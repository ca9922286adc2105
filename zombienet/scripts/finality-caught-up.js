// (e) Checks that finality resumed and that the given nodes caught up with the node the DSL
// line names (the reference).
//
// args: timeoutSecs, node, node, ...
// Reads the reference's finalized height F, then waits until the reference and every listed
// node have finalized at least F + 2 (finality moved past where it stood, and the listed nodes
// reached it), then checks that all of them have the same block hash at F + 2.
// Fails after timeoutSecs. Returns 1 on success.
const c = require("./common");

const MIN_ADVANCE = 2;

async function run(nodeName, networkInfo, args) {
  const timeoutSecs = c.intArg(args[0], "timeoutSecs");
  const names = [...new Set([nodeName, ...c.nodeNames(args.slice(1), [])])];
  const apis = await c.connectAll(networkInfo, names);
  try {
    const start = await c.heads(apis[nodeName]);
    const target = start.finalized + MIN_ADVANCE;
    const deadline = Date.now() + timeoutSecs * 1000;
    let now = await c.headsAll(apis);
    for (;;) {
      const behind = names.filter((n) => now[n].finalized < target);
      if (behind.length === 0) break;
      if (Date.now() > deadline) {
        const detail = names.map((n) => `${n} #${now[n].finalized}`).join(", ");
        throw new Error(
          `finalized height #${target} not reached within ${timeoutSecs}s by ${behind.join(", ")} (${detail})`,
        );
      }
      await c.sleep(2000);
      now = await c.headsAll(apis);
    }
    const hashes = {};
    for (const n of names) hashes[n] = await c.hashAt(apis[n], target);
    const distinct = new Set(Object.values(hashes));
    if (distinct.size !== 1) {
      throw new Error(
        `nodes disagree on finalized block #${target}: ` +
          names.map((n) => `${n} ${hashes[n]}`).join(", "),
      );
    }
    c.log(
      `finalized #${target} ${hashes[nodeName]} on ${names.join(", ")} (was #${start.finalized} on ${nodeName}); now ` +
        names.map((n) => `${n} #${now[n].finalized}`).join(", "),
    );
    return 1;
  } finally {
    await c.disconnectAll(apis);
  }
}

module.exports = { run };
