/**
 * The data-path rig the benchmark (bench/datapath.bench.ts) and the allocation test share: a
 * miniport whose wire takes every frame at once (it completes each send inside its send handler),
 * a protocol that returns every receive inside its receive handler, and between them nothing,
 * one passthrough IM or two stacked. Each stack is its own host with its own driver instances, so
 * that several can run side by side in one process (the benchmark pairs them per round).
 */
import { filterDriverEntry } from "../../src/drivers/filter-passthrough/index.js";
import * as passthrough from "../../src/drivers/passthrough/index.js";
import {
  type DriverModule,
  makeOidRequest,
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  NDIS_PACKET_TYPE_MULTICAST,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  NdisMedium802_3,
  NdisMIndicateReceiveNetBufferLists,
  NdisMRegisterMiniportDriver,
  NdisMSendNetBufferListsComplete,
  NdisMSetMiniportAttributes,
  NdisOidRequest,
  NdisOpenAdapterEx,
  NdisRegisterProtocolDriver,
  NdisRequestSetInformation,
  NdisReturnNetBufferLists,
  NdisSendNetBufferLists,
  type NET_BUFFER_LIST,
  OID_GEN_CURRENT_PACKET_FILTER,
  type Out,
  type VerifierMode,
} from "../../src/index.js";
import { miniportChars, protocolChars } from "./drivers.js";
import { generalAttributes, registrationAttributes } from "./miniport.js";
import { allocateNbls, nblPool } from "./nbl.js";

/** A running stack: one batch down (send + completion) or up (indication + return) per call. */
export interface DataPathStack {
  readonly host: NdisHost;
  /** Sends the stack's send chain once; every NBL has completed when this returns. */
  readonly send: () => void;
  /** Indicates the stack's receive chain once; every NBL has come back when this returns. */
  readonly indicate: () => void;
  /** NBLs the protocol saw completed / the miniport had returned, so far. */
  readonly counts: () => { completed: number; returned: number; received: number };
  /** The send chain (the protocol's) and the receive chain (the miniport's). */
  readonly tx: NET_BUFFER_LIST;
  readonly rx: NET_BUFFER_LIST;
}

export interface DataPathStackOptions {
  /** IM layers between the protocol and the miniport: 0 (direct), 1 or 2 passthroughs. */
  readonly layers: 0 | 1 | 2;
  readonly verifier: VerifierMode;
  /** NBLs per chain. */
  readonly batch: number;
  /** A filter-passthrough module on eth0: running, or in bypass mode (no send/receive handlers). */
  readonly filter?: "running" | "bypass";
  /**
   * The IM driver of the layers: passthrough unless told (a C driver's `.wasm` path); a pair
   * gives the lower layer's and the upper layer's.
   */
  readonly im?: DriverModule | string | readonly [DriverModule | string, DriverModule | string];
}

/** A chain of `size` NBLs of a new pool of `owner`, each with SourceHandle `source`. */
function chainOf(
  owner: NDIS_HANDLE,
  size: number,
  source: NDIS_HANDLE,
  destination?: Uint8Array,
): NET_BUFFER_LIST {
  // Room for the IMs' contexts, as a real stack reserves it.
  const list = allocateNbls(nblPool(owner, 32, 64), size, source);
  if (destination !== undefined)
    for (const nbl of list) {
      const nb = nbl.FirstNetBuffer;
      if (nb?.CurrentMdl != null)
        nb.CurrentMdl.MappedSystemVa.set(destination, nb.CurrentMdlOffset);
    }
  return list[0] as NET_BUFFER_LIST;
}

