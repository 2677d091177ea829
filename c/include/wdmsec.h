/*
 * ndis-ts: the security descriptors (SDDL strings) a driver may give its control device. Devices
 * here have no security: NdisRegisterDeviceEx accepts a DefaultSDDLString and does not use it, and
 * IoCreateDeviceSecure is IoCreateDevice with its SDDL string and class GUID accepted, not used.
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

static inline NTSTATUS IoCreateDeviceSecure(PDRIVER_OBJECT DriverObject, ULONG DeviceExtensionSize,
                                            PUNICODE_STRING DeviceName, DEVICE_TYPE DeviceType,
                                            ULONG DeviceCharacteristics, BOOLEAN Exclusive,
                                            PCUNICODE_STRING DefaultSDDLString, LPCGUID DeviceClassGuid,
                                            PDEVICE_OBJECT *DeviceObject) {
  (void)DefaultSDDLString;
  (void)DeviceClassGuid;
  return IoCreateDevice(DriverObject, DeviceExtensionSize, DeviceName, DeviceType, DeviceCharacteristics,
                        Exclusive, DeviceObject);
}

#endif /* NDIS_TS_WDMSEC_H */
