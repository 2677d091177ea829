/**
 * The reset and control-device DDI from C, and the restart attributes C protocols and filters
 * get (docs/c-drivers.md):
 * - a C miniport's MiniportCheckForHangEx and MiniportResetEx pointers are called on NDIS's
 *   check-for-hang timer; a pended reset ends with NdisMResetComplete from C (AddressingReset
 *   makes NDIS set the packet filter again); NdisMResetComplete with no reset pending is the
 *   same named violation as for a TypeScript miniport;
 * - NdisRegisterDeviceEx from C: a Node program opens the device and its C dispatch routines
 *   answer CREATE / READ / WRITE / DEVICE_CONTROL with buffered and direct I/O, a per-handle
 *   FsContext, the device extension and a pended IRP; completing an IRP twice is
 *   MULTIPLE_IRP_COMPLETE_REQUESTS;
 * - FilterRestart in C gets NDIS's restart attributes and what it changes reaches the protocol
 *   above; a C protocol's NetEventRestart gets them too.
 * Skipped without clang and lld, naming the packages.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  CTL_CODE,
  DeviceIoError,
  FILE_ANY_ACCESS,
  FILE_DEVICE_NETWORK,
  ManualClock,
  METHOD_BUFFERED,
  METHOD_OUT_DIRECT,
  NDIS_PACKET_TYPE_BROADCAST,
  NDIS_PACKET_TYPE_DIRECTED,
  type NDIS_RESTART_ATTRIBUTES,
  type NDIS_RESTART_GENERAL_ATTRIBUTES,
  NDIS_STATUS_RESET_END,
  NDIS_STATUS_RESET_START,
  NDIS_STATUS_SUCCESS,
  NdisHost,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventRestart,
  OID_GEN_MINIPORT_RESTART_ATTRIBUTES,
  OID_GEN_STATISTICS,
  OID_GEN_SUPPORTED_LIST,
  STATUS_INVALID_DEVICE_REQUEST,
} from "../../src/index.js";
import { buildSample, buildSource, cSkipReason, FILTER_PASSTHROUGH } from "../helpers/cdriver.js";
import { scriptedMiniport } from "../helpers/miniport.js";
import { scriptedProtocol } from "../helpers/protocol.js";

const skip = cSkipReason() ?? false;

const DEVCTL = ["test/fixtures/c/devctl.c"];
const IOCTL_SET = CTL_CODE(FILE_DEVICE_NETWORK, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_COMPLETE_RESET = CTL_CODE(FILE_DEVICE_NETWORK, 0x801, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_STATS = CTL_CODE(FILE_DEVICE_NETWORK, 0x802, METHOD_OUT_DIRECT, FILE_ANY_ACCESS);
const IOCTL_WAIT_RESET = CTL_CODE(FILE_DEVICE_NETWORK, 0x803, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_COMPLETE_TWICE = CTL_CODE(FILE_DEVICE_NETWORK, 0x804, METHOD_BUFFERED, FILE_ANY_ACCESS);
const IOCTL_DEREGISTER = CTL_CODE(FILE_DEVICE_NETWORK, 0x805, METHOD_BUFFERED, FILE_ANY_ACCESS);

const ulongs = (...values: number[]) => {
  const bytes = new Uint8Array(4 * values.length);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => {
    view.setUint32(4 * i, v, true);
  });
  return bytes;
};
const readUlongs = (bytes: Uint8Array) => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(4 * i, true));
};

/** Lets NDIS's deferred work run to its end. */
async function flush(host: NdisHost): Promise<void> {
  await host.settle();
  await new Promise<void>((resolve) => setImmediate(resolve));
}

/** The C miniport with its device, a TypeScript protocol bound to it, on a manual clock. */
async function devctlRig(verifier: "strict" | "record" = "strict") {
  const path = await buildSample("devctl", DEVCTL);
  const clock = new ManualClock();
  const host = new NdisHost({ clock, verifier });
  await host.loadDriver({ name: "devctl", module: path });
  const proto = scriptedProtocol({
    name: "tcpip",
    packetFilter: NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST,
  });
  await host.loadDriver({ name: "tcpip", module: proto.module });
  await host.addAdapter({ driver: "devctl", name: "eth0" });
  await flush(host);
  const codes = () => proto.statuses.map((s) => s.StatusCode);
  return { clock, host, proto, codes };
}