/** Builds, binds and starts a stack; the chains are allocated once and reused by every call. */
export async function dataPathStack(options: DataPathStackOptions): Promise<DataPathStack> {
  let miniportAdapter: NDIS_HANDLE | undefined;
  let binding: NDIS_HANDLE | undefined;
  let protocolHandle: NDIS_HANDLE | undefined;
  let completed = 0;
  let returned = 0;
  let received = 0;

  const miniport: DriverModule = {
    DriverEntry: (DriverObject, RegistryPath) => {
      const chars = miniportChars({
        Flags: 0,
        Header: { Type: 0x8a, Revision: 2, Size: 152 },
        MinorNdisVersion: 20,
        InitializeHandlerEx: (handle: NDIS_HANDLE) => {
          const adapter = { handle };
          miniportAdapter = handle;
          NdisMSetMiniportAttributes(handle, registrationAttributes(adapter));
          return NdisMSetMiniportAttributes(handle, generalAttributes());
        },
        SendNetBufferListsHandler: (a: { handle: NDIS_HANDLE }, nbls: NET_BUFFER_LIST) => {
          NdisMSendNetBufferListsComplete(a.handle, nbls, 0);
        },
        ReturnNetBufferListsHandler: (_a: unknown, nbls: NET_BUFFER_LIST) => {
          for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) returned++;
        },
      });
      const out: Out<NDIS_HANDLE> = {};
      return NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, chars, out);
    },
  };

  const protocol: DriverModule = {
    DriverEntry: (DriverObject) => {
      const chars = protocolChars({
        Name: "benchproto",
        BindAdapterHandlerEx: (_c: unknown, bindContext: NDIS_HANDLE, p: NDIS_BIND_PARAMETERS) => {
          const b: { handle: NDIS_HANDLE | undefined } = { handle: undefined };
          const out: Out<NDIS_HANDLE> = {};
          const status = NdisOpenAdapterEx(
            protocolHandle as NDIS_HANDLE,
            b,
            {
              Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
              AdapterName: p.AdapterName,
              MediumArray: [NdisMedium802_3],
              MediumArraySize: 1,
              SelectedMediumIndex: {},
            },
            bindContext,
            out,
          );
          b.handle = out.value;
          binding = out.value;
          // As tcpip does: directed, multicast and broadcast frames (NDIS filters the rest).
          if (status === NDIS_STATUS_SUCCESS && b.handle !== undefined) {
            const filter = new Uint8Array(4);
            new DataView(filter.buffer).setUint32(
              0,
              NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST,
              true,
            );
            NdisOidRequest(
              b.handle,
              makeOidRequest({
                RequestType: NdisRequestSetInformation,
                Oid: OID_GEN_CURRENT_PACKET_FILTER,
                InformationBuffer: filter,
              }),
            );
          }
          return status;
        },
        SendNetBufferListsCompleteHandler: (_b: unknown, nbls: NET_BUFFER_LIST) => {
          for (let n: NET_BUFFER_LIST | null = nbls; n !== null; n = n.Next) completed++;
        },
        ReceiveNetBufferListsHandler: (
          b: { handle: NDIS_HANDLE },
          nbls: NET_BUFFER_LIST,
          _p: number,
          count: number,
        ) => {
          received += count;
          NdisReturnNetBufferLists(b.handle, nbls, 0);
        },
      });
      const out: Out<NDIS_HANDLE> = {};
      const status = NdisRegisterProtocolDriver(undefined, chars, out);
      protocolHandle = out.value;
      DriverObject.DriverUnload = () => undefined;
      return status;
    },
  };

  const bindings: { protocol: string; adapter: string }[] = [];
  let top = "eth0";
  // Two IM layers are two instances of passthrough (an IM never binds to its own miniports).
  const ims = ["passthrough", "passthrough2"].slice(0, options.layers);
  for (const im of ims) {
    bindings.push({ protocol: im, adapter: top });
    top = `${top}-pt`;
  }
  bindings.push({ protocol: "benchproto", adapter: top });
  const host = new NdisHost({ verifier: options.verifier, bindings });
  await host.loadDriver({ name: "benchmp", module: miniport });
  const modules = Array.isArray(options.im) ? options.im : [options.im, options.im];
  for (const [i, im] of ims.entries())
    await host.loadDriver({ name: im, module: modules[i] ?? passthrough });
  if (options.filter !== undefined) {
    const bypass = options.filter === "bypass";
    await host.loadDriver({
      name: "filter-passthrough",
      module: { DriverEntry: filterDriverEntry({ bypass }) },
      filter: { adapters: ["eth0"] },
    });
  }
  await host.loadDriver({ name: "benchproto", module: protocol });
  await host.addAdapter({ driver: "benchmp", name: "eth0" });
  if (binding === undefined || miniportAdapter === undefined || protocolHandle === undefined)
    throw new Error("the data-path stack did not bind");
  const sendHandle = binding;
  const adapterHandle = miniportAdapter;
  const size = options.batch;
  const tx = chainOf(protocolHandle, size, sendHandle);
  // Received frames are addressed to the adapter (the passthroughs' miniports share its MAC).
  const rx = chainOf(adapterHandle, size, adapterHandle, generalAttributes().CurrentMacAddress);
  return {
    host,
    send: () => NdisSendNetBufferLists(sendHandle, tx, 0, 0),
    indicate: () => NdisMIndicateReceiveNetBufferLists(adapterHandle, rx, 0, size, 0),
    counts: () => ({ completed, returned, received }),
    tx,
    rx,
  };
}
