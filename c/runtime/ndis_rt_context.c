/*
 * NdisAllocateNetBufferListContext and NdisFreeNetBufferListContext, in the module: the data
 * path's case (an NBL the driver holds, room in the top context block, an aligned size, no
 * backfill) changes one field of the mirrored top block and never leaves the module; every other
 * case calls NDIS (the bridge's import of the same name), which checks and reports as always.
 *
 * The bridge's NBL mirror (src/wasm/nbl-mirror.ts) keeps, in the 16 bytes before each mirrored
 * NBL: word 0 its record's kind and index, word 1 the address of its top context block's mirror
 * while the driver holds the NBL (0 otherwise: then every call goes to NDIS), word 2 the
 * allocations made here since NDIS last looked and word 3 the frees made here of allocations that
 * were there before. A context block's word 1 says whether it is the block NDIS reserves with
 * every NBL (emptying it does not pop it). NDIS applies the counts (its record of who allocated
 * each context, for the verifier) and the block's Offset the next time the NBL crosses out of
 * the module, before anything on its side can look: ownership, NetBufferListContext_Leaked and
 * NdisFreeNetBufferListContext_Mismatch come out as if every call had gone to NDIS.
 *
 * Built with -DNDIS_TS_CONTEXT_VIA_NDIS, every call goes to NDIS (how modules worked before; the
 * tests compare the two).
 */
#include <ndis.h>

#define RT_TAG_NBL 1u
#define RT_TAG_CONTEXT 4u

__attribute__((import_module("ndis"), import_name("NdisAllocateNetBufferListContext"))) NDIS_STATUS
rt_ndis_allocate_context(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize, USHORT ContextBackFill,
                         ULONG PoolTag);
__attribute__((import_module("ndis"), import_name("NdisFreeNetBufferListContext"))) void
rt_ndis_free_context(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize);

/* The words before a mirrored struct. */
static unsigned *rt_prefix(const void *p) { return (unsigned *)((UCHAR *)p - 16); }

/* The NBL's top context block, when the module may change it itself: else NULL. */
static PNET_BUFFER_LIST_CONTEXT rt_own_top(PNET_BUFFER_LIST nbl, USHORT size) {
  SIZE_T p = (SIZE_T)nbl;
  SIZE_T limit = __builtin_wasm_memory_size(0) * 65536;
  unsigned *pre;
  PNET_BUFFER_LIST_CONTEXT top;
#ifdef NDIS_TS_CONTEXT_VIA_NDIS
  return NULL;
#endif
  if (size == 0 || (size & (MEMORY_ALLOCATION_ALIGNMENT - 1)) != 0) return NULL;
  if (p < 16 || (p & 3) != 0 || p + sizeof(NET_BUFFER_LIST) > limit) return NULL;
  pre = rt_prefix(nbl);
  if ((pre[0] >> 28) != RT_TAG_NBL) return NULL;
  top = nbl->Context;
  if (top == NULL || (SIZE_T)top != pre[1]) return NULL;
  return top;
}

NDIS_STATUS NdisAllocateNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize,
                                             USHORT ContextBackFill, ULONG PoolTag) {
  PNET_BUFFER_LIST_CONTEXT top = ContextBackFill == 0 ? rt_own_top(NetBufferList, ContextSize) : NULL;
  if (top != NULL && top->Offset >= ContextSize) {
    top->Offset -= ContextSize;
    rt_prefix(NetBufferList)[2]++;
    return NDIS_STATUS_SUCCESS;
  }
  return rt_ndis_allocate_context(NetBufferList, ContextSize, ContextBackFill, PoolTag);
}

void NdisFreeNetBufferListContext(PNET_BUFFER_LIST NetBufferList, USHORT ContextSize) {
  PNET_BUFFER_LIST_CONTEXT top = rt_own_top(NetBufferList, ContextSize);
  if (top != NULL) {
    unsigned held = (unsigned)top->Size - top->Offset;
    /* A block's last bytes pop the block, unless NDIS reserved it: NDIS does that. */
    if (held > ContextSize || (held == ContextSize && rt_prefix(top)[1] != 0)) {
      unsigned *pre = rt_prefix(NetBufferList);
      top->Offset += ContextSize;
      if (pre[2] > 0) pre[2]--;
      else pre[3]++;
      return;
    }
  }
  rt_ndis_free_context(NetBufferList, ContextSize);
}
