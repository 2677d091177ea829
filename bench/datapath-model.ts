/**
 * The model row of bench/datapath.bench.ts: the per-packet work NDIS must do on the data path,
 * written as plain JavaScript with no NDIS in it, so that "NDIS's overhead over the work itself"
 * is a measured ratio. Per NBL per crossing it checks what NDIS checks (not seen twice in the
 * chain, held by the caller, SourceHandle right; for a completion or a return, that the NBL's
 * record names this adapter or binding) and records what NDIS records (who holds it now, the
 * binding it was sent on or the adapter and binding it was indicated to, pushed and popped per
 * crossing), in one pass. The IM in the middle does what passthrough does: on a send it saves each
 * NBL's SourceHandle in a context slot of the NBL and puts its lower binding's handle there,
 * restoring it on completion; on a receive it saves the lower adapter's handle once per chain and
 * restores it on the return. The drivers at both ends do what the rig's do (complete at once,
 * return at once, count).
 *
 * What it leaves out, because it is per call and not per packet: handler frames, IRQL, the
 * try/catch around driver code, the handle lookups, state checks (Running, crashed).
 */

interface MDriver {
  readonly name: string;
}

class MNbl {
  Next: MNbl | null = null;
  SourceHandle: unknown = null;
  owner: MDriver | null = null;
  stamp = 0;
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

class MBinding {
  readonly driver: MDriver;
  readonly adapter: MAdapter;
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

let stamps = 0;

function fail(what: string): never {
  throw new Error(`model: ${what}`);
}

/** NdisSendNetBufferLists: check and record each NBL, then the miniport's send handler. */
function send(binding: MBinding, chain: MNbl): void {
  const stamp = ++stamps;
  const adapter = binding.adapter;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    if (n.stamp === stamp || n.owner !== binding.driver || n.SourceHandle !== binding)
      fail("bad send");
    n.stamp = stamp;
    n.sendPath.push(binding);
    n.owner = adapter.driver;
  }
  adapter.send(adapter, chain);
}

/** NdisMSendNetBufferListsComplete: check and pop each NBL's record, then the completion. */
function complete(adapter: MAdapter, chain: MNbl): void {
  const stamp = ++stamps;
  let to: MBinding | null = null;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    const path = n.sendPath;
    const binding = path[path.length - 1];
    if (
      n.stamp === stamp ||
      binding === undefined ||
      binding.adapter !== adapter ||
      n.owner !== adapter.driver ||
      n.SourceHandle !== binding
    )
      fail("bad completion");
    if (to !== null && binding !== to) fail("the model completes to one binding per call");
    to = binding;
    n.stamp = stamp;
    path.pop();
    n.owner = binding.driver;
  }
  (to as MBinding).complete(to as MBinding, chain);
}

/** NdisMIndicateReceiveNetBufferLists: check and record each NBL, then the receive handler. */
function indicate(adapter: MAdapter, chain: MNbl, count: number): void {
  const stamp = ++stamps;
  const binding = adapter.binding as MBinding;
  let seen = 0;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    if (n.stamp === stamp || n.owner !== adapter.driver || n.SourceHandle !== adapter)
      fail("bad indication");
    n.stamp = stamp;
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
  const stamp = ++stamps;
  const adapter = binding.adapter;
  for (let n: MNbl | null = chain; n !== null; n = n.Next) {
    const depth = n.recvAdapters.length - 1;
    if (
      n.stamp === stamp ||
      depth < 0 ||
      n.recvAdapters[depth] !== adapter ||
      n.recvHolders[depth] !== binding ||
      n.SourceHandle !== adapter
    )
      fail("bad return");
    n.stamp = stamp;
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
