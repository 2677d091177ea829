/**
 * The C layout of every structure the bridge reads or writes in a driver's linear memory. The
 * offsets are not written down here: `ndis build` compiles a table of `sizeof` / `offsetof` /
 * field sizes from this list into every module (`__ndis_layout`), so the bridge always uses the
 * layout the driver was compiled with, and checks each field's width against the type listed
 * here when it loads the module.
 */

/** How the bridge reads a field: an integer of 1–8 bytes, a 32-bit pointer, or nested bytes. */
export type FieldType = "u8" | "u16" | "u32" | "i32" | "u64" | "ptr" | "bytes" | "flex";

/** Every structure the bridge touches, its fields in declaration order (dots reach into unions). */
export const LAYOUT_SPEC = {
  NDIS_OBJECT_HEADER: { Type: "u8", Revision: "u8", Size: "u16" },
  UNICODE_STRING: { Length: "u16", MaximumLength: "u16", Buffer: "ptr" },
  DRIVER_OBJECT: {
    DeviceObject: "ptr",
    DriverName: "bytes",
    DriverUnload: "ptr",
    MajorFunction: "bytes",
  },
  MDL: {
    Next: "ptr",
    Size: "u16",
    MdlFlags: "u16",
    MappedSystemVa: "ptr",
    StartVa: "ptr",
    ByteCount: "u32",
    ByteOffset: "u32",
  },
  NET_BUFFER: {
    Next: "ptr",
    CurrentMdl: "ptr",
    CurrentMdlOffset: "u32",
    DataLength: "u32",
    MdlChain: "ptr",
    DataOffset: "u32",
    ChecksumBias: "u16",
    NdisPoolHandle: "ptr",
    ProtocolReserved: "bytes",
    MiniportReserved: "bytes",
  },
  NET_BUFFER_LIST_CONTEXT: { Next: "ptr", Size: "u16", Offset: "u16", ContextData: "flex" },
  NET_BUFFER_LIST: {
    Next: "ptr",
    FirstNetBuffer: "ptr",
    Context: "ptr",
    ParentNetBufferList: "ptr",
    NdisPoolHandle: "ptr",
    ProtocolReserved: "bytes",
    MiniportReserved: "bytes",
    Scratch: "ptr",
    SourceHandle: "ptr",
    NblFlags: "u32",
    ChildRefCount: "i32",
    Flags: "u32",
    Status: "i32",
    NetBufferListInfo: "bytes",
  },
  NET_BUFFER_LIST_POOL_PARAMETERS: {
    Header: "bytes",
    ProtocolId: "u8",
    fAllocateNetBuffer: "u8",
    ContextSize: "u16",
    PoolTag: "u32",
    DataSize: "u32",
    Flags: "u32",
  },
  NET_BUFFER_POOL_PARAMETERS: { Header: "bytes", PoolTag: "u32", DataSize: "u32" },
  NDIS_MINIPORT_DRIVER_CHARACTERISTICS: {
    Header: "bytes",
    MajorNdisVersion: "u8",
    MinorNdisVersion: "u8",
    MajorDriverVersion: "u8",
    MinorDriverVersion: "u8",
    Flags: "u32",
    SetOptionsHandler: "ptr",
    InitializeHandlerEx: "ptr",
    HaltHandlerEx: "ptr",
    UnloadHandler: "ptr",
    PauseHandler: "ptr",
    RestartHandler: "ptr",
    OidRequestHandler: "ptr",
    SendNetBufferListsHandler: "ptr",
    ReturnNetBufferListsHandler: "ptr",
    CancelSendHandler: "ptr",
    CheckForHangHandlerEx: "ptr",
    ResetHandlerEx: "ptr",
    DevicePnPEventNotifyHandler: "ptr",
    ShutdownHandlerEx: "ptr",
    CancelOidRequestHandler: "ptr",
    DirectOidRequestHandler: "ptr",
    CancelDirectOidRequestHandler: "ptr",
    SynchronousOidRequestHandler: "ptr",
  },
  NDIS_PROTOCOL_DRIVER_CHARACTERISTICS: {
    Header: "bytes",
    MajorNdisVersion: "u8",
    MinorNdisVersion: "u8",
    MajorDriverVersion: "u8",
    MinorDriverVersion: "u8",
    Flags: "u32",
    Name: "bytes",
    SetOptionsHandler: "ptr",
    BindAdapterHandlerEx: "ptr",
    UnbindAdapterHandlerEx: "ptr",
    OpenAdapterCompleteHandlerEx: "ptr",
    CloseAdapterCompleteHandlerEx: "ptr",
    NetPnPEventHandler: "ptr",
    UninstallHandler: "ptr",
    OidRequestCompleteHandler: "ptr",
    StatusHandlerEx: "ptr",
    ReceiveNetBufferListsHandler: "ptr",
    SendNetBufferListsCompleteHandler: "ptr",
    DirectOidRequestCompleteHandler: "ptr",
  },
  NDIS_MINIPORT_INIT_PARAMETERS: {
    Header: "bytes",
    Flags: "u32",
    AllocatedResources: "ptr",
    IMDeviceInstanceContext: "ptr",
    MiniportAddDeviceContext: "ptr",
    IfIndex: "u32",
    NetLuid: "u64",
  },
  NDIS_MINIPORT_PAUSE_PARAMETERS: { Header: "bytes", Flags: "u32", PauseReason: "u32" },
  NDIS_FILTER_DRIVER_CHARACTERISTICS: {
    Header: "bytes",
    MajorNdisVersion: "u8",
    MinorNdisVersion: "u8",
    MajorDriverVersion: "u8",
    MinorDriverVersion: "u8",
    Flags: "u32",
    FriendlyName: "bytes",
    UniqueName: "bytes",
    ServiceName: "bytes",
    SetOptionsHandler: "ptr",
    SetFilterModuleOptionsHandler: "ptr",
    AttachHandler: "ptr",
    DetachHandler: "ptr",
    RestartHandler: "ptr",
    PauseHandler: "ptr",
    SendNetBufferListsHandler: "ptr",
    SendNetBufferListsCompleteHandler: "ptr",
    CancelSendNetBufferListsHandler: "ptr",
    ReceiveNetBufferListsHandler: "ptr",
    ReturnNetBufferListsHandler: "ptr",
    OidRequestHandler: "ptr",
    OidRequestCompleteHandler: "ptr",
    CancelOidRequestHandler: "ptr",
    DevicePnPEventNotifyHandler: "ptr",
    NetPnPEventHandler: "ptr",
    StatusHandler: "ptr",
    DirectOidRequestHandler: "ptr",
    DirectOidRequestCompleteHandler: "ptr",
    CancelDirectOidRequestHandler: "ptr",
    SynchronousOidRequestHandler: "ptr",
    SynchronousOidRequestCompleteHandler: "ptr",
  },
  NDIS_FILTER_ATTACH_PARAMETERS: {
    Header: "bytes",
    IfIndex: "u32",
    NetLuid: "u64",
    FilterModuleGuidName: "ptr",
    BaseMiniportIfIndex: "u32",
    BaseMiniportInstanceName: "ptr",
    BaseMiniportName: "ptr",
    MediaConnectState: "u32",
    MediaDuplexState: "u32",
    XmitLinkSpeed: "u64",
    RcvLinkSpeed: "u64",
    MiniportMediaType: "u32",
    MiniportPhysicalMediaType: "u32",
    MacAddressLength: "u16",
    CurrentMacAddress: "bytes",
    LowerIfIndex: "u32",
    LowerIfNetLuid: "u64",
    Flags: "u32",
  },
  NDIS_FILTER_PAUSE_PARAMETERS: { Header: "bytes", Flags: "u32", PauseReason: "u32" },
  NDIS_FILTER_RESTART_PARAMETERS: {
    Header: "bytes",
    MiniportMediaType: "u32",
    MiniportPhysicalMediaType: "u32",
    RestartAttributes: "ptr",
    LowerIfIndex: "u32",
    LowerIfNetLuid: "u64",
    Flags: "u32",
  },
  NDIS_FILTER_ATTRIBUTES: { Header: "bytes", Flags: "u32" },
  NDIS_MINIPORT_RESTART_PARAMETERS: { Header: "bytes", RestartAttributes: "ptr", Flags: "u32" },
  NDIS_RESTART_ATTRIBUTES: { Next: "ptr", Oid: "u32", DataLength: "u32", Data: "flex" },
  NDIS_RESTART_GENERAL_ATTRIBUTES: {
    Header: "bytes",
    MtuSize: "u32",
    MaxXmitLinkSpeed: "u64",
    MaxRcvLinkSpeed: "u64",
    LookaheadSize: "u32",
    MacOptions: "u32",
    SupportedPacketFilters: "u32",
    MaxMulticastListSize: "u32",
    RecvScaleCapabilities: "ptr",
    AccessType: "u32",
    Flags: "u32",
    ConnectionType: "u32",
    SupportedStatistics: "u32",
    DataBackFillSize: "u32",
    ContextBackFillSize: "u32",
    SupportedOidList: "ptr",
    SupportedOidListLength: "u32",
    MaxLookaheadSizeAccessed: "u32",
  },
  NDIS_RECEIVE_SCALE_CAPABILITIES: {
    Header: "bytes",
    CapabilitiesFlags: "u32",
    NumberOfInterruptMessages: "u32",
    NumberOfReceiveQueues: "u32",
  },
  NET_DEVICE_PNP_EVENT: {
    Header: "bytes",
    PortNumber: "u32",
    DevicePnPEvent: "u32",
    InformationBuffer: "ptr",
    InformationBufferLength: "u32",
  },
  NDIS_MINIPORT_ADAPTER_REGISTRATION_ATTRIBUTES: {
    Header: "bytes",
    MiniportAdapterContext: "ptr",
    AttributeFlags: "u32",
    CheckForHangTimeInSeconds: "u32",
    InterfaceType: "u32",
  },
  NDIS_MINIPORT_ADAPTER_GENERAL_ATTRIBUTES: {
    Header: "bytes",
    Flags: "u32",
    MediaType: "u32",
    PhysicalMediumType: "u32",
    MtuSize: "u32",
    MaxXmitLinkSpeed: "u64",
    XmitLinkSpeed: "u64",
    MaxRcvLinkSpeed: "u64",
    RcvLinkSpeed: "u64",
    MediaConnectState: "u32",
    MediaDuplexState: "u32",
    LookaheadSize: "u32",
    PowerManagementCapabilities: "ptr",
    MacOptions: "u32",
    SupportedPacketFilters: "u32",
    MaxMulticastListSize: "u32",
    MacAddressLength: "u16",
    PermanentMacAddress: "bytes",
    CurrentMacAddress: "bytes",
    RecvScaleCapabilities: "ptr",
    AccessType: "u32",
    DirectionType: "u32",
    ConnectionType: "u32",
    IfType: "u16",
    IfConnectorPresent: "u8",
    SupportedStatistics: "u32",
    SupportedPauseFunctions: "u32",
    DataBackFillSize: "u32",
    ContextBackFillSize: "u32",
    SupportedOidList: "ptr",
    SupportedOidListLength: "u32",
    AutoNegotiationFlags: "u32",
    PowerManagementCapabilitiesEx: "ptr",
  },
  NDIS_OID_REQUEST: {
    Header: "bytes",
    RequestType: "u32",
    PortNumber: "u32",
    Timeout: "u32",
    RequestId: "ptr",
    RequestHandle: "ptr",
    "DATA.QUERY_INFORMATION.Oid": "u32",
    "DATA.QUERY_INFORMATION.InformationBuffer": "ptr",
    "DATA.QUERY_INFORMATION.InformationBufferLength": "u32",
    "DATA.QUERY_INFORMATION.BytesWritten": "u32",
    "DATA.QUERY_INFORMATION.BytesNeeded": "u32",
    "DATA.SET_INFORMATION.BytesRead": "u32",
    "DATA.METHOD_INFORMATION.InputBufferLength": "u32",
    "DATA.METHOD_INFORMATION.OutputBufferLength": "u32",
    "DATA.METHOD_INFORMATION.MethodId": "u32",
    "DATA.METHOD_INFORMATION.BytesWritten": "u32",
    "DATA.METHOD_INFORMATION.BytesRead": "u32",
    "DATA.METHOD_INFORMATION.BytesNeeded": "u32",
    MiniportReserved: "bytes",
    SourceReserved: "bytes",
    SupportedRevision: "u8",
  },
  NDIS_STATUS_INDICATION: {
    Header: "bytes",
    SourceHandle: "ptr",
    PortNumber: "u32",
    StatusCode: "i32",
    Flags: "u32",
    DestinationHandle: "ptr",
    RequestId: "ptr",
    StatusBuffer: "ptr",
    StatusBufferSize: "u32",
  },
  NDIS_LINK_STATE: {
    Header: "bytes",
    MediaConnectState: "u32",
    MediaDuplexState: "u32",
    XmitLinkSpeed: "u64",
    RcvLinkSpeed: "u64",
    PauseFunctions: "u32",
    AutoNegotiationFlags: "u32",
  },
  NDIS_OPEN_PARAMETERS: {
    Header: "bytes",
    AdapterName: "ptr",
    MediumArray: "ptr",
    MediumArraySize: "u32",
    SelectedMediumIndex: "ptr",
    FrameTypeArray: "ptr",
    FrameTypeArraySize: "u32",
  },
  NDIS_BIND_PARAMETERS: {
    Header: "bytes",
    ProtocolSection: "ptr",
    AdapterName: "ptr",
    PhysicalDeviceObject: "ptr",
    MediaType: "u32",
    MtuSize: "u32",
    MaxXmitLinkSpeed: "u64",
    XmitLinkSpeed: "u64",
    MaxRcvLinkSpeed: "u64",
    RcvLinkSpeed: "u64",
    MediaConnectState: "u32",
    MediaDuplexState: "u32",
    LookaheadSize: "u32",
    PowerManagementCapabilities: "ptr",
    SupportedPacketFilters: "u32",
    MaxMulticastListSize: "u32",
    MacAddressLength: "u16",
    CurrentMacAddress: "bytes",
    PhysicalMediumType: "u32",
    RcvScaleCapabilities: "ptr",
    BoundIfNetluid: "u64",
    BoundIfIndex: "u32",
    LowestIfNetluid: "u64",
    LowestIfIndex: "u32",
    AccessType: "u32",
    DirectionType: "u32",
    ConnectionType: "u32",
    IfType: "u16",
    IfConnectorPresent: "u8",
    ActivePorts: "ptr",
    DataBackFillSize: "u32",
    ContextBackFillSize: "u32",
    MacOptions: "u32",
    BoundAdapterName: "ptr",
  },
  NET_PNP_EVENT_NOTIFICATION: {
    Header: "bytes",
    PortNumber: "u32",
    "NetPnPEvent.NetEvent": "u32",
    "NetPnPEvent.Buffer": "ptr",
    "NetPnPEvent.BufferLength": "u32",
  },
  NDIS_PROTOCOL_PAUSE_PARAMETERS: { Header: "bytes", Flags: "u32", PauseReason: "u32" },
  NDIS_PROTOCOL_RESTART_PARAMETERS: {
    Header: "bytes",
    RestartAttributes: "ptr",
    BoundIfIndex: "u32",
    BoundIfNetluid: "u64",
    Flags: "u32",
  },
  NDIS_DEVICE_OBJECT_ATTRIBUTES: {
    Header: "bytes",
    DeviceName: "ptr",
    SymbolicName: "ptr",
    MajorFunctions: "ptr",
    ExtensionSize: "u32",
    DefaultSDDLString: "ptr",
    DeviceClassGuid: "ptr",
  },
  DEVICE_OBJECT: {
    Type: "u16",
    Size: "u16",
    DriverObject: "ptr",
    NextDevice: "ptr",
    Flags: "u32",
    Characteristics: "u32",
    DeviceExtension: "ptr",
    DeviceType: "u32",
  },
  FILE_OBJECT: {
    Type: "u16",
    Size: "u16",
    DeviceObject: "ptr",
    FsContext: "ptr",
    FsContext2: "ptr",
    FileName: "bytes",
  },
  IO_STACK_LOCATION: {
    MajorFunction: "u8",
    MinorFunction: "u8",
    "Parameters.Read.Length": "u32",
    "Parameters.Read.ByteOffset": "u64",
    "Parameters.Write.Length": "u32",
    "Parameters.Write.ByteOffset": "u64",
    "Parameters.DeviceIoControl.OutputBufferLength": "u32",
    "Parameters.DeviceIoControl.InputBufferLength": "u32",
    "Parameters.DeviceIoControl.IoControlCode": "u32",
    "Parameters.DeviceIoControl.Type3InputBuffer": "ptr",
    DeviceObject: "ptr",
    FileObject: "ptr",
  },
  IRP: {
    Type: "u16",
    Size: "u16",
    MdlAddress: "ptr",
    "AssociatedIrp.SystemBuffer": "ptr",
    "IoStatus.Status": "i32",
    "IoStatus.Information": "u32",
    PendingReturned: "u8",
    StackCount: "u8",
    CurrentLocation: "u8",
    Cancel: "u8",
    UserBuffer: "ptr",
    "Tail.Overlay.CurrentStackLocation": "ptr",
    "Tail.Overlay.OriginalFileObject": "ptr",
  },
  NDIS_CONFIGURATION_OBJECT: { Header: "bytes", NdisHandle: "ptr", Flags: "u32" },
  NDIS_FILTER_PARTIAL_CHARACTERISTICS: {
    Header: "bytes",
    Flags: "u32",
    SendNetBufferListsHandler: "ptr",
    SendNetBufferListsCompleteHandler: "ptr",
    CancelSendNetBufferListsHandler: "ptr",
    ReceiveNetBufferListsHandler: "ptr",
    ReturnNetBufferListsHandler: "ptr",
  },
  OBJECT_ATTRIBUTES: { Length: "u32", RootDirectory: "ptr", ObjectName: "ptr", Attributes: "u32" },
  NDIS_CONFIGURATION_PARAMETER: {
    ParameterType: "u32",
    "ParameterData.IntegerData": "u32",
    "ParameterData.StringData.Length": "u16",
    "ParameterData.StringData.MaximumLength": "u16",
    "ParameterData.StringData.Buffer": "ptr",
    "ParameterData.BinaryData.Length": "u16",
    "ParameterData.BinaryData.Buffer": "ptr",
  },
  NDIS_TIMER_CHARACTERISTICS: {
    Header: "bytes",
    AllocationTag: "u32",
    TimerFunction: "ptr",
    FunctionContext: "ptr",
  },
} as const satisfies Record<string, Record<string, FieldType>>;

