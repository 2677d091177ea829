/* vlanlwf's control device: IOCTL_VLANLWF_STATS sums the counters of every module. */
#include "precomp.h"

static NDIS_HANDLE NdisFilterDeviceHandle = NULL;
static PDEVICE_OBJECT NdisDeviceObject = NULL;

_Dispatch_type_(IRP_MJ_CREATE) _Dispatch_type_(IRP_MJ_CLOSE) _Dispatch_type_(IRP_MJ_CLEANUP)
DRIVER_DISPATCH FilterDispatch;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) DRIVER_DISPATCH FilterDeviceIoControl;

_Use_decl_annotations_
NDIS_STATUS FilterRegisterDevice(VOID) {
  NDIS_STATUS status;
  UNICODE_STRING deviceName;
  UNICODE_STRING deviceLinkUnicodeString;
  PDRIVER_DISPATCH dispatchTable[IRP_MJ_MAXIMUM_FUNCTION + 1];
  NDIS_DEVICE_OBJECT_ATTRIBUTES deviceAttribute;

  NdisZeroMemory(dispatchTable, (IRP_MJ_MAXIMUM_FUNCTION + 1) * sizeof(PDRIVER_DISPATCH));
  dispatchTable[IRP_MJ_CREATE] = FilterDispatch;
  dispatchTable[IRP_MJ_CLEANUP] = FilterDispatch;
  dispatchTable[IRP_MJ_CLOSE] = FilterDispatch;
  dispatchTable[IRP_MJ_DEVICE_CONTROL] = FilterDeviceIoControl;

  NdisInitUnicodeString(&deviceName, NTDEVICE_STRING);
  NdisInitUnicodeString(&deviceLinkUnicodeString, LINKNAME_STRING);

  NdisZeroMemory(&deviceAttribute, sizeof(NDIS_DEVICE_OBJECT_ATTRIBUTES));
  deviceAttribute.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
  deviceAttribute.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
  deviceAttribute.Header.Size = sizeof(NDIS_DEVICE_OBJECT_ATTRIBUTES);
  deviceAttribute.DeviceName = &deviceName;
  deviceAttribute.SymbolicName = &deviceLinkUnicodeString;
  deviceAttribute.MajorFunctions = &dispatchTable[0];
  deviceAttribute.ExtensionSize = 0;

  status = NdisRegisterDeviceEx(FilterDriverHandle, &deviceAttribute, &NdisDeviceObject, &NdisFilterDeviceHandle);
  if (status == NDIS_STATUS_SUCCESS) NdisDeviceObject->Flags |= DO_BUFFERED_IO;
  return status;
}

_Use_decl_annotations_
VOID FilterDeregisterDevice(VOID) {
  if (NdisFilterDeviceHandle != NULL) NdisDeregisterDeviceEx(NdisFilterDeviceHandle);
  NdisFilterDeviceHandle = NULL;
}

_Use_decl_annotations_
NTSTATUS FilterDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}

_Use_decl_annotations_
NTSTATUS FilterDeviceIoControl(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION irpSp = IoGetCurrentIrpStackLocation(Irp);
  NTSTATUS status = STATUS_SUCCESS;
  ULONG information = 0;
  UNREFERENCED_PARAMETER(DeviceObject);

  switch (irpSp->Parameters.DeviceIoControl.IoControlCode) {
    case IOCTL_VLANLWF_STATS: {
      PVLANLWF_STATS out = (PVLANLWF_STATS)Irp->AssociatedIrp.SystemBuffer;
      PLIST_ENTRY link;
      LOCK_STATE_EX lockState;
      if (irpSp->Parameters.DeviceIoControl.OutputBufferLength < sizeof(VLANLWF_STATS)) {
        status = STATUS_BUFFER_TOO_SMALL;
        break;
      }
      __try {
        RtlZeroMemory(out, sizeof(*out));
      } __except (EXCEPTION_EXECUTE_HANDLER) {
        status = GetExceptionCode();
        break;
      }
      FILTER_LIST_READ(&lockState);
      for (link = FilterModuleList.Flink; link != &FilterModuleList; link = link->Flink) {
        PLWF_FILTER pFilter = CONTAINING_RECORD(link, LWF_FILTER, FilterModuleLink);
        out->SentTagged += pFilter->Stats.SentTagged;
        out->SentPassed += pFilter->Stats.SentPassed;
        out->ReceivesDropped += pFilter->Stats.ReceivesDropped;
        out->ReceivesPassed += pFilter->Stats.ReceivesPassed;
        out->TimerTicks += pFilter->Stats.TimerTicks;
        out->WorkItemRuns += pFilter->Stats.WorkItemRuns;
        out->VlanId = pFilter->Stats.VlanId;
        out->TagEtherType = pFilter->Stats.TagEtherType;
        out->DropEtherType = pFilter->Stats.DropEtherType;
        out->OidsForwarded += pFilter->Stats.OidsForwarded;
        out->LastTickTime = pFilter->Stats.LastTickTime;
        out->Reflected += pFilter->Stats.Reflected;
        out->PnpEvents += pFilter->Stats.PnpEvents;
        out->ReflectEtherType = pFilter->Stats.ReflectEtherType;
      }
      FILTER_LIST_RELEASE(&lockState);
      information = sizeof(VLANLWF_STATS);
      break;
    }
    default:
      status = STATUS_INVALID_DEVICE_REQUEST;
      break;
  }
  Irp->IoStatus.Status = status;
  Irp->IoStatus.Information = information;
  IoCompleteRequest(Irp, IO_NO_INCREMENT);
  return status;
}
