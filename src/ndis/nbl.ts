/**
 * NET_BUFFER_LIST, NET_BUFFER and MDL: the three levels of NDIS 6 network data, with the
 * constants and access macros of nbl.h / nblapi.h / nblinfo.h. NDIS allocates these objects from
 * pools (see the runtime's `NdisAllocateNetBufferListPool`); drivers read and write their fields
 * directly, as C drivers do through the macros.
 *
 * [MODEL] Memory: an MDL describes one contiguous buffer as a `Uint8Array` view (`MappedSystemVa`,
 * exactly `ByteCount` bytes long). The context area is made of pointer-sized cells, so that a
 * driver can stash JS values (a saved SourceHandle, a request object) where a C driver stores a
 * pointer; its `Size` and `Offset` stay in bytes, as NDIS counts them.
 */
import type { NDIS_OBJECT_HEADER } from "./object-header.js";
import type { NDIS_STATUS } from "./status.js";
import type { MDL, NDIS_HANDLE, Out } from "./types.js";

export type { MDL } from "./types.js";

/** MEMORY_ALLOCATION_ALIGNMENT on x64: context sizes are multiples of it. */
export const MEMORY_ALLOCATION_ALIGNMENT = 16;
/** [MODEL] Bytes per context-area cell: one pointer on x64. */
export const NDIS_CONTEXT_CELL_SIZE = 8;

/** NDIS_MDL_LINKAGE: the MDL after `Mdl` in its chain (an rvalue here: assign `Mdl.Next`). */
export function NDIS_MDL_LINKAGE(Mdl: MDL): MDL | null {
  return Mdl.Next;
}

/** NdisGetNextMdl: writes the MDL after `Mdl` to `NextMdl`. */
export function NdisGetNextMdl(Mdl: MDL, NextMdl: Out<MDL | null>): void {
  NextMdl.value = Mdl.Next;
}

/** x64's page size: NdisQueryMdlOffset's offset is the buffer's start within its page. */
export const PAGE_SIZE = 4096;

/** MM_PAGE_PRIORITY values NdisQueryMdl takes (`Priority`), and MdlMappingNoExecute to OR in. */
export const LowPagePriority = 0;
export const NormalPagePriority = 16;
export const HighPagePriority = 32;
export const MdlMappingNoExecute = 0x40000000;

/**
 * NdisQueryMdl: the MDL's system-space mapping and length (`VirtualAddress` gets
 * `MappedSystemVa`, `Length` gets `ByteCount`). [MODEL] An MDL here is always mapped, so the
 * mapping never fails and `Priority` changes nothing; C's NULL on a failed mapping does not occur.
 */
export function NdisQueryMdl(
  Mdl: MDL,
  VirtualAddress: Out<Uint8Array>,
  Length: Out<number>,
  _Priority: number,
): void {
  VirtualAddress.value = Mdl.MappedSystemVa;
  Length.value = Mdl.ByteCount;
}

/**
 * NdisQueryMdlOffset: the offset of the MDL's buffer within its first page and its length.
 * [MODEL] The offset is the view's byte offset in its ArrayBuffer, modulo PAGE_SIZE, standing
 * for the virtual address's low bits.
 */
export function NdisQueryMdlOffset(Mdl: MDL, Offset: Out<number>, Length: Out<number>): void {
  Offset.value = Mdl.MappedSystemVa.byteOffset % PAGE_SIZE;
  Length.value = Mdl.ByteCount;
}

/** NET_BUFFER: one frame. Its used data is `[DataOffset, DataOffset + DataLength)` of its MDL chain. */
export interface NET_BUFFER {
  Next: NET_BUFFER | null;
  /** The MDL that holds byte `DataOffset`. */
  CurrentMdl: MDL | null;
  /** Where used data starts inside `CurrentMdl`. */
  CurrentMdlOffset: number;
  /** Bytes of used data: the frame's length. */
  DataLength: number;
  MdlChain: MDL | null;
  /** Bytes from the start of `MdlChain` to the start of used data. */
  DataOffset: number;
  ChecksumBias: number;
  readonly NdisPoolHandle: NDIS_HANDLE | null;
  /** Scratch for the current owner on the protocol edge (6 pointers). */
  readonly ProtocolReserved: unknown[];
  /** Scratch for the current owner on the miniport edge (4 pointers). */
  readonly MiniportReserved: unknown[];
}

