/*
 * ndis-ts: the network interface types of the kernel's IP helper (NET_LUID, NET_IFINDEX…, from
 * <ndis.h>). Its routines (ConvertInterface…, GetIfEntry2…) are not supported: ndis-ts has no TCP/IP
 * stack of Windows' (docs/c-drivers.md, Not supported).
 */
#ifndef NDIS_TS_NETIOAPI_H
#define NDIS_TS_NETIOAPI_H

#include <ndis.h>

#define NDIS_TS_NO_IPHLP "ndis-ts has no Windows TCP/IP stack: the IP helper routines are not there"
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS ConvertInterfaceLuidToGuid();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS ConvertInterfaceGuidToLuid();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS ConvertInterfaceLuidToIndex();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS ConvertInterfaceIndexToLuid();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS ConvertInterfaceLuidToNameW();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS GetIfEntry2();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS GetIpInterfaceEntry();
NDIS_TS_UNAVAILABLE(NDIS_TS_NO_IPHLP) NTSTATUS NotifyIpInterfaceChange();

#endif /* NDIS_TS_NETIOAPI_H */
