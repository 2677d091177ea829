/** Packet formats of src/net: build → parse round trips, known vectors, and hostile bytes never throw. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ARP_REPLY, ARP_REQUEST, buildArp, parseArp } from "../../src/net/arp.js";
import { adjustChecksum, internetChecksum } from "../../src/net/checksum.js";
import {
  BROADCAST_MAC,
  buildEthernet,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  formatMac,
  isBroadcastMac,
  isMulticastMac,
  parseEthernet,
  parseMac,
} from "../../src/net/ethernet.js";
import {
  buildIcmpEcho,
  ICMP_ECHO_REPLY,
  ICMP_ECHO_REQUEST,
  parseIcmpEcho,
} from "../../src/net/icmp.js";
import {
  buildIpv4Packet,
  formatIPv4,
  IPPROTO_UDP,
  inSubnet,
  ipv4FromBytes,
  ipv4ToBytes,
  parseIPv4,
  parseIpv4Packet,
  prefixMask,
} from "../../src/net/ipv4.js";
import { buildUdp, parseUdp } from "../../src/net/udp.js";
import { buildVxlan, parseVxlan, VXLAN_FLAG_I } from "../../src/net/vxlan.js";

const mac = fc.uint8Array({ minLength: 6, maxLength: 6 });
const ip = fc.nat({ max: 0xffffffff });
const bytes = fc.uint8Array({ maxLength: 200 });

/** A copy of `b` with `mask` xor-ed into byte `at`. */
function flip(b: Uint8Array, at: number, mask: number): Uint8Array {
  const copy = b.slice();
  copy[at] = (copy[at] ?? 0) ^ mask;
  return copy;
}

describe("net: Ethernet", () => {
  test("build → parse round trip, with and without an 802.1Q tag; short frames padded to 60", () => {
    fc.assert(
      fc.property(
        mac,
        mac,
        fc.integer({ min: 0x600, max: 0xffff }).filter((t) => t !== 0x8100),
        fc.option(fc.record({ pcp: fc.nat(7), dei: fc.boolean(), vid: fc.nat(0xfff) }), {
          nil: undefined,
        }),
        bytes,
        (dst, src, ethertype, vlan, payload) => {
          const frame = buildEthernet({ dst, src, ethertype, vlan, payload });
          assert.ok(frame.length >= 60);
          const parsed = parseEthernet(frame);
          assert.ok(parsed);
          assert.deepEqual([...parsed.dst], [...dst]);
          assert.deepEqual([...parsed.src], [...src]);
          assert.equal(parsed.ethertype, ethertype);
          assert.deepEqual(parsed.vlan, vlan === undefined ? undefined : { ...vlan });
          assert.deepEqual([...parsed.payload.subarray(0, payload.length)], [...payload]);
          assert.ok(parsed.payload.subarray(payload.length).every((b) => b === 0));
        },
      ),
    );
  });
  test("a frame shorter than its header (or its tag) is null", () => {
    assert.equal(parseEthernet(new Uint8Array(13)), null);
    const tagged = new Uint8Array(17);
    tagged[12] = 0x81;
    assert.equal(parseEthernet(tagged), null);
  });
  test("MAC helpers", () => {
    assert.equal(formatMac(Uint8Array.of(2, 0, 0, 0, 0, 0xab)), "02-00-00-00-00-ab");
    assert.deepEqual([...(parseMac("02:00:00:00:00:AB") ?? [])], [2, 0, 0, 0, 0, 0xab]);
    assert.equal(parseMac("02-00-00-00-00"), null);
    assert.ok(isBroadcastMac(BROADCAST_MAC) && isMulticastMac(BROADCAST_MAC));
    assert.ok(isMulticastMac(Uint8Array.of(1, 0, 0x5e, 0, 0, 1)));
    assert.ok(!isMulticastMac(Uint8Array.of(2, 0, 0, 0, 0, 1)));
  });
});

describe("net: ARP", () => {
  test("build → parse round trip", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ARP_REQUEST, ARP_REPLY),
        mac,
        ip,
        mac,
        ip,
        (op, sm, si, tm, ti) => {
          const parsed = parseArp(
            buildArp({ op, senderMac: sm, senderIp: si, targetMac: tm, targetIp: ti }),
          );
          assert.ok(parsed);
          assert.equal(parsed.op, op);
          assert.deepEqual([...parsed.senderMac], [...sm]);
          assert.equal(parsed.senderIp, si);
          assert.deepEqual([...parsed.targetMac], [...tm]);
          assert.equal(parsed.targetIp, ti);
        },
      ),
    );
  });
  test("truncated, wrong hardware type or unknown opcode is null", () => {
    const good = buildArp({
      op: ARP_REQUEST,
      senderMac: new Uint8Array(6),
      senderIp: 1,
      targetMac: new Uint8Array(6),
      targetIp: 2,
    });
    assert.equal(parseArp(good.subarray(0, 27)), null);
    const hw = good.slice();
    hw[1] = 6;
    assert.equal(parseArp(hw), null);
    const op = good.slice();
    op[7] = 3;
    assert.equal(parseArp(op), null);
  });
});