/** Checks, Resets, Opens, Handle (FsContext), FilterSets: the driver's counters, read by IOCTL. */
async function stats(file: {
  deviceIoControl: (c: number, i: Uint8Array | null, o: number) => Promise<Uint8Array>;
}) {
  const [checks, resets, opens, handle, filterSets] = readUlongs(
    await file.deviceIoControl(IOCTL_STATS, null, 20),
  );
  return { checks, resets, opens, handle, filterSets };
}

describe("a C miniport's check for hang and reset (MiniportCheckForHangEx, MiniportResetEx, NdisMResetComplete)", {
  skip,
}, () => {
  test("NDIS calls the C handlers on its timer; a pended reset ends with NdisMResetComplete from C, and AddressingReset makes NDIS set the filter again", async () => {
    const { clock, host, codes } = await devctlRig();
    const file = await host.openDevice("\\\\.\\CDevCtl");
    const before = await stats(file);
    assert.equal(before.resets, 0);
    clock.advance(2000);
    await flush(host);
    const checked = await stats(file);
    assert.equal(checked.checks, (before.checks ?? 0) + 1, "CheckForHang every 2 s");
    assert.equal(checked.resets, 0, "no reset while it reports no hang");

    // Hang, pend the reset, ask for AddressingReset; an IOCTL waits for the reset.
    await file.deviceIoControl(IOCTL_SET, ulongs(1, 1, 1), 0);
    const waiting = file.deviceIoControl(IOCTL_WAIT_RESET, null, 4);
    clock.advance(2000);
    await flush(host);
    assert.deepEqual(
      readUlongs(await waiting),
      [1],
      "the pended IRP completed inside MiniportResetEx",
    );
    assert.deepEqual(codes(), [NDIS_STATUS_RESET_START], "pended: no RESET_END yet");
    const filterSets = (await stats(file)).filterSets ?? 0;
    await file.deviceIoControl(IOCTL_COMPLETE_RESET, ulongs(NDIS_STATUS_SUCCESS), 0);
    await flush(host);
    assert.deepEqual(codes(), [NDIS_STATUS_RESET_START, NDIS_STATUS_RESET_END]);
    assert.equal(
      (await stats(file)).filterSets,
      filterSets + 1,
      "AddressingReset: NDIS set the packet filter again",
    );
    assert.deepEqual(host.violations, []);
    await file.close();
    await host.removeAdapter("eth0");
    await host.unloadDriver("tcpip");
    await host.unloadDriver("devctl");
    assert.deepEqual(host.violations, []);
  });

  test("NdisMResetComplete from C with no reset in progress is NdisMResetComplete_NotPending, as for a TypeScript miniport", async () => {
    const { host } = await devctlRig("record");
    const file = await host.openDevice("\\\\.\\CDevCtl");
    await file.deviceIoControl(IOCTL_COMPLETE_RESET, ulongs(NDIS_STATUS_SUCCESS), 0);
    assert.deepEqual(
      host.violations.map((v) => [v.rule, v.driver]),
      [["NdisMResetComplete_NotPending", "devctl"]],
    );
    assert.match(host.violations[0]?.message ?? "", /in C function Dispatch/);
  });
});

