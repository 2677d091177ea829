/*
 * ndis-ts: the security descriptors (SDDL strings) a driver may give its control device. Devices
 * here have no security: NdisRegisterDeviceEx accepts a DefaultSDDLString and does not use it.
 * IoCreateDeviceSecure is not supported (docs/c-drivers.md, Not supported).
 */
#ifndef NDIS_TS_WDMSEC_H
#define NDIS_TS_WDMSEC_H

#include <ndis/nt.h>

#define NDIS_TS_SDDL(name, text) static const UNICODE_STRING name = RTL_CONSTANT_STRING(text)
NDIS_TS_SDDL(SDDL_DEVOBJ_KERNEL_ONLY, L"D:P");
NDIS_TS_SDDL(SDDL_DEVOBJ_SYS_ALL, L"D:P(A;;GA;;;SY)");
NDIS_TS_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_ALL, L"D:P(A;;GA;;;SY)(A;;GA;;;BA)");
NDIS_TS_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RX, L"D:P(A;;GA;;;SY)(A;;GRGX;;;BA)");
NDIS_TS_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_R, L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GR;;;WD)");
NDIS_TS_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RW_RES_R,
             L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGW;;;WD)(A;;GR;;;RC)");
NDIS_TS_SDDL(SDDL_DEVOBJ_SYS_ALL_ADM_RWX_WORLD_RWX_RES_RWX,
             L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;BA)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)");
NDIS_TS_SDDL(SDDL_DEVOBJ_SYS_ALL_WORLD_RWX_RES_RWX, L"D:P(A;;GA;;;SY)(A;;GRGWGX;;;WD)(A;;GRGWGX;;;RC)");
#undef NDIS_TS_SDDL

#endif /* NDIS_TS_WDMSEC_H */
