/**
 * A scriptable intermediate driver in the shape of Microsoft's MUX sample, 1:1: each lower
 * binding opens its adapter and asks for one virtual miniport `<adapter>-vm`; unbinding cancels
 * or de-initializes it, waits for its halt, then closes and completes the unbind.
 */
import {
  type DRIVER_OBJECT,
  type DriverModule,
  type NDIS_BIND_PARAMETERS,
  type NDIS_HANDLE,
  NDIS_INTERMEDIATE_DRIVER,
  type NDIS_MINIPORT_DRIVER_CHARACTERISTICS,
  NDIS_OBJECT_TYPE_OPEN_PARAMETERS,
  type NDIS_PROTOCOL_DRIVER_CHARACTERISTICS,
  type NDIS_STATUS,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_PENDING,
  NDIS_STATUS_SUCCESS,
  NdisCloseAdapterEx,
  NdisCompleteUnbindAdapterEx,
  NdisDeregisterProtocolDriver,
  NdisIMAssociateMiniport,
  NdisIMCancelInitializeDeviceInstance,
  NdisIMDeInitializeDeviceInstance,
  NdisIMInitializeDeviceInstanceEx,
  NdisMDeregisterMiniportDriver,
  NdisMedium802_3,
  NdisMRegisterMiniportDriver,
  NdisMSetMiniportAttributes,
  NdisOpenAdapterEx,
  NdisRegisterProtocolDriver,
  type NET_PNP_EVENT_NOTIFICATION,
  NetEventIMReEnableDevice,
  type Out,
} from "../../src/index.js";
import { miniportChars, protocolChars } from "./drivers.js";
import { generalAttributes, registrationAttributes } from "./miniport.js";

/** The lower binding (ADAPT in MUX). */
export interface Lower {
  readonly adapter: string;
  handle: NDIS_HANDLE | undefined;
  unbindContext: NDIS_HANDLE | undefined;
  vm: Virtual | null;
  readonly instance: string;
}

/** The virtual miniport (VELAN in MUX). */
export interface Virtual {
  readonly lower: Lower;
  readonly handle: NDIS_HANDLE;
}

export interface ImScript {
  name?: string;
  /** Associate the edges in DriverEntry (default true). */
  associate?: boolean;
  /** Called inside the bind after the open; the default asks for `<adapter>-vm`. */
  afterOpen?: (lower: Lower, driverHandle: NDIS_HANDLE) => void;
  /** Miniport-edge entry points laid over the defaults (MiniportOidRequest…). */
  miniport?: Partial<Record<keyof NDIS_MINIPORT_DRIVER_CHARACTERISTICS, unknown>>;
  /** Protocol-edge entry points laid over the defaults (ProtocolOidRequestComplete…). */
  protocol?: Partial<Record<keyof NDIS_PROTOCOL_DRIVER_CHARACTERISTICS, unknown>>;
  /** The virtual miniport's registration AttributeFlags (default NO_HALT_ON_SUSPEND, 0x20). */
  attributeFlags?: number;
}

export interface ScriptedIm {
  readonly module: DriverModule;
  readonly lowers: Lower[];
  readonly statuses: { call: string; status: number }[];
  driverHandle(): NDIS_HANDLE | undefined;
}