describe("a control device from C (NdisRegisterDeviceEx, IRP dispatch, IoCompleteRequest)", {
  skip,
}, () => {
  test("opens, buffered reads and writes (DO_BUFFERED_IO set in C), a direct-I/O IOCTL, per-handle FsContext and the extension; an unknown IOCTL fails; deregistered at unload", async () => {
    const { host } = await devctlRig();
    const a = await host.openDevice("\\\\.\\CDevCtl");
    const b = await host.openDevice("\\Device\\CDevCtl");
    assert.equal(new TextDecoder().decode(await a.read(16)), "hello");
    assert.equal(await b.write(new TextEncoder().encode("ndis-ts")), 7);
    assert.equal(new TextDecoder().decode(await a.read(4)), "ndis");
    const sa = await stats(a);
    const sb = await stats(b);
    assert.equal(sa.opens, 2, "the extension counted both opens");
    assert.deepEqual([sa.handle, sb.handle], [1, 2], "each handle its own FsContext");
    await assert.rejects(
      a.deviceIoControl(0x12345678, null, 0),
      (e: unknown) =>
        e instanceof DeviceIoError && e.status >>> 0 === STATUS_INVALID_DEVICE_REQUEST,
    );
    await a.close();
    await b.close();
    await host.removeAdapter("eth0");
    await host.unloadDriver("tcpip");
    await host.unloadDriver("devctl");
    assert.deepEqual(host.violations, []);
    await assert.rejects(host.openDevice("\\\\.\\CDevCtl"));
  });

  test("deregistered from C with a handle still open: new opens fail, the open handle's CLEANUP and CLOSE still reach the C dispatch routine", async () => {
    const { host } = await devctlRig();
    const a = await host.openDevice("\\\\.\\CDevCtl");
    const b = await host.openDevice("\\\\.\\CDevCtl");
    await a.deviceIoControl(IOCTL_DEREGISTER, null, 0);
    await assert.rejects(host.openDevice("\\\\.\\CDevCtl"));
    await assert.rejects(b.read(4), (e: unknown) => e instanceof DeviceIoError);
    await a.close();
    await b.close();
    await flush(host);
    assert.deepEqual(host.violations, [], "the closes ran in C without a fault");
    await host.removeAdapter("eth0");
    await host.unloadDriver("tcpip");
    await host.unloadDriver("devctl");
    assert.deepEqual(host.violations, []);
  });

  test("a C dispatch routine that completes its IRP twice gets MULTIPLE_IRP_COMPLETE_REQUESTS naming the C function", async () => {
    const { host } = await devctlRig("record");
    const file = await host.openDevice("\\\\.\\CDevCtl");
    await file.deviceIoControl(IOCTL_COMPLETE_TWICE, null, 0);
    assert.deepEqual(
      host.violations.map((v) => [v.rule, v.driver]),
      [["MULTIPLE_IRP_COMPLETE_REQUESTS", "devctl"]],
    );
    assert.match(host.violations[0]?.message ?? "", /in C function Dispatch/);
  });
});