/** NET_BUFFER_LIST_CONTEXT: one block of an NBL's context stack. */
export interface NET_BUFFER_LIST_CONTEXT {
  readonly Next: NET_BUFFER_LIST_CONTEXT | null;
  /** Bytes in this block. */
  readonly Size: number;
  /** Bytes of this block not yet handed out: the top of the stack is at `Offset`. */
  Offset: number;
  /** The block's cells; cell `i` stands for bytes `[8i, 8i + 8)`. */
  readonly ContextData: unknown[];
}

/** NET_BUFFER_LIST: frames that share out-of-band information; chained with `Next`. */
export interface NET_BUFFER_LIST {
  Next: NET_BUFFER_LIST | null;
  FirstNetBuffer: NET_BUFFER | null;
  Context: NET_BUFFER_LIST_CONTEXT | null;
  ParentNetBufferList: NET_BUFFER_LIST | null;
  readonly NdisPoolHandle: NDIS_HANDLE | null;
  /** Scratch for the current owner on the protocol edge (4 pointers). */
  readonly ProtocolReserved: unknown[];
  /** Scratch for the current owner on the miniport edge (2 pointers). */
  readonly MiniportReserved: unknown[];
  Scratch: unknown;
  /** The binding handle (send) or miniport adapter handle (receive) NDIS routes the NBL back by. */
  SourceHandle: NDIS_HANDLE | null;
  /** NDIS_NBL_FLAGS_* */
  NblFlags: number;
  ChildRefCount: number;
  /** NBL_FLAGS_* ranges: protocol, miniport, NDIS, scratch. */
  Flags: number;
  /** Written by the miniport before it completes a send (NET_BUFFER_LIST_STATUS). */
  Status: NDIS_STATUS;
  /** Out-of-band information, indexed by NDIS_NET_BUFFER_LIST_INFO. */
  readonly NetBufferListInfo: unknown[];
}

// NblFlags [HDR nbl.h]
export const NDIS_NBL_FLAGS_SEND_READ_ONLY = 0x1;
export const NDIS_NBL_FLAGS_RECV_READ_ONLY = 0x2;
export const NDIS_NBL_FLAGS_HD_SPLIT = 0x100;
export const NDIS_NBL_FLAGS_IS_IPV4 = 0x200;
export const NDIS_NBL_FLAGS_IS_IPV6 = 0x400;
export const NDIS_NBL_FLAGS_IS_TCP = 0x800;
export const NDIS_NBL_FLAGS_IS_UDP = 0x1000;
export const NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_HEADER = 0x2000;
export const NDIS_NBL_FLAGS_SPLIT_AT_UPPER_LAYER_PROTOCOL_PAYLOAD = 0x4000;
export const NDIS_NBL_FLAGS_IS_LOOPBACK_PACKET = 0x8000;
/** NDIS 6.82. */
export const NDIS_NBL_FLAGS_CAPTURE_TIMESTAMP_ON_TRANSMIT = 0x10000;

// Flags ranges [HDR nbl.h, NDIS 6.30]
export const NBL_FLAGS_PROTOCOL_RESERVED = 0xfff00003;
export const NBL_FLAGS_MINIPORT_RESERVED = 0x0000f000;
export const NBL_FLAGS_SCRATCH = 0x000f0000;
export const NBL_FLAGS_NDIS_RESERVED = 0x00000ffc;

/**
 * NDIS_NET_BUFFER_LIST_INFO: indexes into `NetBufferListInfo` [DDI nblinfo.h; values DERIVED from
 * declaration order, aliases sharing their slot]. Later members depend on the header version and
 * are not modelled.
 */
export const TcpIpChecksumNetBufferListInfo = 0;
export const TcpOffloadBytesTransferred = 0;
export const IPsecOffloadV1NetBufferListInfo = 1;
export const IPsecOffloadV2NetBufferListInfo = 1;
export const TcpLargeSendNetBufferListInfo = 2;
export const TcpReceiveNoPush = 2;
export const ClassificationHandleNetBufferListInfo = 3;
export const Ieee8021QNetBufferListInfo = 4;
export const NetBufferListCancelId = 5;
export const MediaSpecificInformation = 6;
export const NetBufferListFrameType = 7;
export const NetBufferListProtocolId = 7;
export const NetBufferListHashValue = 8;
export const NetBufferListHashInfo = 9;
export const WfpNetBufferListInfo = 10;
export const IPsecOffloadV2TunnelNetBufferListInfo = 11;
export const IPsecOffloadV2HeaderNetBufferListInfo = 12;
export const NetBufferListCorrelationId = 13;
export const NetBufferListFilteringInfo = 14;
export const MediaSpecificInformationEx = 15;
export const NblOriginalInterfaceIfIndex = 16;
export const NblReAuthWfpFlowContext = 17;
export const TcpReceiveBytesTransferred = 18;
export const NrtNameResolutionId = 19;
export const UdpRecvSegCoalesceOffloadInfo = 20;
/** [MODEL] Slots in `NetBufferListInfo` (the header's MaxNetBufferListInfo varies by version). */
export const NDIS_NBL_INFO_SLOTS = 32;