export type StructName = keyof typeof LAYOUT_SPEC;

export interface FieldLayout {
  readonly offset: number;
  readonly size: number;
}

/** One structure as the module laid it out. */
export interface StructLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, FieldLayout>>;
}

export type ModuleLayout = Readonly<Record<StructName, StructLayout>>;

const WIDTH: Record<FieldType, number | null> = {
  u8: 1,
  u16: 2,
  u32: 4,
  i32: 4,
  u64: 8,
  ptr: 4,
  bytes: null,
  flex: null,
};

/** The C source of the `__ndis_layout` table `ndis build` links into every module. */
export function layoutTableSource(): string {
  const entries: string[] = [];
  for (const [struct, fields] of Object.entries(LAYOUT_SPEC)) {
    entries.push(`  sizeof(${struct}),`);
    for (const [field, type] of Object.entries(fields)) {
      const size = type === "flex" ? "0" : `sizeof(((${struct} *)0)->${field})`;
      entries.push(`  __builtin_offsetof(${struct}, ${field}), ${size},`);
    }
  }
  return [
    "/* Generated by ndis build: the layout of the structures the bridge reads and writes. */",
    "#include <ndis.h>",
    "static const unsigned int ndis_layout_table[] = {",
    ...entries,
    "};",
    '__attribute__((export_name("__ndis_layout"))) const unsigned int *__ndis_layout(void) {',
    "  return ndis_layout_table;",
    "}",
    "",
  ].join("\n");
}

/**
 * Reads a module's layout table at `address` and checks every field's width against the spec;
 * throws naming the field when the module was built with headers that disagree.
 */
export function readLayout(memory: DataView, address: number): ModuleLayout {
  let at = address;
  const next = (): number => {
    const value = memory.getUint32(at, true);
    at += 4;
    return value;
  };
  const result: Record<string, StructLayout> = {};
  for (const [struct, spec] of Object.entries(LAYOUT_SPEC)) {
    const size = next();
    const fields: Record<string, FieldLayout> = {};
    for (const [field, type] of Object.entries(spec)) {
      const offset = next();
      const fieldSize = next();
      const width = WIDTH[type as FieldType];
      if (width !== null && width !== fieldSize) {
        throw new Error(
          `${struct}.${field} is ${fieldSize} bytes in the module, ${width} in ndis-ts: the module was built with other headers`,
        );
      }
      fields[field] = { offset, size: fieldSize };
    }
    result[struct] = { size, fields };
  }
  return result as ModuleLayout;
}