describe("misuse of the device DDI from C is named, as from TypeScript", { skip }, () => {
  test("NULL attributes are NdisRegisterDeviceEx_BadAttributes with INVALID_PARAMETER; completing something that is not an IRP is InvalidNdisHandle; the host lives on", async () => {
    const built = await buildSource(
      "cdev-misuse",
      `
#include <ndis.h>
static NDIS_HANDLE Handle;
static NDIS_STATUS Bind(NDIS_HANDLE C, NDIS_HANDLE B, PNDIS_BIND_PARAMETERS P) {
  UNREFERENCED_PARAMETER(C);
  UNREFERENCED_PARAMETER(B);
  UNREFERENCED_PARAMETER(P);
  return NDIS_STATUS_NOT_SUPPORTED;
}
static NDIS_STATUS Unbind(NDIS_HANDLE U, NDIS_HANDLE C) {
  UNREFERENCED_PARAMETER(U);
  UNREFERENCED_PARAMETER(C);
  return NDIS_STATUS_SUCCESS;
}
static void OpenComplete(NDIS_HANDLE C, NDIS_STATUS S) {
  UNREFERENCED_PARAMETER(C);
  UNREFERENCED_PARAMETER(S);
}
static void CloseComplete(NDIS_HANDLE C) { UNREFERENCED_PARAMETER(C); }
static NDIS_STATUS PnP(NDIS_HANDLE C, PNET_PNP_EVENT_NOTIFICATION E) {
  UNREFERENCED_PARAMETER(C);
  UNREFERENCED_PARAMETER(E);
  return NDIS_STATUS_SUCCESS;
}
static void Receive(NDIS_HANDLE C, PNET_BUFFER_LIST N, NDIS_PORT_NUMBER P, ULONG K, ULONG F) {
  UNREFERENCED_PARAMETER(C);
  UNREFERENCED_PARAMETER(N);
  UNREFERENCED_PARAMETER(P);
  UNREFERENCED_PARAMETER(K);
  UNREFERENCED_PARAMETER(F);
}
static void SendComplete(NDIS_HANDLE C, PNET_BUFFER_LIST N, ULONG F) {
  UNREFERENCED_PARAMETER(C);
  UNREFERENCED_PARAMETER(N);
  UNREFERENCED_PARAMETER(F);
}
static void OidComplete(NDIS_HANDLE C, PNDIS_OID_REQUEST R, NDIS_STATUS S) {
  UNREFERENCED_PARAMETER(C);
  UNREFERENCED_PARAMETER(R);
  UNREFERENCED_PARAMETER(S);
}
static void Status(NDIS_HANDLE C, PNDIS_STATUS_INDICATION I) {
  UNREFERENCED_PARAMETER(C);
  UNREFERENCED_PARAMETER(I);
}
static void Unload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  NdisDeregisterProtocolDriver(Handle);
}
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_PROTOCOL_DRIVER_CHARACTERISTICS c;
  NDIS_STRING name = RTL_CONSTANT_STRING(L"MISUSE");
  PDEVICE_OBJECT device = (PDEVICE_OBJECT)(ULONG_PTR)1;
  NDIS_HANDLE deviceHandle = (NDIS_HANDLE)(ULONG_PTR)1;
  NDIS_STATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);
  NdisZeroMemory(&c, sizeof(c));
  c.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
  c.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
  c.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
  c.MajorNdisVersion = 6;
  c.MinorNdisVersion = 20;
  c.Name = name;
  c.BindAdapterHandlerEx = Bind;
  c.UnbindAdapterHandlerEx = Unbind;
  c.OpenAdapterCompleteHandlerEx = OpenComplete;
  c.CloseAdapterCompleteHandlerEx = CloseComplete;
  c.NetPnPEventHandler = PnP;
  c.ReceiveNetBufferListsHandler = Receive;
  c.SendNetBufferListsCompleteHandler = SendComplete;
  c.OidRequestCompleteHandler = OidComplete;
  c.StatusHandlerEx = Status;
  status = NdisRegisterProtocolDriver(NULL, &c, &Handle);
  if (status != NDIS_STATUS_SUCCESS) return status;
  DriverObject->DriverUnload = Unload;
  status = NdisRegisterDeviceEx(Handle, NULL, &device, &deviceHandle);
  /* Refused, and both outputs set to NULL. */
  if (status != NDIS_STATUS_INVALID_PARAMETER || device != NULL || deviceHandle != NULL)
    return (NTSTATUS)0xC0010077u;
  IoCompleteRequest((PIRP)(ULONG_PTR)0x1000, IO_NO_INCREMENT);
  return STATUS_SUCCESS;
}
`,
    );
    assert.equal(built.ok, true, built.diagnostics);
    const host = new NdisHost({ verifier: "record" });
    const loaded = await host.loadDriver({ name: "misuse", module: built.path });
    assert.equal(loaded.status >>> 0, NDIS_STATUS_SUCCESS);
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisRegisterDeviceEx_BadAttributes", "InvalidNdisHandle"],
    );
    await host.loadDriver({ name: "mp", module: scriptedMiniport().module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    assert.equal(host.adapter("eth0")?.state, "Running");
  });
});

describe("restart attributes for C filters and protocols", { skip }, () => {
  test("FilterRestart in C gets NDIS's list and its change reaches the protocol above", async () => {
    const path = await buildSample("cfilter-mtu", FILTER_PASSTHROUGH, [
      "-DFILTER_RESTART_MTU_SHRINK=4",
    ]);
    const host = new NdisHost({ verifier: "strict" });
    let seen: NDIS_RESTART_ATTRIBUTES | null = null;
    const proto = scriptedProtocol({
      pnp: (_b, event: NET_PNP_EVENT_NOTIFICATION) => {
        if (event.NetPnPEvent.NetEvent === NetEventRestart)
          seen = (event.NetPnPEvent.Buffer as { RestartAttributes: NDIS_RESTART_ATTRIBUTES })
            .RestartAttributes;
        return NDIS_STATUS_SUCCESS;
      },
    });
    await host.loadDriver({ name: "mp", module: scriptedMiniport().module });
    await host.loadDriver({ name: "cfilter", module: path });
    await host.loadDriver({ name: "p", module: proto.module });
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.settle();
    const list = seen as NDIS_RESTART_ATTRIBUTES | null;
    assert.ok(list !== null);
    assert.equal(list.Oid, OID_GEN_MINIPORT_RESTART_ATTRIBUTES);
    assert.equal(
      (list.Data as NDIS_RESTART_GENERAL_ATTRIBUTES).MtuSize,
      1496,
      "the C filter read the miniport's 1500 and took 4 off",
    );
    assert.deepEqual(host.violations, []);
    await host.removeAdapter("eth0");
  });

  test("a C protocol's NetEventRestart gets the list (MtuSize and OID list as the miniport gave them)", async () => {
    const built = await buildSource("cproto-restart", C_RESTART_PROTOCOL);
    assert.equal(built.ok, true, built.diagnostics);
    const host = new NdisHost({ verifier: "strict" });
    const mp = scriptedMiniport({
      general: { SupportedOidList: [OID_GEN_SUPPORTED_LIST, OID_GEN_STATISTICS] },
    });
    await host.loadDriver({ name: "mp", module: mp.module });
    const loaded = await host.loadDriver({ name: "cproto", module: built.path });
    assert.equal(loaded.status >>> 0, NDIS_STATUS_SUCCESS, JSON.stringify(host.violations));
    await host.addAdapter({ driver: "mp", name: "eth0" });
    await host.settle();
    const file = await host.openDevice("\\\\.\\CProtoRestart");
    const [restarts, oid, mtu, revision, oids] = readUlongs(
      await file.deviceIoControl(IOCTL_SET, null, 20),
    );
    assert.equal(restarts, 1);
    assert.equal(oid, OID_GEN_MINIPORT_RESTART_ATTRIBUTES);
    assert.equal(mtu, 1500);
    assert.equal(revision, 2);
    assert.equal(oids, 2, "the supported OID list came along");
    await file.close();
    assert.deepEqual(host.violations, []);
    await host.removeAdapter("eth0");
  });
});

/**
 * A C protocol that binds to every Ethernet adapter and keeps what its last NetEventRestart's
 * restart attributes said; its control device (a protocol's, as ndisprot has) returns it.
 */
const C_RESTART_PROTOCOL = String.raw`
#include <ndis.h>

static NDIS_HANDLE ProtocolHandle, DeviceHandle;
static PDEVICE_OBJECT Device;
static ULONG Seen[5]; /* restarts, Oid, MtuSize, Header.Revision, SupportedOidListLength / 4 */
static NDIS_HANDLE Binding;
static LONG BindingContext;
static NDIS_STRING Name = RTL_CONSTANT_STRING(L"CPROTO");
static NDIS_STRING DeviceName = RTL_CONSTANT_STRING(L"\\Device\\CProtoRestart");
static NDIS_STRING LinkName = RTL_CONSTANT_STRING(L"\\DosDevices\\CProtoRestart");
static PDRIVER_DISPATCH Majors[IRP_MJ_MAXIMUM_FUNCTION + 1];

static NDIS_STATUS Bind(NDIS_HANDLE Context, NDIS_HANDLE BindContext, PNDIS_BIND_PARAMETERS Params) {
  NDIS_OPEN_PARAMETERS open;
  NDIS_MEDIUM media[1] = {NdisMedium802_3};
  UINT index = 0;
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(Params);
  NdisZeroMemory(&open, sizeof(open));
  open.Header.Type = NDIS_OBJECT_TYPE_OPEN_PARAMETERS;
  open.Header.Revision = NDIS_OPEN_PARAMETERS_REVISION_1;
  open.Header.Size = NDIS_SIZEOF_OPEN_PARAMETERS_REVISION_1;
  open.AdapterName = Params->AdapterName;
  open.MediumArray = media;
  open.MediumArraySize = 1;
  open.SelectedMediumIndex = &index;
  return NdisOpenAdapterEx(ProtocolHandle, &BindingContext, &open, BindContext, &Binding);
}

static void OpenComplete(NDIS_HANDLE Context, NDIS_STATUS Status) {
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(Status);
}

static NDIS_STATUS Unbind(NDIS_HANDLE UnbindContext, NDIS_HANDLE Context) {
  UNREFERENCED_PARAMETER(UnbindContext);
  UNREFERENCED_PARAMETER(Context);
  return NdisCloseAdapterEx(Binding);
}

static void CloseComplete(NDIS_HANDLE Context) {
  UNREFERENCED_PARAMETER(Context);
}

static NDIS_STATUS PnPEvent(NDIS_HANDLE Context, PNET_PNP_EVENT_NOTIFICATION Event) {
  UNREFERENCED_PARAMETER(Context);
  if (Event->NetPnPEvent.NetEvent == NetEventRestart && Event->NetPnPEvent.Buffer != NULL) {
    PNDIS_PROTOCOL_RESTART_PARAMETERS restart = (PNDIS_PROTOCOL_RESTART_PARAMETERS)Event->NetPnPEvent.Buffer;
    PNDIS_RESTART_ATTRIBUTES attributes = restart->RestartAttributes;
    Seen[0]++;
    if (attributes != NULL) {
      PNDIS_RESTART_GENERAL_ATTRIBUTES general = (PNDIS_RESTART_GENERAL_ATTRIBUTES)attributes->Data;
      Seen[1] = attributes->Oid;
      Seen[2] = general->MtuSize;
      Seen[3] = general->Header.Revision;
      Seen[4] = general->SupportedOidListLength / sizeof(NDIS_OID);
    }
  }
  return NDIS_STATUS_SUCCESS;
}

static void Receive(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbls, NDIS_PORT_NUMBER Port, ULONG Count, ULONG Flags) {
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(Port);
  UNREFERENCED_PARAMETER(Count);
  if (!NDIS_TEST_RECEIVE_CANNOT_PEND(Flags))
    NdisReturnNetBufferLists(Binding, Nbls, NDIS_TEST_RECEIVE_AT_DISPATCH_LEVEL(Flags) ? NDIS_RETURN_FLAGS_DISPATCH_LEVEL : 0);
}

static void SendComplete(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbls, ULONG Flags) {
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(Nbls);
  UNREFERENCED_PARAMETER(Flags);
}

static void OidComplete(NDIS_HANDLE Context, PNDIS_OID_REQUEST Request, NDIS_STATUS Status) {
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(Request);
  UNREFERENCED_PARAMETER(Status);
}

static void Status(NDIS_HANDLE Context, PNDIS_STATUS_INDICATION Indication) {
  UNREFERENCED_PARAMETER(Context);
  UNREFERENCED_PARAMETER(Indication);
}

static NTSTATUS Dispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp) {
  PIO_STACK_LOCATION sp = IoGetCurrentIrpStackLocation(Irp);
  UNREFERENCED_PARAMETER(DeviceObject);
  Irp->IoStatus.Status = STATUS_SUCCESS;
  Irp->IoStatus.Information = 0;
  if (sp->MajorFunction == IRP_MJ_DEVICE_CONTROL) {
    if (sp->Parameters.DeviceIoControl.OutputBufferLength >= sizeof(Seen)) {
      NdisMoveMemory(Irp->AssociatedIrp.SystemBuffer, Seen, sizeof(Seen));
      Irp->IoStatus.Information = sizeof(Seen);
    } else {
      Irp->IoStatus.Status = STATUS_BUFFER_TOO_SMALL;
    }
  }
  {
    NTSTATUS status = Irp->IoStatus.Status;
    IoCompleteRequest(Irp, IO_NO_INCREMENT);
    return status;
  }
}

static void Unload(PDRIVER_OBJECT DriverObject) {
  UNREFERENCED_PARAMETER(DriverObject);
  NdisDeregisterDeviceEx(DeviceHandle);
  NdisDeregisterProtocolDriver(ProtocolHandle);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath) {
  NDIS_PROTOCOL_DRIVER_CHARACTERISTICS c;
  NDIS_DEVICE_OBJECT_ATTRIBUTES d;
  NDIS_STATUS status;
  UNREFERENCED_PARAMETER(RegistryPath);
  NdisZeroMemory(&c, sizeof(c));
  c.Header.Type = NDIS_OBJECT_TYPE_PROTOCOL_DRIVER_CHARACTERISTICS;
  c.Header.Revision = NDIS_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
  c.Header.Size = NDIS_SIZEOF_PROTOCOL_DRIVER_CHARACTERISTICS_REVISION_2;
  c.MajorNdisVersion = 6;
  c.MinorNdisVersion = 20;
  c.Name = Name;
  c.BindAdapterHandlerEx = Bind;
  c.UnbindAdapterHandlerEx = Unbind;
  c.OpenAdapterCompleteHandlerEx = OpenComplete;
  c.CloseAdapterCompleteHandlerEx = CloseComplete;
  c.NetPnPEventHandler = PnPEvent;
  c.ReceiveNetBufferListsHandler = Receive;
  c.SendNetBufferListsCompleteHandler = SendComplete;
  c.OidRequestCompleteHandler = OidComplete;
  c.StatusHandlerEx = Status;
  status = NdisRegisterProtocolDriver(NULL, &c, &ProtocolHandle);
  if (status != NDIS_STATUS_SUCCESS) return status;
  DriverObject->DriverUnload = Unload;
  Majors[IRP_MJ_CREATE] = Dispatch;
  Majors[IRP_MJ_CLEANUP] = Dispatch;
  Majors[IRP_MJ_CLOSE] = Dispatch;
  Majors[IRP_MJ_DEVICE_CONTROL] = Dispatch;
  NdisZeroMemory(&d, sizeof(d));
  d.Header.Type = NDIS_OBJECT_TYPE_DEVICE_OBJECT_ATTRIBUTES;
  d.Header.Revision = NDIS_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
  d.Header.Size = NDIS_SIZEOF_DEVICE_OBJECT_ATTRIBUTES_REVISION_1;
  d.DeviceName = &DeviceName;
  d.SymbolicName = &LinkName;
  d.MajorFunctions = Majors;
  return NdisRegisterDeviceEx(ProtocolHandle, &d, &Device, &DeviceHandle);
}
`;
