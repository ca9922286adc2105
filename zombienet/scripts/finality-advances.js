// (c) Checks that finality keeps advancing on the given nodes.
//
// args: timeoutSecs, node, node, ... (nodes default to the node the DSL line names)
// Waits until every node's finalized height is at least 2 above what it was when the script
// started; fails after timeoutSecs. Returns 1 on success.
const c = require("./common");

const MIN_ADVANCE = 2;

async function run(nodeName, networkInfo, args) {
  const timeoutSecs = c.intArg(args[0], "timeoutSecs");
  const names = c.nodeNames(args.slice(1), [nodeName]);
  const apis = await c.connectAll(networkInfo, names);
  try {
    const start = await c.headsAll(apis);
    const deadline = Date.now() + timeoutSecs * 1000;
    let now = start;
    for (;;) {
      const behind = names.filter(
        (n) => now[n].finalized < start[n].finalized + MIN_ADVANCE,
      );
      if (behind.length === 0) break;
      if (Date.now() > deadline) {
        const detail = names
          .map((n) => `${n} #${start[n].finalized} -> #${now[n].finalized}`)
          .join(", ");
        throw new Error(
          `finality did not advance by ${MIN_ADVANCE} within ${timeoutSecs}s on ${behind.join(", ")} (${detail})`,
        );
      }
      await c.sleep(2000);
      now = await c.headsAll(apis);
    }
    c.log(
      "finality advances: " +
        names.map((n) => `${n} #${start[n].finalized} -> #${now[n].finalized}`).join(", "),
    );
    return 1;
  } finally {
    await c.disconnectAll(apis);
  }
}

module.exports = { run };
