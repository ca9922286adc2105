#!/usr/bin/env bash
# zombienet's node command: the crucible-node binary ($CRUCIBLE_NODE), killed when the process
# that started it dies (PR_SET_PDEATHSIG through setpriv), so a crashed or interrupted test
# leaves no validator running.
exec setpriv --pdeathsig KILL "${CRUCIBLE_NODE:?CRUCIBLE_NODE is the node binary}" "$@"
