/** The NBL chain and queue helpers (NDIS Driver Library style), checked against an array model. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  makeNblCountedQueue,
  makeNblQueue,
  NDIS_OBJECT_TYPE_DEFAULT,
  NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PAUSED,
  NDIS_STATUS_SUCCESS,
  NdisAllocateNetBufferList,
  NdisAllocateNetBufferListPool,
  NdisAppendNblChainToNblCountedQueue,
  NdisAppendNblChainToNblQueue,
  NdisAppendNblCountedQueueToNblCountedQueue,
  NdisAppendSingleNblToNblCountedQueue,
  NdisAppendSingleNblToNblQueue,
  NdisIsNblCountedQueueEmpty,
  NdisIsNblQueueEmpty,
  NdisLastNblInNblChain,
  NdisNumNblsInNblChain,
  NdisNumNbsInNblChain,
  NdisPopAllFromNblCountedQueue,
  NdisPopAllFromNblQueue,
  NdisPopFirstNblFromNblCountedQueue,
  NdisPopFirstNblFromNblQueue,
  NdisSetStatusInNblChain,
  NdisSplitNblChainByStatus,
  type NET_BUFFER_LIST,
  NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
} from "../../src/index.js";
import { protocolChars, registerProtocol } from "../helpers/drivers.js";

const FC_RUNS = Number(process.env.FC_RUNS ?? 100);

async function nbls(count: number): Promise<NET_BUFFER_LIST[]> {
  const { handle } = await registerProtocol(protocolChars());
  assert.ok(handle !== undefined);
  const pool = NdisAllocateNetBufferListPool(handle, {
    Header: {
      Type: NDIS_OBJECT_TYPE_DEFAULT,
      Revision: NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
      Size: NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    },
    ProtocolId: 0,
    fAllocateNetBuffer: true,
    ContextSize: 0,
    PoolTag: 0x65757571,
    DataSize: 16,
  });
  assert.ok(pool !== null);
  return Array.from({ length: count }, () => {
    const nbl = NdisAllocateNetBufferList(pool, 0, 0);
    assert.ok(nbl !== null);
    return nbl;
  });
}

function chainOf(list: readonly NET_BUFFER_LIST[]): NET_BUFFER_LIST | null {
  for (let i = 0; i < list.length; i++) (list[i] as NET_BUFFER_LIST).Next = list[i + 1] ?? null;
  return list[0] ?? null;
}

function toArray(chain: NET_BUFFER_LIST | null): NET_BUFFER_LIST[] {
  const out: NET_BUFFER_LIST[] = [];
  for (let nbl = chain; nbl !== null; nbl = nbl.Next) out.push(nbl);
  return out;
}

describe("NBL chains", () => {
  test("count, last, NBs, set status", async () => {
    const pool = await nbls(3);
    const chain = chainOf(pool);
    assert.equal(NdisNumNblsInNblChain(chain), 3);
    assert.equal(NdisNumNblsInNblChain(null), 0);
    assert.equal(NdisNumNbsInNblChain(chain), 3, "one NB each");
    assert.equal(NdisLastNblInNblChain(chain as NET_BUFFER_LIST), pool[2]);
    NdisSetStatusInNblChain(chain, NDIS_STATUS_PAUSED);
    assert.deepEqual(
      pool.map((n) => n.Status),
      [NDIS_STATUS_PAUSED, NDIS_STATUS_PAUSED, NDIS_STATUS_PAUSED],
    );
  });

  test("split by status keeps chain order on both sides", async () => {
    const pool = await nbls(5);
    const statuses = [0, 1, 0, 0, 1].map((x) => (x ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS));
    pool.forEach((n, i) => {
      n.Status = statuses[i] as number;
    });
    const ok = makeNblQueue();
    const failed = makeNblQueue();
    NdisSplitNblChainByStatus(chainOf(pool), NDIS_STATUS_SUCCESS, ok, failed);
    assert.deepEqual(toArray(NdisPopAllFromNblQueue(ok)), [pool[0], pool[2], pool[3]]);
    assert.deepEqual(toArray(NdisPopAllFromNblQueue(failed)), [pool[1], pool[4]]);
  });
});

describe("NBL_QUEUE and NBL_COUNTED_QUEUE", () => {
  test("property: any sequence of operations matches an array, with the right counts", async () => {
    const pool = await nbls(40);
    const op = fc.oneof(
      fc.record({ kind: fc.constant("single" as const) }),
      fc.record({ kind: fc.constant("chain" as const), length: fc.nat(4) }),
      fc.record({ kind: fc.constant("pop" as const) }),
      fc.record({ kind: fc.constant("popAll" as const) }),
      fc.record({ kind: fc.constant("merge" as const), length: fc.nat(3) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const plain = makeNblQueue();
        const counted = makeNblCountedQueue();
        const model: NET_BUFFER_LIST[] = [];
        const countedModel: NET_BUFFER_LIST[] = [];
        let next = 0;
        const fresh = (n: number) => {
          const out: NET_BUFFER_LIST[] = [];
          for (let i = 0; i < n && next < pool.length; i++)
            out.push(pool[next++] as NET_BUFFER_LIST);
          return out;
        };
        for (const o of ops) {
          // Each step works on the plain queue and on the counted one, with different NBLs.
          if (o.kind === "single") {
            const [a] = fresh(1);
            const [b] = fresh(1);
            if (a === undefined || b === undefined) continue;
            NdisAppendSingleNblToNblQueue(plain, a);
            model.push(a);
            NdisAppendSingleNblToNblCountedQueue(counted, b);
            countedModel.push(b);
          } else if (o.kind === "chain") {
            const a = fresh(o.length);
            assert.equal(NdisAppendNblChainToNblQueue(plain, chainOf(a)), a.length);
            model.push(...a);
            const b = fresh(o.length);
            assert.equal(NdisAppendNblChainToNblCountedQueue(counted, chainOf(b)), b.length);
            countedModel.push(...b);
          } else if (o.kind === "pop") {
            const a = NdisPopFirstNblFromNblQueue(plain);
            assert.equal(a, model.shift() ?? null);
            if (a !== null) assert.equal(a.Next, null, "a popped NBL is unlinked");
            assert.equal(NdisPopFirstNblFromNblCountedQueue(counted), countedModel.shift() ?? null);
          } else if (o.kind === "popAll") {
            assert.deepEqual(toArray(NdisPopAllFromNblQueue(plain)), model.splice(0));
            assert.deepEqual(
              toArray(NdisPopAllFromNblCountedQueue(counted)),
              countedModel.splice(0),
            );
          } else {
            const other = makeNblCountedQueue();
            const b = fresh(o.length);
            NdisAppendNblChainToNblCountedQueue(other, chainOf(b));
            NdisAppendNblCountedQueueToNblCountedQueue(counted, other);
            countedModel.push(...b);
            assert.ok(NdisIsNblCountedQueueEmpty(other));
          }
          assert.equal(NdisIsNblQueueEmpty(plain), model.length === 0);
          assert.equal(counted.NblCount, countedModel.length);
          assert.equal(NdisNumNblsInNblChain(counted.Queue.First), countedModel.length);
          assert.equal(plain.Last, model.at(-1) ?? null);
        }
        assert.deepEqual(toArray(plain.First), model);
        assert.deepEqual(toArray(counted.Queue.First), countedModel);
      }),
      { numRuns: FC_RUNS },
    );
  });
});