describe("net: IPv4", () => {
  test("address text ↔ number ↔ bytes", () => {
    assert.equal(parseIPv4("198.51.100.1"), 0xc6336401);
    assert.equal(formatIPv4(0xc6336401), "198.51.100.1");
    assert.deepEqual([...ipv4ToBytes(0xc6336401)], [198, 51, 100, 1]);
    assert.equal(ipv4FromBytes(Uint8Array.of(198, 51, 100, 1)), 0xc6336401);
    assert.equal(ipv4FromBytes(Uint8Array.of(198, 51, 100)), null);
    for (const bad of ["198.51.100", "198.51.100.256", "a.b.c.d", "1.2.3.4.5", "", "1..2.3"]) {
      assert.equal(parseIPv4(bad), null, bad);
    }
    fc.assert(fc.property(ip, (a) => assert.equal(parseIPv4(formatIPv4(a)), a)));
  });
  test("subnets", () => {
    const net = parseIPv4("198.51.100.0") ?? 0;
    assert.equal(prefixMask(24), 0xffffff00);
    assert.equal(prefixMask(0), 0);
    assert.equal(prefixMask(32), 0xffffffff);
    assert.ok(inSubnet(parseIPv4("198.51.100.77") ?? 0, net, 24));
    assert.ok(!inSubnet(parseIPv4("198.51.101.77") ?? 0, net, 24));
    assert.throws(() => prefixMask(33), RangeError);
  });
  test("build → parse round trip; the header checksum verifies; padding is trimmed", () => {
    fc.assert(
      fc.property(
        ip,
        ip,
        fc.nat(255),
        fc.nat(0xffff),
        bytes,
        fc.nat(20),
        (src, dst, protocol, id, payload, pad) => {
          const packet = buildIpv4Packet({ src, dst, protocol, identification: id, payload });
          assert.equal(internetChecksum(packet, 0, 20), 0);
          const padded = new Uint8Array(packet.length + pad);
          padded.set(packet);
          const parsed = parseIpv4Packet(padded);
          assert.ok(parsed);
          assert.equal(parsed.src, src);
          assert.equal(parsed.dst, dst);
          assert.equal(parsed.protocol, protocol);
          assert.equal(parsed.identification, id);
          assert.equal(parsed.ttl, 64);
          assert.deepEqual([...parsed.payload], [...payload]);
        },
      ),
    );
  });
  test("a flipped header bit, a truncated packet or a bad length is null", () => {
    const packet = buildIpv4Packet({ src: 1, dst: 2, protocol: 1, payload: new Uint8Array(8) });
    const flipped = flip(packet, 8, 1);
    assert.equal(parseIpv4Packet(flipped), null);
    assert.equal(parseIpv4Packet(packet.subarray(0, 27)), null);
    assert.equal(parseIpv4Packet(packet.subarray(0, 19)), null);
    const ihl = packet.slice();
    ihl[0] = 0x44;
    assert.equal(parseIpv4Packet(ihl), null);
  });
});

describe("net: checksum", () => {
  test("the incremental update (RFC 1624) is the checksum computed again, or 0xFFFF for 0; it always verifies", () => {
    const word = fc.oneof(fc.constantFrom(0, 0xffff, 0x0001, 0xfffe), fc.nat(0xffff));
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 2, maxLength: 40 }),
        fc.nat(),
        word,
        (words, pick, replacement) => {
          // words[0] is the checksum field; another word changes.
          const data = new Uint8Array(words.length * 2);
          words.forEach((w, i) => {
            data[2 * i] = w >>> 8;
            data[2 * i + 1] = w & 0xff;
          });
          data[0] = 0;
          data[1] = 0;
          const sum = internetChecksum(data);
          data[0] = sum >>> 8;
          data[1] = sum & 0xff;
          const at = 1 + (pick % (words.length - 1));
          const old = ((data[2 * at] as number) << 8) | (data[2 * at + 1] as number);
          data[2 * at] = replacement >>> 8;
          data[2 * at + 1] = replacement & 0xff;
          const updated = adjustChecksum(sum, old, replacement);
          data[0] = 0;
          data[1] = 0;
          const again = internetChecksum(data);
          assert.equal(updated, again === 0 ? 0xffff : again);
          data[0] = updated >>> 8;
          data[1] = updated & 0xff;
          assert.equal(internetChecksum(data), 0);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("net: ICMP echo", () => {
  test("build → parse round trip; a flipped bit fails the checksum", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY),
        fc.nat(0xffff),
        fc.nat(0xffff),
        bytes,
        fc.nat(),
        (type, identifier, sequence, data, bit) => {
          const message = buildIcmpEcho({ type, identifier, sequence, data });
          const parsed = parseIcmpEcho(message);
          assert.ok(parsed);
          assert.deepEqual(
            { ...parsed, data: [...parsed.data] },
            { type, code: 0, identifier, sequence, data: [...data] },
          );
          const at = bit % (message.length * 8);
          const flipped = flip(message, at >> 3, 1 << (at & 7));
          const again = parseIcmpEcho(flipped);
          // A flipped type bit may turn it into another (non-echo) type: null either way.
          assert.equal(again, null);
        },
      ),
    );
  });
});

