/** NdisIMAssociateMiniport and how deregistration dissolves an association (§2.3). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type DRIVER_OBJECT,
  type NDIS_HANDLE,
  NDIS_STATUS_FAILURE,
  NDIS_STATUS_SUCCESS,
  NdisDeregisterProtocolDriver,
  NdisHost,
  NdisIMAssociateMiniport,
  NdisMRegisterMiniportDriver,
  NdisRegisterProtocolDriver,
  type Out,
} from "../../src/index.js";
import { driverModule, miniportChars, protocolChars } from "../helpers/drivers.js";

interface Edges {
  miniport: NDIS_HANDLE;
  protocol: NDIS_HANDLE;
}

function registerBoth(
  DriverObject: DRIVER_OBJECT,
  RegistryPath: string,
  name: string,
  flags = 1,
): Edges {
  const m: Out<NDIS_HANDLE> = {};
  const p: Out<NDIS_HANDLE> = {};
  assert.equal(
    NdisMRegisterMiniportDriver(
      DriverObject,
      RegistryPath,
      undefined,
      miniportChars({ Flags: flags }),
      m,
    ),
    NDIS_STATUS_SUCCESS,
  );
  assert.equal(
    NdisRegisterProtocolDriver(undefined, protocolChars({ Name: name }), p),
    NDIS_STATUS_SUCCESS,
  );
  return { miniport: m.value as NDIS_HANDLE, protocol: p.value as NDIS_HANDLE };
}

async function loadWith(
  host: NdisHost,
  name: string,
  body: (edges: Edges) => void,
  flags = 1,
): Promise<void> {
  await host.loadDriver({
    name,
    module: driverModule((DriverObject, RegistryPath) => {
      body(registerBoth(DriverObject, RegistryPath, name, flags));
      return NDIS_STATUS_SUCCESS;
    }),
  });
}

describe("NdisIMAssociateMiniport", () => {
  test("joins the two edges of one driver", async () => {
    const host = new NdisHost();
    await loadWith(host, "im", (e) => NdisIMAssociateMiniport(e.miniport, e.protocol));
    const info = host.driver("im");
    assert.equal(info?.miniportDrivers[0]?.associatedProtocol, "im");
    assert.equal(info?.protocolDrivers[0]?.associatedWithMiniport, true);
    assert.deepEqual(host.violations, []);
  });

  test("calling it twice is a violation and changes nothing", async () => {
    const host = new NdisHost({ verifier: "record" });
    await loadWith(host, "twice", (e) => {
      NdisIMAssociateMiniport(e.miniport, e.protocol);
      NdisIMAssociateMiniport(e.miniport, e.protocol);
    });
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisIMAssociateMiniport_Twice"],
    );
    assert.equal(host.driver("twice")?.miniportDrivers[0]?.associatedProtocol, "twice");
  });

  test("edges of two different drivers → ForeignDriver", async () => {
    const host = new NdisHost({ verifier: "record" });
    let first: Edges | undefined;
    await loadWith(host, "one", (e) => {
      first = e;
    });
    await loadWith(host, "two", (e) =>
      NdisIMAssociateMiniport((first as Edges).miniport, e.protocol),
    );
    assert.deepEqual(
      host.violations.map((v) => v.rule),
      ["NdisIMAssociateMiniport_ForeignDriver"],
    );
    assert.equal(host.driver("one")?.miniportDrivers[0]?.associatedProtocol, null);
  });

  for (const [what, pick] of [
    [
      "a miniport edge registered without NDIS_INTERMEDIATE_DRIVER",
      (e: Edges) => [e.miniport, e.protocol],
    ],
    ["the handles swapped", (e: Edges) => [e.protocol, e.miniport]],
    ["a NULL protocol handle", (e: Edges) => [e.miniport, null]],
    ["a made-up handle", (e: Edges) => [{}, e.protocol]],
  ] as const) {
    test(`${what} → NdisIMAssociateMiniport_InvalidHandle`, async () => {
      const host = new NdisHost({ verifier: "record" });
      const flags = what.includes("without") ? 0 : 1;
      await loadWith(
        host,
        "bad",
        (e) => {
          const [m, p] = pick(e);
          NdisIMAssociateMiniport(m as NDIS_HANDLE, p as NDIS_HANDLE);
        },
        flags,
      );
      assert.deepEqual(
        host.violations.map((v) => v.rule),
        ["NdisIMAssociateMiniport_InvalidHandle"],
      );
    });
  }

  test("strict mode: a foreign association stops the offending driver; the host goes on", async () => {
    const host = new NdisHost({ verifier: "strict" });
    let first: Edges | undefined;
    let after = "";
    await loadWith(host, "one", (e) => {
      first = e;
    });
    const { status } = await host.loadDriver({
      name: "two",
      module: driverModule((DriverObject, RegistryPath) => {
        const e = registerBoth(DriverObject, RegistryPath, "two");
        NdisIMAssociateMiniport((first as Edges).miniport, e.protocol);
        after = "DriverEntry went on after the violation";
        return NDIS_STATUS_SUCCESS;
      }),
    });
    assert.equal(status, NDIS_STATUS_FAILURE, "the call into the stopped driver fails");
    assert.equal(after, "", "the driver's code was unwound at the violation");
    assert.deepEqual(
      host.stoppedDrivers.map((v) => v.rule),
      ["NdisIMAssociateMiniport_ForeignDriver"],
    );
    assert.equal(host.driver("two"), undefined);
    assert.notEqual(host.driver("one"), undefined);
    assert.equal(
      (await host.loadDriver({ name: "three", module: driverModule(() => 0) })).status,
      0,
    );
  });

  test("deregistering an edge dissolves the association", async () => {
    const host = new NdisHost();
    await loadWith(host, "dissolve", (e) => {
      NdisIMAssociateMiniport(e.miniport, e.protocol);
      NdisDeregisterProtocolDriver(e.protocol);
    });
    assert.equal(host.driver("dissolve")?.miniportDrivers[0]?.associatedProtocol, null);
  });
});
