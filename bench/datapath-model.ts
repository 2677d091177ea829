/**
 * The model row of bench/datapath.bench.ts: the per-packet work NDIS must do on the data path,
 * written as plain JavaScript with no NDIS in it, so that "NDIS's overhead over the work itself"
 * is a measured ratio. Per NBL per crossing it checks what NDIS checks (held by the caller,
 * SourceHandle right; for a completion or a return, that the NBL's record names this adapter or
 * binding) and records what NDIS records (who holds it now, the binding it was sent on or the
 * adapter and binding it was indicated to, pushed and popped per crossing), in one pass. A chain
 * that loops back on itself fails the ownership check, since every crossing hands each NBL to
 * another driver: NDIS's fast crossings catch a loop that way, without marking the NBLs, and so
 * does the model since session 8 (it stamped every NBL per crossing before, work NDIS does not
 * do, and its return did not check the holder, which NDIS does). The IM in the middle does what passthrough does: on a send it saves each
 * NBL's SourceHandle in a context slot of the NBL and puts its lower binding's handle there,
 * restoring it on completion; on a receive it saves the lower adapter's handle once per chain and
 * restores it on the return. The drivers at both ends do what the rig's do (complete at once,
 * return at once, count). An indication also applies the receiving binding's packet filter to each
 * NBL, as NDIS must for a binding that is not promiscuous (the rig's protocol, and passthrough's
 * lower binding on its behalf, set DIRECTED | MULTICAST | BROADCAST): the destination address
 * read from the first NET_BUFFER's MDL and matched against the adapter's.
 *
 * What it leaves out, because it is per call and not per packet: handler frames, IRQL, the
 * try/catch around driver code, the handle lookups, state checks (Running, crashed).
 */

interface MDriver {
  readonly name: string;
}

/** What NDIS reads of a frame to filter it: the first MDL of the first NET_BUFFER. */
class MMdl {
  readonly va: Uint8Array;
  readonly byteCount: number;
  constructor(va: Uint8Array) {
    this.va = va;
    this.byteCount = va.length;
  }
}

class MNb {
  readonly mdl: MMdl;
  readonly offset = 0;
  readonly dataLength: number;
  constructor(mdl: MMdl) {
    this.mdl = mdl;
    this.dataLength = mdl.byteCount;
  }
}

class MNbl {
  Next: MNbl | null = null;
  firstNb: MNb | null = null;
  SourceHandle: unknown = null;
  owner: MDriver | null = null;
  readonly sendPath: MBinding[] = [];
  readonly recvAdapters: MAdapter[] = [];
  readonly recvHolders: MBinding[] = [];
  readonly context: unknown[] = [undefined, undefined, undefined, undefined];
  contextOffset = 4;
}

class MAdapter {
  binding: MBinding | null = null;
  readonly driver: MDriver;
  readonly send: (adapter: MAdapter, chain: MNbl) => void;
  readonly ret: (adapter: MAdapter, chain: MNbl) => void;
  constructor(
    driver: MDriver,
    send: (adapter: MAdapter, chain: MNbl) => void,
    ret: (adapter: MAdapter, chain: MNbl) => void,
  ) {
    this.driver = driver;
    this.send = send;
    this.ret = ret;
  }
}

/** NDIS_PACKET_TYPE_DIRECTED | MULTICAST | BROADCAST, as the rig's protocol sets. */
const FILTER_DIRECTED = 0x1;
const FILTER_MULTICAST = 0x2;
const FILTER_BROADCAST = 0x8;
/** The adapter's address, as the filter compares it: two 24-bit halves. */
const OWN = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
const OWN_HI = (OWN[0] as number) * 65536 + (OWN[1] as number) * 256 + (OWN[2] as number);
const OWN_LO = (OWN[3] as number) * 65536 + (OWN[4] as number) * 256 + (OWN[5] as number);

/** Three address bytes as one small integer. */
function half(bytes: ArrayLike<number>, at: number): number {
  return (
    ((bytes[at] as number) << 16) | ((bytes[at + 1] as number) << 8) | (bytes[at + 2] as number)
  );
}

class MBinding {
  readonly driver: MDriver;
  readonly adapter: MAdapter;
  readonly filter = FILTER_DIRECTED | FILTER_MULTICAST | FILTER_BROADCAST;
  readonly multicast = new Set<number>();
  readonly complete: (binding: MBinding, chain: MNbl) => void;
  readonly receive: (binding: MBinding, chain: MNbl, count: number) => void;
  constructor(
    driver: MDriver,
    adapter: MAdapter,
    complete: (binding: MBinding, chain: MNbl) => void,
    receive: (binding: MBinding, chain: MNbl, count: number) => void,
  ) {
    this.driver = driver;
    this.adapter = adapter;
    this.complete = complete;
    this.receive = receive;
  }
}

function fail(what: string): never {
  throw new Error(`model: ${what}`);
}

/** NdisSendNetBufferLists: check and record each NBL, then the miniport's send handler. */
function send(binding: MBinding, chain: MNbl): void {
  const adapter = binding.adapter;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    if (n.owner !== binding.driver || n.firstNb === null || n.SourceHandle !== binding)
      fail("bad send");
    n.sendPath.push(binding);
    n.owner = adapter.driver;
  }
  adapter.send(adapter, chain);
}

/** NdisMSendNetBufferListsComplete: check and pop each NBL's record, then the completion. */
function complete(adapter: MAdapter, chain: MNbl): void {
  let to: MBinding | null = null;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    const path = n.sendPath;
    const binding = path[path.length - 1];
    if (
      binding === undefined ||
      binding.adapter !== adapter ||
      n.owner !== adapter.driver ||
      n.SourceHandle !== binding
    )
      fail("bad completion");
    if (to !== null && binding !== to) fail("the model completes to one binding per call");
    to = binding;
    path.pop();
    n.owner = binding.driver;
  }
  (to as MBinding).complete(to as MBinding, chain);
}

