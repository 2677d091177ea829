/*
 * cpassthru DriverEntry: registers the miniport edge with NDIS_INTERMEDIATE_DRIVER, then the
 * protocol edge under the driver's service name, then associates the two — undoing what
 * succeeded if a later step fails. It registers as the NDIS version it runs on (capped at 6.89),
 * with the characteristics revision that version requires.
 */
#include "passthrough.h"

PT_GLOBALS Globals;

DRIVER_INITIALIZE DriverEntry;

/* The last part of RegistryPath (the service name) as the protocol's Name. */
static void PtServiceName(PUNICODE_STRING RegistryPath, PNDIS_STRING Name) {
  USHORT chars = RegistryPath->Length / sizeof(WCHAR);
  USHORT start = 0;
  USHORT i;
  for (i = 0; i < chars; i++)
    if (RegistryPath->Buffer[i] == L'\\') start = (USHORT)(i + 1);
  Name->Buffer = RegistryPath->Buffer + start;
  Name->Length = (USHORT)((chars - start) * sizeof(WCHAR));
  Name->MaximumLength = Name->Length;
}

_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS mChars;
  NDIS_PROTOCOL_DRIVER_CHARACTERISTICS pChars;
  NDIS_STATUS status;
  UINT version = NdisGetVersion();
  UCHAR minor = (UCHAR)(version & 0xFF);

  if ((version >> 16) > 6 || minor > 89) minor = 89;
  NdisZeroMemory(&Globals, sizeof(Globals));
  InitializeListHead(&Globals.Adapters);
  NdisAllocateSpinLock(&Globals.Lock);

  NdisZeroMemory(&mChars, sizeof(mChars));
  mChars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
  if (minor >= 80) {
    mChars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
    mChars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
  } else if (minor >= 1) {
    mChars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    mChars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
  } else {
    mChars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
    mChars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1;
  }
  mChars.MajorNdisVersion = 6;
  mChars.MinorNdisVersion = minor;
  mChars.MajorDriverVersion = 1;
  mChars.MinorDriverVersion = 0;
  mChars.Flags = NDIS_INTERMEDIATE_DRIVER;
  mChars.InitializeHandlerEx = MPInitialize;
  mChars.HaltHandlerEx = MPHalt;
  mChars.UnloadHandler = MPDriverUnload;
  mChars.PauseHandler = MPPause;
  mChars.RestartHandler = MPRestart;
  mChars.OidRequestHandler = MPOidRequest;
  mChars.SendNetBufferListsHandler = MPSendNetBufferLists;
  mChars.ReturnNetBufferListsHandler = MPReturnNetBufferLists;
  mChars.CancelSendHandler = MPCancelSend;
  mChars.DevicePnPEventNotifyHandler = MPDevicePnPEventNotify;
  mChars.ShutdownHandlerEx = MPShutdown;
  mChars.CancelOidRequestHandler = MPCancelOidRequest;
  status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, &Globals, &mChars,
                                       &Globals.MiniportDriverHandle);
  if (status != NDIS_STATUS_SUCCESS) {
    NdisFreeSpinLock(&Globals.Lock);
    return status;
  }

  NdisZeroMemory(&pChars, sizeof(pChars));
  pChars.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
  if (minor >= 1) {
    pChars.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
    pChars.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
  } else {
    pChars.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
    pChars.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_1;
  }
  pChars.MajorNdisVersion = 6;
  pChars.MinorNdisVersion = minor;
  pChars.MajorDriverVersion = 1;
  pChars.MinorDriverVersion = 0;
  PtServiceName(RegistryPath, &pChars.Name);
  pChars.BindAdapterHandlerEx = PtBindAdapter;
  pChars.UnbindAdapterHandlerEx = PtUnbindAdapter;
  pChars.OpenAdapterCompleteHandlerEx = PtOpenAdapterComplete;
  pChars.CloseAdapterCompleteHandlerEx = PtCloseAdapterComplete;
  pChars.NetPnPEventHandler = PtNetPnPEvent;
  pChars.OidRequestCompleteHandler = PtOidRequestComplete;
  pChars.StatusHandlerEx = PtStatus;
  pChars.ReceiveNetBufferListsHandler = PtReceiveNetBufferLists;
  pChars.SendNetBufferListsCompleteHandler = PtSendNetBufferListsComplete;
  status = NdisRegisterProtocolDriver(&Globals, &pChars, &Globals.ProtocolHandle);
  if (status != NDIS_STATUS_SUCCESS) {
    /* Undo the miniport edge before failing, as DriverEntry must. */
    NdisMDeregisterMiniportDriver(Globals.MiniportDriverHandle);
    NdisFreeSpinLock(&Globals.Lock);
    return status;
  }
  NdisIMAssociateMiniport(Globals.MiniportDriverHandle, Globals.ProtocolHandle);
  return NDIS_STATUS_SUCCESS;
}