/** NDIS_PROTOCOL_ID_DEFAULT: the ProtocolId of miniport, IM and filter pools. */
export const NDIS_PROTOCOL_ID_DEFAULT = 0x00;
export const NDIS_PROTOCOL_ID_TCP_IP = 0x02;
export const NDIS_PROTOCOL_ID_IP6 = 0x03;
export const NDIS_PROTOCOL_ID_IPX = 0x06;
export const NDIS_PROTOCOL_ID_NBF = 0x07;

export const NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 = 1;
/** [DERIVED] x64 size through DataSize (RTL_SIZEOF_THROUGH_FIELD); Flags follows it. */
export const NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1 = 16;
export const NET_BUFFER_POOL_PARAMETERS_REVISION_1 = 1;
/** [DERIVED] x64 size through DataSize; Flags follows it. */
export const NDIS_SIZEOF_NET_BUFFER_POOL_PARAMETERS_REVISION_1 = 12;
/** Pool flag: freed NBLs are poisoned, never reused, so that a use after free is caught. */
export const NET_BUFFER_LIST_POOL_FLAG_VERIFY = 0x1;
export const NET_BUFFER_POOL_FLAG_VERIFY = 0x1;

/** AllocateCloneFlags of NdisAllocateCloneNetBufferList. */
export const NDIS_CLONE_FLAGS_RESERVED = 0x00000001;
/** The clone's NET_BUFFERs use the original MDL chains instead of new MDLs. */
export const NDIS_CLONE_FLAGS_USE_ORIGINAL_MDLS = 0x00000002;

/** NET_BUFFER_LIST_POOL_PARAMETERS (Header Type NDIS_OBJECT_TYPE_DEFAULT, Revision 1). */
export interface NET_BUFFER_LIST_POOL_PARAMETERS {
  Header: NDIS_OBJECT_HEADER;
  /** UCHAR: NDIS_PROTOCOL_ID_*. */
  ProtocolId: number;
  /** Each NBL comes with one NET_BUFFER. */
  fAllocateNetBuffer: boolean;
  /** Context bytes reserved in each NBL; a multiple of MEMORY_ALLOCATION_ALIGNMENT. */
  ContextSize: number;
  PoolTag: number;
  /** If non-zero, each NBL also gets an MDL and a data buffer of this size (needs fAllocateNetBuffer). */
  DataSize: number;
  /** NET_BUFFER_LIST_POOL_FLAG_*. */
  Flags?: number;
}

/** NET_BUFFER_POOL_PARAMETERS (Header Type NDIS_OBJECT_TYPE_DEFAULT, Revision 1). */
export interface NET_BUFFER_POOL_PARAMETERS {
  Header: NDIS_OBJECT_HEADER;
  PoolTag: number;
  /** If non-zero, NdisAllocateNetBufferMdlAndData gives each NET_BUFFER a buffer of this size. */
  DataSize: number;
  Flags?: number;
}

// Access macros (nbl.h). Pure field access, as in C.
export const NET_BUFFER_LIST_NEXT_NBL = (nbl: NET_BUFFER_LIST): NET_BUFFER_LIST | null => nbl.Next;
export const NET_BUFFER_LIST_FIRST_NB = (nbl: NET_BUFFER_LIST): NET_BUFFER | null =>
  nbl.FirstNetBuffer;
export const NET_BUFFER_LIST_STATUS = (nbl: NET_BUFFER_LIST): NDIS_STATUS => nbl.Status;
export const NET_BUFFER_LIST_FLAGS = (nbl: NET_BUFFER_LIST): number => nbl.Flags;
export const NET_BUFFER_LIST_NBL_FLAGS = (nbl: NET_BUFFER_LIST): number => nbl.NblFlags;
export const NET_BUFFER_LIST_INFO = (nbl: NET_BUFFER_LIST, id: number): unknown =>
  nbl.NetBufferListInfo[id];