/** Whether the binding's packet filter takes the NBL, by its frame's destination (Ethernet). */
function accepts(binding: MBinding, n: MNbl): boolean {
  const nb = n.firstNb as MNb;
  if (nb.dataLength < 6 || nb.offset + 6 > nb.mdl.byteCount) return false;
  const va = nb.mdl.va;
  const at = nb.offset;
  const hi = half(va, at);
  const lo = half(va, at + 3);
  const f = binding.filter;
  if (hi === 0xffffff && lo === 0xffffff) return (f & FILTER_BROADCAST) !== 0;
  if (((va[at] as number) & 1) !== 0)
    return (f & FILTER_MULTICAST) !== 0 && binding.multicast.has(hi * 0x1000000 + lo);
  return (f & FILTER_DIRECTED) !== 0 && hi === OWN_HI && lo === OWN_LO;
}

/** NdisMIndicateReceiveNetBufferLists: check and record each NBL, then the receive handler. */
function indicate(adapter: MAdapter, chain: MNbl, count: number): void {
  const binding = adapter.binding as MBinding;
  let seen = 0;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    if (
      n.owner !== adapter.driver ||
      n.firstNb === null ||
      n.SourceHandle !== adapter ||
      !accepts(binding, n)
    )
      fail("bad indication");
    n.recvAdapters.push(adapter);
    n.recvHolders.push(binding);
    n.owner = binding.driver;
    seen++;
  }
  if (seen !== count) fail("bad count");
  binding.receive(binding, chain, count);
}

/** NdisReturnNetBufferLists: check and pop each NBL's record, then the miniport's return. */
function giveBack(binding: MBinding, chain: MNbl): void {
  const adapter = binding.adapter;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    const depth = n.recvAdapters.length - 1;
    if (
      n.owner !== binding.driver ||
      depth < 0 ||
      n.recvAdapters[depth] !== adapter ||
      n.recvHolders[depth] !== binding ||
      n.SourceHandle !== adapter
    )
      fail("bad return");
    n.recvAdapters.pop();
    n.recvHolders.pop();
    n.owner = adapter.driver;
  }
  adapter.ret(adapter, chain);
}

export interface ModelStack {
  readonly send: () => void;
  readonly indicate: () => void;
  readonly counts: () => { completed: number; returned: number; planted: boolean };
}

/**
 * A model stack: protocol → `layers` IMs → miniport, with chains of `batch` NBLs. `plant` puts
 * one small object per NBL per batch on the heap (to check that the harness sees allocation).
 */
export function modelStack(layers: 0 | 1 | 2, batch: number, plant = false): ModelStack {
  let completed = 0;
  let returned = 0;
  let planted: unknown = null;
  const miniportDriver: MDriver = { name: "miniport" };
  const protocolDriver: MDriver = { name: "protocol" };
  const bottom = new MAdapter(
    miniportDriver,
    (a, chain) => complete(a, chain),
    (_a, chain) => {
      for (let n: MNbl | null = chain; n !== null; n = n.Next) {
        returned++;
        if (plant) planted = { n, returned };
      }
    },
  );
  let adapter = bottom;
  for (let i = 0; i < layers; i++) {
    const im: MDriver = { name: `im${i}` };
    const lower = adapter;
    let velan: MAdapter | null = null;
    let lowerSource: unknown = null;
    const below = new MBinding(
      im,
      lower,
      (_b, chain) => {
        for (let n: MNbl | null = chain; n !== null; n = n.Next)
          n.SourceHandle = n.context[n.contextOffset++];
        complete(velan as MAdapter, chain);
      },
      (_b, chain, count) => {
        lowerSource = chain.SourceHandle;
        for (let n: MNbl | null = chain; n !== null; n = n.Next) n.SourceHandle = velan;
        indicate(velan as MAdapter, chain, count);
      },
    );
    lower.binding = below;
    velan = new MAdapter(
      im,
      (_a, chain) => {
        for (let n: MNbl | null = chain; n !== null; n = n.Next) {
          n.context[--n.contextOffset] = n.SourceHandle;
          n.SourceHandle = below;
        }
        send(below, chain);
      },
      (_a, chain) => {
        for (let n: MNbl | null = chain; n !== null; n = n.Next) n.SourceHandle = lowerSource;
        giveBack(below, chain);
      },
    );
    adapter = velan;
  }
  const top = new MBinding(
    protocolDriver,
    adapter,
    (_b, chain) => {
      for (let n: MNbl | null = chain; n !== null; n = n.Next) {
        completed++;
        if (plant) planted = { n, completed };
      }
    },
    (b, chain) => giveBack(b, chain),
  );
  adapter.binding = top;
  const chain = (owner: MDriver, source: unknown): MNbl => {
    let head: MNbl | null = null;
    for (let i = 0; i < batch; i++) {
      const n = new MNbl();
      const frame = new Uint8Array(60);
      frame.set(OWN);
      n.firstNb = new MNb(new MMdl(frame));
      n.owner = owner;
      n.SourceHandle = source;
      n.Next = head;
      head = n;
    }
    return head as MNbl;
  };
  const tx = chain(protocolDriver, top);
  const rx = chain(miniportDriver, bottom);
  return {
    send: () => send(top, tx),
    indicate: () => indicate(bottom, rx, batch),
    counts: () => ({ completed, returned, planted: planted !== null }),
  };
}