export function scriptedIm(script: ImScript = {}): ScriptedIm {
  const lowers: Lower[] = [];
  const statuses: { call: string; status: number }[] = [];
  let driverHandle: NDIS_HANDLE | undefined;
  let protocolHandle: NDIS_HANDLE | undefined;

  const ask = (lower: Lower): void => {
    statuses.push({
      call: `NdisIMInitializeDeviceInstanceEx(${lower.instance})`,
      status: NdisIMInitializeDeviceInstanceEx(driverHandle as NDIS_HANDLE, lower.instance, lower),
    });
  };

  const finishUnbind = (lower: Lower): void => {
    NdisCloseAdapterEx(lower.handle as NDIS_HANDLE);
    NdisCompleteUnbindAdapterEx(lower.unbindContext as NDIS_HANDLE);
  };

  const mChars = miniportChars({
    Flags: NDIS_INTERMEDIATE_DRIVER,
    InitializeHandlerEx: (
      handle: NDIS_HANDLE,
      _ctx: unknown,
      params: { IMDeviceInstanceContext: Lower },
    ) => {
      const lower = params.IMDeviceInstanceContext;
      const vm: Virtual = { lower, handle };
      lower.vm = vm;
      const status = NdisMSetMiniportAttributes(
        handle,
        registrationAttributes(vm, { AttributeFlags: script.attributeFlags ?? 0x20 }),
      );
      return status === NDIS_STATUS_SUCCESS
        ? NdisMSetMiniportAttributes(handle, generalAttributes())
        : status;
    },
    HaltHandlerEx: (vm: Virtual) => {
      const lower = vm.lower;
      lower.vm = null;
      // An unbind waiting for this halt can now close the lower binding and complete.
      if (lower.unbindContext !== undefined) finishUnbind(lower);
    },
    UnloadHandler: () => {
      if (protocolHandle !== undefined) NdisDeregisterProtocolDriver(protocolHandle);
      if (driverHandle !== undefined) NdisMDeregisterMiniportDriver(driverHandle);
    },
    ...script.miniport,
  });

  const pChars = protocolChars({
    Name: script.name ?? "im",
    BindAdapterHandlerEx: (
      _ctx: unknown,
      bindContext: NDIS_HANDLE,
      params: NDIS_BIND_PARAMETERS,
    ) => {
      const lower: Lower = {
        adapter: params.AdapterName,
        handle: undefined,
        unbindContext: undefined,
        vm: null,
        instance: `${params.AdapterName}-vm`,
      };
      const out: Out<NDIS_HANDLE> = {};
      const status = NdisOpenAdapterEx(
        protocolHandle as NDIS_HANDLE,
        lower,
        {
          Header: { Type: NDIS_OBJECT_TYPE_OPEN_PARAMETERS, Revision: 1, Size: 0 },
          AdapterName: params.AdapterName,
          MediumArray: [NdisMedium802_3],
          MediumArraySize: 1,
          SelectedMediumIndex: {},
        },
        bindContext,
        out,
      );
      if (status !== NDIS_STATUS_SUCCESS) return status;
      lower.handle = out.value;
      lowers.push(lower);
      if (script.afterOpen !== undefined) script.afterOpen(lower, driverHandle as NDIS_HANDLE);
      else ask(lower);
      return NDIS_STATUS_SUCCESS;
    },
    UnbindAdapterHandlerEx: (unbindContext: NDIS_HANDLE, lower: Lower): NDIS_STATUS => {
      lower.unbindContext = unbindContext;
      if (lower.vm === null) {
        const cancel = NdisIMCancelInitializeDeviceInstance(
          driverHandle as NDIS_HANDLE,
          lower.instance,
        );
        statuses.push({
          call: `NdisIMCancelInitializeDeviceInstance(${lower.instance})`,
          status: cancel,
        });
        if (cancel === NDIS_STATUS_SUCCESS || lower.vm === null) {
          NdisCloseAdapterEx(lower.handle as NDIS_HANDLE);
          return NDIS_STATUS_SUCCESS;
        }
      }
      const vm = lower.vm as Virtual;
      statuses.push({
        call: `NdisIMDeInitializeDeviceInstance(${lower.instance})`,
        status: NdisIMDeInitializeDeviceInstance(vm.handle),
      });
      return NDIS_STATUS_PENDING; // completed from the virtual miniport's MiniportHaltEx
    },
    NetPnPEventHandler: (lower: Lower | null, event: NET_PNP_EVENT_NOTIFICATION) => {
      if (event.NetPnPEvent.NetEvent === NetEventIMReEnableDevice) {
        const name = event.NetPnPEvent.Buffer as string;
        const target = lowers.find((l) => l.instance === name);
        if (target !== undefined) ask(target);
        return target === undefined ? NDIS_STATUS_FAILURE : NDIS_STATUS_SUCCESS;
      }
      void lower;
      return NDIS_STATUS_SUCCESS;
    },
    ...script.protocol,
  });

  const module: DriverModule = {
    DriverEntry: (DriverObject: DRIVER_OBJECT, RegistryPath: string) => {
      const m: Out<NDIS_HANDLE> = {};
      let status = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, undefined, mChars, m);
      if (status !== NDIS_STATUS_SUCCESS) return status;
      driverHandle = m.value;
      const p: Out<NDIS_HANDLE> = {};
      status = NdisRegisterProtocolDriver(undefined, pChars, p);
      if (status !== NDIS_STATUS_SUCCESS) {
        NdisMDeregisterMiniportDriver(driverHandle as NDIS_HANDLE);
        return status;
      }
      protocolHandle = p.value;
      if (script.associate !== false)
        NdisIMAssociateMiniport(driverHandle as NDIS_HANDLE, protocolHandle as NDIS_HANDLE);
      return NDIS_STATUS_SUCCESS;
    },
  };
  return { module, lowers, statuses, driverHandle: () => driverHandle };
}
