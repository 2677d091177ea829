/**
 * Filter modules in the counters `ndis run` shows: a row per module between the adapters and the
 * bindings, with its state and what NDIS handed it each way; and the adapter's and bindings'
 * receive counts still right when a module sits in the receive path.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { stripVTControlCharacters } from "node:util";
import { countersTable } from "../../src/cli/output.js";
import {
  type NDIS_HANDLE,
  NdisMIndicateReceiveNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
} from "../../src/index.js";
import { sampleFilterStack } from "../helpers/filter-stack.js";
import { allocateNbls, nblPool } from "../helpers/nbl.js";

describe("filter modules in the counters", () => {
  test("a module's row: state and the frames NDIS handed it each way", async () => {
    const { host, proto: protocol, binding, adapter } = await sampleFilterStack();
    host.observe();
    const tx = allocateNbls(nblPool(protocol.protocolHandle() as NDIS_HANDLE), 3, binding);
    NdisSendNetBufferLists(binding, tx[0] as NET_BUFFER_LIST, 0, 0);
    const rx = allocateNbls(nblPool(adapter), 2, adapter);
    NdisMIndicateReceiveNetBufferLists(adapter, rx[0] as NET_BUFFER_LIST, 0, 2, 0);
    const stats = host.statistics();
    const row = stats.filters?.[0];
    assert.ok(row);
    assert.equal(row.driver, "filter-passthrough");
    assert.equal(row.adapter, "eth0");
    assert.equal(row.state, "Running");
    assert.equal(row.sentPackets, 3);
    assert.equal(row.sentBytes, 3 * 60);
    assert.equal(row.receivedPackets, 2);
    assert.equal(row.sendsOutstanding, 0);
    // The adapter and the binding count the indication once, through the module.
    assert.equal(stats.adapters[0]?.receivedPackets, 2);
    assert.equal(stats.bindings[0]?.receivedPackets, 2);
    const table = countersTable(stats).map((l) => stripVTControlCharacters(l));
    assert.match(table[0] as string, /^adapter \/ filter \/ binding +state/);
    assert.match(
      table[2] as string,
      /^filter filter-passthrough on eth0 +Running +2 +120 +3 +180 /,
    );
    assert.match(table[3] as string, /^proto → eth0 /);
    assert.deepEqual(host.violations, []);
  });
});
