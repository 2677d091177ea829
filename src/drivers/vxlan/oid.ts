/**
 * VXLAN miniport, OID requests: the shared Ethernet miniport answers (src/drivers/shared/
 * ethernet-miniport.ts), answered at once (never PENDING) from the adapter's state, with this
 * miniport's description and its virtual wire's speed.
 */
import { ethernetOidRequest } from "../shared/ethernet-miniport.js";
import type { Adapter } from "./adapter.js";

export {
  MAX_MULTICAST_LIST,
  SUPPORTED_FILTERS,
  SUPPORTED_OIDS,
  SUPPORTED_STATISTICS,
} from "../shared/ethernet-miniport.js";

/** Link speed reported for the virtual wire: 10 Gbit/s. */
export const LINK_SPEED = 10_000_000_000n;

/** MiniportOidRequest (≤ DISPATCH_LEVEL). */
export const MPOidRequest = ethernetOidRequest<Adapter>({
  description: "ndis-ts VXLAN miniport (RFC 7348)",
  linkSpeed: () => LINK_SPEED,
});
