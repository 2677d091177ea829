/*
 * ndis-ts: the WMI structure headers a driver may include for its types (WMI itself — IoWMI…,
 * WMI IRPs — is not supported: no WMI here).
 */
#ifndef NDIS_TS_WMISTR_H
#define NDIS_TS_WMISTR_H
#include <ndis/nt.h>
typedef struct _WNODE_HEADER {
  ULONG BufferSize;
  ULONG ProviderId;
  union {
    ULONG64 HistoricalContext;
    struct {
      ULONG Version;
      ULONG Linkage;
    };
  };
  union {
    ULONG CountLost;
    HANDLE KernelHandle;
    LARGE_INTEGER TimeStamp;
  };
  GUID Guid;
  ULONG ClientContext;
  ULONG Flags;
} WNODE_HEADER, *PWNODE_HEADER;
typedef struct tagWNODE_SINGLE_INSTANCE {
  struct _WNODE_HEADER WnodeHeader;
  ULONG OffsetInstanceName;
  ULONG InstanceIndex;
  ULONG DataBlockOffset;
  ULONG SizeDataBlock;
  UCHAR VariableData[];
} WNODE_SINGLE_INSTANCE, *PWNODE_SINGLE_INSTANCE;
#define WNODE_FLAG_SINGLE_INSTANCE 0x00000100
#define WNODE_FLAG_EVENT_ITEM 0x00000008
#endif /* NDIS_TS_WMISTR_H */
