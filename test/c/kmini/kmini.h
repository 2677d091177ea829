/*
 * kmini: a virtual miniport written for ndis-ts's tests the way drivers that lean on the kernel's
 * own services are written (from the documented meaning of each routine). Its adapters block
 * in KeWaitForSingleObject from their OID handlers, several at once, each deep in helpers with
 * large locals, and are woken in any order by other OIDs; a halt sleeps while they are blocked.
 * Each adapter has a periodic kernel timer with a DPC (KeSetTimerEx) that cancels itself after a
 * number of ticks, and a DPC it queues itself (KeInsertQueueDpc); the driver has a watchdog timer
 * set in DriverEntry and cancelled in Unload (-DKMINI_LEAK_TIMER: the planted bug forgets to).
 */
#ifndef KMINI_H
#define KMINI_H

#include <ntddk.h>
#include <ndis.h>

#define KMINI_TAG 'iniK'

/* Vendor-private OIDs of the tests. */
#define OID_KMINI_WAIT 0xFF00A001u  /* query: block on the adapter's gate, then answer a checksum */
#define OID_KMINI_OPEN 0xFF00A002u  /* set: open the gate of the adapter whose index the buffer holds */

#define OID_KMINI_TICK 0xFF00A003u  /* set: ULONG period (ms), ULONG ticks: a periodic kernel timer */
#define OID_KMINI_KICK 0xFF00A004u  /* set: queue the kick DPC twice, then (if the ULONG says so) remove it */
#define OID_KMINI_STATS 0xFF00A005u /* query: KMINI_STATS */

typedef struct _KMINI_STATS {
  ULONG Ticks;          /* times the tick DPC ran */
  ULONG TickIrql;       /* the IRQL it ran at */
  ULONG TimerSignaled;  /* KeReadStateTimer of the tick timer */
  ULONG Kicks;          /* times the kick DPC ran */
  ULONG KickArgument;   /* its SystemArgument1 */
  ULONG Inserts;        /* KeInsertQueueDpc results of the last kick OID: bit 0 first, bit 1 second */
  ULONG Removed;        /* KeRemoveQueueDpc's result */
  ULONG WatchdogRuns;   /* times the driver-wide watchdog DPC ran */
} KMINI_STATS, *PKMINI_STATS;

/* How many helper levels a waiting OID handler goes down, each with its own locals. */
#define KMINI_WAIT_DEPTH 3
#define KMINI_WAIT_WORDS 256

typedef struct _KMINI_ADAPTER {
  LIST_ENTRY Link;
  NDIS_HANDLE AdapterHandle;
  ULONG Index;
  KEVENT Gate;
  KTIMER TickTimer;
  KDPC TickDpc;
  ULONG TicksWanted;
  KDPC KickDpc;
  KMINI_STATS Stats;
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
KDEFERRED_ROUTINE KminiTickDpc;
KDEFERRED_ROUTINE KminiKickDpc;
KDEFERRED_ROUTINE KminiWatchdogDpc;

#endif
