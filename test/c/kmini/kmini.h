/*
 * kmini: a virtual miniport written for ndis-ts's tests the way drivers that lean on the kernel's
 * own services are written (from the documented meaning of each routine). Its adapters block
 * in KeWaitForSingleObject from their OID handlers, several at once, each deep in helpers with
 * large locals, and are woken in any order by other OIDs; a halt sleeps while they are blocked.
 */
#ifndef KMINI_H
#define KMINI_H

#include <ntddk.h>
#include <ndis.h>

#define KMINI_TAG 'iniK'

/* Vendor-private OIDs of the tests. */
#define OID_KMINI_WAIT 0xFF00A001u  /* query: block on the adapter's gate, then answer a checksum */
#define OID_KMINI_OPEN 0xFF00A002u  /* set: open the gate of the adapter whose index the buffer holds */

/* How many helper levels a waiting OID handler goes down, each with its own locals. */
#define KMINI_WAIT_DEPTH 3
#define KMINI_WAIT_WORDS 256

typedef struct _KMINI_ADAPTER {
  LIST_ENTRY Link;
  NDIS_HANDLE AdapterHandle;
  ULONG Index;
  KEVENT Gate;
} KMINI_ADAPTER, *PKMINI_ADAPTER;

NDIS_DECLARE_MINIPORT_ADAPTER_CONTEXT(KMINI_ADAPTER);

DRIVER_INITIALIZE DriverEntry;
MINIPORT_INITIALIZE KminiInitialize;
MINIPORT_HALT KminiHalt;
MINIPORT_UNLOAD KminiUnload;
MINIPORT_PAUSE KminiPause;
MINIPORT_RESTART KminiRestart;
MINIPORT_OID_REQUEST KminiOidRequest;
MINIPORT_SEND_NET_BUFFER_LISTS KminiSendNetBufferLists;
MINIPORT_RETURN_NET_BUFFER_LISTS KminiReturnNetBufferLists;
MINIPORT_CANCEL_SEND KminiCancelSend;
MINIPORT_DEVICE_PNP_EVENT_NOTIFY KminiDevicePnPEventNotify;
MINIPORT_SHUTDOWN KminiShutdown;
MINIPORT_CANCEL_OID_REQUEST KminiCancelOidRequest;

#endif
