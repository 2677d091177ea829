/**
 * WPP tracing (src/wasm/wpp.ts): the configuration block a driver's trace header holds, the
 * .tmh macros `ndis build` writes from it, and the formatting of a message's printf and WPP
 * extended format strings from a C variadic argument list.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  formatWpp,
  parseWppConfig,
  tmhIncludes,
  type VaReader,
  type WppMemory,
  wppTmh,
} from "../../src/wasm/wpp.js";

/** A little-endian memory of `size` bytes, writable by the test. */
function memory(size = 256) {
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  const m: WppMemory = {
    u8: (p) => view.getUint8(p),
    u16: (p) => view.getUint16(p, true),
    u32: (p) => view.getUint32(p, true),
    unicodeString: (p) => {
      const length = view.getUint16(p, true);
      const buffer = view.getUint32(p + 4, true);
      let text = "";
      for (let i = 0; i < length / 4; i++)
        text += String.fromCodePoint(view.getUint32(buffer + 4 * i, true));
      return text;
    },
  };
  return { bytes, view, m };
}

/** A va_list of the given values: numbers as 32-bit, bigints as 64-bit, {f} as doubles. */
function va(values: readonly (number | bigint | { f: number })[]): VaReader {
  let i = 0;
  const next = () => values[i++];
  return {
    i32: () => next() as number,
    i64: () => next() as bigint,
    f64: () => (next() as { f: number }).f,
  };
}

const site = {
  file: "x.c",
  line: 12,
  func: "Fn",
  level: "TRACE_LEVEL_ERROR",
  flags: "TRACE_IO",
  component: "drv",
};

describe("formatWpp", () => {
  test("printf conversions: flags, width, precision, lengths; strings narrow, wide and counted", () => {
    const { bytes, view, m } = memory();
    bytes.set([104, 105, 0], 16); // "hi" at 16
    // L"wide" at 32
    for (const [i, c] of [119, 105, 100, 101, 0].entries()) view.setUint32(32 + 4 * i, c, true);
    view.setUint16(64, 2, true); // ANSI_STRING { 2, 3, 16 } at 64: "hi"
    view.setUint16(66, 3, true);
    view.setUint32(68, 16, true);
    view.setUint16(72, 8, true); // UNICODE_STRING { 8 bytes, …, 32 } at 72: "wi"
    view.setUint32(76, 32, true);
    const text = formatWpp(
      "[%5d|%-4d|%05d|%+d|%u|%x|%#X|%o|%lld|%I64x|%hd|%c|%C|%s|%.1s|%ws|%S|%Z|%wZ|%s|%p|%.2f|%e|%%]",
      va([
        42,
        7,
        -12,
        3,
        -1,
        255,
        255,
        8,
        -5n,
        0xabcn,
        0x18000,
        65,
        0x263a,
        16,
        16,
        32,
        32,
        64,
        72,
        0,
        0xbeef,
        { f: 2.5 },
        { f: 1500 },
      ]),
      m,
      site,
    );
    assert.equal(
      text,
      "[   42|7   |-0012|+3|4294967295|ff|0XFF|10|-5|abc|-32768|A|☺|hi|h|wide|wide|hi|wi|NULL|0000BEEF|2.50|1.500000e+03|%]",
    );
  });

  test("WPP's extended strings: the site's, STATUS, bool, irql, IPADDR, PORT, GUID, delta; an unknown one is printed as written", () => {
    const { view, m } = memory();
    // {6c1d5f0e-3a7b-4e52-9d41-0f2b8c7e91a3} at 100
    view.setUint32(100, 0x6c1d5f0e, true);
    view.setUint16(104, 0x3a7b, true);
    view.setUint16(106, 0x4e52, true);
    for (const [i, b] of [0x9d, 0x41, 0x0f, 0x2b, 0x8c, 0x7e, 0x91, 0xa3].entries())
      view.setUint8(108 + i, b);
    const text = formatWpp(
      "%!FUNC! %!FILE!:%!LINE! %!LEVEL! %!FLAGS! %!COMPNAME! %!STATUS! %!bool! %!irql! %!IPADDR!:%!PORT! %!GUID! %!delta! %!NOSUCH! %d",
      va([0xc0000001, 0, 2, 0x0100007f, 0x5000, 100, 90_061_005n, 9, 5]),
      m,
      site,
    );
    assert.equal(
      text,
      "Fn x.c:12 TRACE_LEVEL_ERROR TRACE_IO drv NDIS_STATUS_FAILURE (0xC0000001) FALSE DISPATCH_LEVEL 127.0.0.1:80 6c1d5f0e-3a7b-4e52-9d41-0f2b8c7e91a3 1~01:01:01.005 %!NOSUCH! 5",
    );
  });
});

describe("the configuration block and the .tmh", () => {
  test("FUNC with fixed and passed conditions, USESUFFIX with an argument; the .tmh uses the driver's ENABLED macro when it has one", () => {
    const config = parseWppConfig([
      [
        "// begin_wpp config",
        "// FUNC TraceEvents(LEVEL, FLAGS, MSG, ...);",
        "// FUNC Trace{FLAG=ALL_INFO}(LEVEL, MSG, ...);",
        "// FUNC TraceReturn{LEVEL=TRACE_LEVEL_ERROR}(EXP);",
        '// USESUFFIX(TraceReturn, "returns %!STATUS!", EXP);',
        "// end_wpp",
        "// FUNC NotThis(MSG, ...);",
      ].join("\n"),
    ]);
    assert.deepEqual(
      config.functions.map((f) => [f.name, f.fixed, f.params]),
      [
        ["TraceEvents", [], ["LEVEL", "FLAGS", "MSG", "..."]],
        ["Trace", [["FLAG", "ALL_INFO"]], ["LEVEL", "MSG", "..."]],
        ["TraceReturn", [["LEVEL", "TRACE_LEVEL_ERROR"]], ["EXP"]],
      ],
    );
    const tmh = wppTmh(config);
    assert.match(
      tmh,
      /#ifdef WPP_LEVEL_FLAGS_ENABLED\n#define NDIS_TS_WPP_ENABLED_TraceEvents\(_c0, _c1\) WPP_LEVEL_FLAGS_ENABLED\(_c0, _c1\)/,
    );
    assert.match(tmh, /#ifdef WPP_FLAG_LEVEL_ENABLED\n/);
    assert.match(tmh, /#define TraceReturn\(EXP\) \\/);
    assert.match(tmh, /"returns %!STATUS!", EXP\)/);
    assert.match(tmh, /#define DoTraceMessage\(FLAG, MSG, \.\.\.\)/);
    assert.deepEqual(tmhIncludes('#include "a.tmh"\n  # include "sub/b.tmh"\n#include "c.h"'), [
      "a.tmh",
      "sub/b.tmh",
    ]);
  });
});
