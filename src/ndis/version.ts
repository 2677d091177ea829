/**
 * NDIS 6 version numbers.
 *
 * Minor versions are spelled as NDIS spells them: 6.20 is minor 20, not 2. `NdisGetVersion()` and
 * the NDIS_RUNTIME_VERSION_* constants pack a version as `(major << 16) | minor`. Each version
 * defines which revision of the characteristics structures its drivers must pass (the
 * "Implementing an NDIS 6.x driver" pages): miniport Rev 1 for 6.0, Rev 2 for 6.1–6.70, Rev 3 for
 * 6.80 and later; protocol Rev 1 for 6.0 and Rev 2 from 6.1 on.
 */

export const NDIS_RUNTIME_VERSION_60 = (6 << 16) | 0;
export const NDIS_RUNTIME_VERSION_61 = (6 << 16) | 1;
export const NDIS_RUNTIME_VERSION_620 = (6 << 16) | 20;
export const NDIS_RUNTIME_VERSION_630 = (6 << 16) | 30;
export const NDIS_RUNTIME_VERSION_640 = (6 << 16) | 40;
export const NDIS_RUNTIME_VERSION_650 = (6 << 16) | 50;
export const NDIS_RUNTIME_VERSION_651 = (6 << 16) | 51;
export const NDIS_RUNTIME_VERSION_660 = (6 << 16) | 60;
export const NDIS_RUNTIME_VERSION_670 = (6 << 16) | 70;
export const NDIS_RUNTIME_VERSION_680 = (6 << 16) | 80;
export const NDIS_RUNTIME_VERSION_681 = (6 << 16) | 81;
export const NDIS_RUNTIME_VERSION_682 = (6 << 16) | 82;
export const NDIS_RUNTIME_VERSION_683 = (6 << 16) | 83;
export const NDIS_RUNTIME_VERSION_684 = (6 << 16) | 84;
export const NDIS_RUNTIME_VERSION_685 = (6 << 16) | 85;
export const NDIS_RUNTIME_VERSION_686 = (6 << 16) | 86;
export const NDIS_RUNTIME_VERSION_687 = (6 << 16) | 87;
export const NDIS_RUNTIME_VERSION_688 = (6 << 16) | 88;
export const NDIS_RUNTIME_VERSION_689 = (6 << 16) | 89;

/** One NDIS 6 release: its numbers, the OS that shipped it, and the structure revisions it defines. */
export interface NdisVersionInfo {
  readonly major: 6;
  readonly minor: number;
  /** `(major << 16) | minor`, as NdisGetVersion returns it. */
  readonly runtimeVersion: number;
  /** "6.20" */
  readonly label: string;
  readonly os: string;
  /** NDIS_MINIPORT_DRIVER_CHARACTERISTICS revision a driver of this version must pass. */
  readonly miniportCharacteristicsRevision: 1 | 2 | 3;
  /** NDIS_PROTOCOL_DRIVER_CHARACTERISTICS revision a driver of this version must pass. */
  readonly protocolCharacteristicsRevision: 1 | 2;
}

function v(minor: number, os: string): NdisVersionInfo {
  return Object.freeze({
    major: 6,
    minor,
    runtimeVersion: (6 << 16) | minor,
    label: `6.${minor}`,
    os,
    miniportCharacteristicsRevision: minor === 0 ? 1 : minor < 80 ? 2 : 3,
    protocolCharacteristicsRevision: minor === 0 ? 1 : 2,
  });
}

/** Every NDIS 6 version, oldest first. */
export const NDIS_VERSIONS: readonly NdisVersionInfo[] = Object.freeze([
  v(0, "Windows Vista"),
  v(1, "Windows Vista SP1 / Server 2008"),
  v(20, "Windows 7 / Server 2008 R2"),
  v(30, "Windows 8 / Server 2012"),
  v(40, "Windows 8.1 / Server 2012 R2"),
  v(50, "Windows 10 1507"),
  v(51, "Windows 10 1511"),
  v(60, "Windows 10 1607 / Server 2016"),
  v(70, "Windows 10 1703"),
  v(80, "Windows 10 1709"),
  v(81, "Windows 10 1803"),
  v(82, "Windows 10 1809 / Server 2019"),
  v(83, "Windows 10 1903"),
  v(84, "Windows 10 2004"),
  v(85, "Windows 10 21H2 / Server 2022"),
  v(86, "Windows 11 21H2"),
  v(87, "Windows 11 22H2"),
  v(88, "Windows Server 2022 23H2"),
  v(89, "Windows 11 24H2 / Server 2025"),
]);

/** The newest version this package emulates. */
export const NDIS_LATEST_RUNTIME_VERSION = NDIS_RUNTIME_VERSION_689;

const byMinor = new Map<number, NdisVersionInfo>(NDIS_VERSIONS.map((info) => [info.minor, info]));

/** The NDIS 6 version with this minor number (20 for 6.20), if it exists. */
export function ndisVersionByMinor(minor: number): NdisVersionInfo | undefined {
  return byMinor.get(minor);
}

/** The version packed as `(major << 16) | minor`, if it is an NDIS 6 version. */
export function ndisVersionByRuntimeVersion(runtimeVersion: number): NdisVersionInfo | undefined {
  if (!Number.isInteger(runtimeVersion) || runtimeVersion >>> 16 !== 6) return undefined;
  return byMinor.get(runtimeVersion & 0xffff);
}

/**
 * Parses "6.30" (or "630", "0x6001E", a packed number) into the version's info. Minor digits are
 * read as NDIS writes them: "6.3" is not 6.30 and is rejected.
 */
export function parseNdisVersion(text: string | number): NdisVersionInfo | undefined {
  if (typeof text === "number") return ndisVersionByRuntimeVersion(text);
  const trimmed = text.trim();
  const dotted = /^6\.(\d{1,2})$/.exec(trimmed);
  if (dotted?.[1] !== undefined) {
    const minor = Number(dotted[1]);
    const info = byMinor.get(minor);
    // "6.1" is 6.1 (minor 1) and "6.20" is minor 20; "6.2" names no version.
    return info !== undefined && info.label === trimmed ? info : undefined;
  }
  if (/^0x[0-9a-f]+$/i.test(trimmed)) return ndisVersionByRuntimeVersion(Number(trimmed));
  return undefined;
}