export const NET_BUFFER_NEXT_NB = (nb: NET_BUFFER): NET_BUFFER | null => nb.Next;
export const NET_BUFFER_FIRST_MDL = (nb: NET_BUFFER): MDL | null => nb.MdlChain;
export const NET_BUFFER_CURRENT_MDL = (nb: NET_BUFFER): MDL | null => nb.CurrentMdl;
export const NET_BUFFER_CURRENT_MDL_OFFSET = (nb: NET_BUFFER): number => nb.CurrentMdlOffset;
export const NET_BUFFER_DATA_LENGTH = (nb: NET_BUFFER): number => nb.DataLength;
export const NET_BUFFER_DATA_OFFSET = (nb: NET_BUFFER): number => nb.DataOffset;

/** NDIS_SET_NET_BUFFER_LIST_CANCEL_ID: tags an NBL so that NdisCancelSendNetBufferLists finds it. */
export function NDIS_SET_NET_BUFFER_LIST_CANCEL_ID(nbl: NET_BUFFER_LIST, id: unknown): void {
  nbl.NetBufferListInfo[NetBufferListCancelId] = id;
}
export const NDIS_GET_NET_BUFFER_LIST_CANCEL_ID = (nbl: NET_BUFFER_LIST): unknown =>
  nbl.NetBufferListInfo[NetBufferListCancelId];

/** NET_BUFFER_LIST_CONTEXT_DATA_SIZE: bytes in the top context allocation's block left above it. */
export function NET_BUFFER_LIST_CONTEXT_DATA_SIZE(nbl: NET_BUFFER_LIST): number {
  const c = nbl.Context;
  return c === null ? 0 : c.Size - c.Offset;
}

/**
 * NET_BUFFER_LIST_CONTEXT_DATA_START: where the top context allocation starts. [MODEL] In C a
 * pointer; here the index of its first cell in `nbl.Context.ContextData`.
 */
export function NET_BUFFER_LIST_CONTEXT_DATA_START(nbl: NET_BUFFER_LIST): number {
  const c = nbl.Context;
  // Offsets are multiples of MEMORY_ALLOCATION_ALIGNMENT below 64 KiB: a shift gives the cell
  // (NDIS_CONTEXT_CELL_SIZE is 8) as a small integer, where a division would go through a double
  // (about 2 ns per call on the data path, where every IM layer asks this twice per NBL).
  return c === null ? -1 : c.Offset >> 3;
}

// SendFlags, SendCompleteFlags, ReceiveFlags, ReturnFlags [HDR ndis.h]
export const NDIS_SEND_FLAGS_DISPATCH_LEVEL = 0x1;
export const NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK = 0x2;
/** NDIS 6.20. */
export const NDIS_SEND_FLAGS_SINGLE_QUEUE = 0x4;
/** NDIS 6.30 (Hyper-V extensible switch). */
export const NDIS_SEND_FLAGS_SWITCH_DESTINATION_GROUP = 0x10;
/** NDIS 6.30 (Hyper-V extensible switch). */
export const NDIS_SEND_FLAGS_SWITCH_SINGLE_SOURCE = 0x20;
export const NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL = 0x1;
export const NDIS_SEND_COMPLETE_FLAGS_SINGLE_QUEUE = 0x2;
export const NDIS_SEND_COMPLETE_FLAGS_SWITCH_SINGLE_SOURCE = 0x4;
export const NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL = 0x1;
/** The indicator needs the NBLs back as soon as the receive handler returns. */
export const NDIS_RECEIVE_FLAGS_RESOURCES = 0x2;
export const NDIS_RECEIVE_FLAGS_SINGLE_ETHER_TYPE = 0x100;
export const NDIS_RECEIVE_FLAGS_SINGLE_VLAN = 0x200;
export const NDIS_RECEIVE_FLAGS_PERFECT_FILTERED = 0x400;
export const NDIS_RECEIVE_FLAGS_SINGLE_QUEUE = 0x800;
export const NDIS_RECEIVE_FLAGS_SHARED_MEMORY_INFO_VALID = 0x1000;
export const NDIS_RECEIVE_FLAGS_MORE_NBLS = 0x2000;
export const NDIS_RECEIVE_FLAGS_SWITCH_DESTINATION_GROUP = 0x4000;
export const NDIS_RECEIVE_FLAGS_SWITCH_SINGLE_SOURCE = 0x8000;
export const NDIS_RETURN_FLAGS_DISPATCH_LEVEL = 0x1;
export const NDIS_RETURN_FLAGS_SINGLE_QUEUE = 0x2;
export const NDIS_RETURN_FLAGS_SWITCH_SINGLE_SOURCE = 0x4;
/** NDIS_DEFAULT_PORT_NUMBER: port 0, the adapter's default port. */
export const NDIS_DEFAULT_PORT_NUMBER = 0;
