/**
 * NDIS_NET_BUFFER_LIST_8021Q_INFO (ndis/nbl8021q.h): the 802.1Q information of an NBL, kept as
 * the PVOID in `NetBufferListInfo[Ieee8021QNetBufferListInfo]`. In C it is a union of the
 * pointer-sized `Value` and two UINT32 bit-field views: `TagHeader` (UserPriority 3 bits,
 * CanonicalFormatId 1, VlanId 12, Reserved 16) for 802.3, `WLanTagHeader` (the same, then
 * WMMInfo 4, Reserved 12) for native 802.11. Bit fields are allocated from the low bit up, as
 * the C compilers NDIS drivers are built with do.
 *
 * The TypeScript object is the union: read `Value` from the slot, use the bit fields, write
 * `Value` back — as a C driver does:
 *
 *     info.Value = nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo];
 *     if (info.TagHeader.VlanId !== 0) …
 *     nbl.NetBufferListInfo[Ieee8021QNetBufferListInfo] = info.Value;
 *
 * [MODEL] The slot holds the value as a number (0 for "no 802.1Q information", as a NULL PVOID);
 * anything else read into `Value` (undefined, null, an object) counts as 0. One instance can be
 * kept and reused on the data path: it allocates nothing.
 */

/** Bits of each field, lowest first. */
const USER_PRIORITY = { shift: 0, mask: 0x7 };
const CANONICAL_FORMAT_ID = { shift: 3, mask: 0x1 };
const VLAN_ID = { shift: 4, mask: 0xfff };
const WMM_INFO = { shift: 16, mask: 0xf };

interface Field {
  readonly shift: number;
  readonly mask: number;
}

/** The TagHeader view: the 802.3 bit fields. */
export interface NDIS_8021Q_TAG_HEADER {
  UserPriority: number;
  CanonicalFormatId: number;
  VlanId: number;
  /** The upper 16 bits; set to 0. */
  Reserved: number;
}

/** The WLanTagHeader view: the native 802.11 bit fields. */
export interface NDIS_8021Q_WLAN_TAG_HEADER {
  UserPriority: number;
  CanonicalFormatId: number;
  VlanId: number;
  /** The WMM traffic identifier (0–7 are user priorities). */
  WMMInfo: number;
  /** The upper 12 bits; set to 0. */
  Reserved: number;
}

function bitField(owner: NDIS_NET_BUFFER_LIST_8021Q_INFO, f: Field): PropertyDescriptor {
  return {
    enumerable: true,
    get: () => (owner.Value >>> f.shift) & f.mask,
    set: (v: number) => {
      owner.Value = ((owner.Value & ~(f.mask << f.shift)) | ((v & f.mask) << f.shift)) >>> 0;
    },
  };
}

export class NDIS_NET_BUFFER_LIST_8021Q_INFO {
  #value = 0;
  readonly TagHeader: NDIS_8021Q_TAG_HEADER;
  readonly WLanTagHeader: NDIS_8021Q_WLAN_TAG_HEADER;

  constructor(Value: unknown = 0) {
    this.Value = Value;
    this.TagHeader = Object.defineProperties({} as NDIS_8021Q_TAG_HEADER, {
      UserPriority: bitField(this, USER_PRIORITY),
      CanonicalFormatId: bitField(this, CANONICAL_FORMAT_ID),
      VlanId: bitField(this, VLAN_ID),
      Reserved: bitField(this, { shift: 16, mask: 0xffff }),
    });
    this.WLanTagHeader = Object.defineProperties({} as NDIS_8021Q_WLAN_TAG_HEADER, {
      UserPriority: bitField(this, USER_PRIORITY),
      CanonicalFormatId: bitField(this, CANONICAL_FORMAT_ID),
      VlanId: bitField(this, VLAN_ID),
      WMMInfo: bitField(this, WMM_INFO),
      Reserved: bitField(this, { shift: 20, mask: 0xfff }),
    });
  }

  /** The union as the pointer-sized value the NBL's info slot holds (the low 32 bits carry the fields). */
  get Value(): number {
    return this.#value;
  }

  set Value(v: unknown) {
    this.#value = typeof v === "number" && Number.isFinite(v) ? v >>> 0 : 0;
  }
}