describe("net: UDP", () => {
  test("build → parse round trip with the pseudo-header checksum, and with checksum 0", () => {
    fc.assert(
      fc.property(
        ip,
        ip,
        fc.nat(0xffff),
        fc.nat(0xffff),
        bytes,
        fc.boolean(),
        (src, dst, sp, dp, payload, sum) => {
          const datagram = buildUdp({ srcPort: sp, dstPort: dp, payload }, src, dst, sum);
          const parsed = parseUdp(datagram, src, dst);
          assert.ok(parsed);
          assert.equal(parsed.srcPort, sp);
          assert.equal(parsed.dstPort, dp);
          assert.equal(parsed.checksum === 0, !sum);
          assert.deepEqual([...parsed.payload], [...payload]);
        },
      ),
    );
  });
  test("a wrong pseudo-header or a flipped payload bit is null when the checksum is set", () => {
    const datagram = buildUdp({ srcPort: 7, dstPort: 7, payload: Uint8Array.of(1, 2, 3) }, 10, 20);
    assert.ok(parseUdp(datagram, 10, 20));
    assert.equal(parseUdp(datagram, 10, 21), null);
    const flipped = flip(datagram, 9, 4);
    assert.equal(parseUdp(flipped, 10, 20), null);
    assert.equal(parseUdp(datagram.subarray(0, 7), 10, 20), null);
    assert.equal(parseUdp(datagram.subarray(0, 10), 10, 20), null); // length field says 11
  });
  test("over IPv4 in Ethernet, as the stack sends it", () => {
    const src = parseIPv4("198.51.100.1") ?? 0;
    const dst = parseIPv4("198.51.100.2") ?? 0;
    const udp = buildUdp(
      { srcPort: 40000, dstPort: 7, payload: Uint8Array.of(0x68, 0x69) },
      src,
      dst,
    );
    const frame = buildEthernet({
      dst: BROADCAST_MAC,
      src: Uint8Array.of(2, 0, 0, 0, 0, 1),
      ethertype: ETHERTYPE_IPV4,
      payload: buildIpv4Packet({ src, dst, protocol: IPPROTO_UDP, payload: udp }),
    });
    const eth = parseEthernet(frame);
    assert.ok(eth && eth.ethertype === ETHERTYPE_IPV4);
    const ipPacket = parseIpv4Packet(eth.payload);
    assert.ok(ipPacket);
    const parsed = parseUdp(ipPacket.payload, ipPacket.src, ipPacket.dst);
    assert.deepEqual([...(parsed?.payload ?? [])], [0x68, 0x69]);
  });
});

describe("net: VXLAN", () => {
  test("build → parse round trip; short or I-bit-less headers are null", () => {
    fc.assert(
      fc.property(fc.nat(0xffffff), bytes, (vni, payload) => {
        const packet = buildVxlan(vni, payload);
        assert.equal(packet[0], VXLAN_FLAG_I);
        const parsed = parseVxlan(packet);
        assert.ok(parsed);
        assert.equal(parsed.vni, vni);
        assert.deepEqual([...parsed.payload], [...payload]);
      }),
    );
    assert.equal(parseVxlan(new Uint8Array(7)), null);
    assert.equal(parseVxlan(new Uint8Array(8)), null);
    assert.throws(() => buildVxlan(0x1000000, new Uint8Array(0)), RangeError);
  });
});

describe("net: hostile bytes", () => {
  test("no parser throws on random input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), ip, ip, (b, s, d) => {
        parseEthernet(b);
        parseArp(b);
        parseIpv4Packet(b);
        parseIcmpEcho(b);
        parseUdp(b, s, d);
        parseVxlan(b);
        // Views into a larger buffer at an odd offset too.
        const inner = new Uint8Array(b.length + 3);
        inner.set(b, 3);
        const view = inner.subarray(3);
        parseEthernet(view);
        parseArp(view);
        parseIpv4Packet(view);
        parseIcmpEcho(view);
        parseUdp(view, s, d);
        parseVxlan(view);
      }),
      { numRuns: 2000 },
    );
    assert.equal(ETHERTYPE_ARP, 0x0806);
  });
});
