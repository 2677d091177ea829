/*
 * ndis-ts runtime support linked into every C driver: the memory routines clang may call, and the
 * allocator through which NDIS places the structures it hands the driver (NET_BUFFER_LISTs, OID
 * requests, parameters) in the module's linear memory. Single-threaded, like every call into a
 * driver in ndis-ts.
 */
typedef unsigned long size_t;
typedef unsigned char u8;

void *memset(void *d, int c, size_t n) {
  u8 *p = (u8 *)d;
  while (n--) *p++ = (u8)c;
  return d;
}
void *memcpy(void *d, const void *s, size_t n) {
  u8 *p = (u8 *)d;
  const u8 *q = (const u8 *)s;
  while (n--) *p++ = *q++;
  return d;
}
void *memmove(void *d, const void *s, size_t n) {
  u8 *p = (u8 *)d;
  const u8 *q = (const u8 *)s;
  if (p < q) {
    while (n--) *p++ = *q++;
  } else {
    p += n;
    q += n;
    while (n--) *--p = *--q;
  }
  return d;
}
int memcmp(const void *a, const void *b, size_t n) {
  const u8 *p = (const u8 *)a, *q = (const u8 *)b;
  for (; n; n--, p++, q++)
    if (*p != *q) return *p < *q ? -1 : 1;
  return 0;
}

/*
 * Size classes of 16 << k bytes (k < 20); a block carries its class in the 16 bytes before it.
 * Freed blocks go to their class's free list, so a steady state allocates nothing new.
 */
extern u8 __heap_base;
static u8 *heap_top = 0;
static void *free_lists[20];
#define PAGE 65536

static int class_of(size_t n) {
  int k = 0;
  while (((size_t)16 << k) < n) k++;
  return k;
}

__attribute__((export_name("__ndis_alloc"))) void *__ndis_alloc(size_t n) {
  int k = class_of(n == 0 ? 1 : n);
  if (k >= 20) return 0;
  void *block = free_lists[k];
  if (block != 0) {
    free_lists[k] = *(void **)block;
    memset(block, 0, (size_t)16 << k);
    return block;
  }
  if (heap_top == 0) heap_top = (u8 *)(((size_t)&__heap_base + 15) & ~(size_t)15);
  size_t need = 16 + ((size_t)16 << k);
  size_t end = (size_t)heap_top + need;
  size_t have = __builtin_wasm_memory_size(0) * PAGE;
  if (end > have) {
    size_t pages = (end - have + PAGE - 1) / PAGE;
    if (__builtin_wasm_memory_grow(0, pages) == (size_t)-1) return 0;
  }
  u8 *header = heap_top;
  heap_top += need;
  *(int *)header = k;
  memset(header + 16, 0, (size_t)16 << k);
  return header + 16;
}

__attribute__((export_name("__ndis_free"))) void __ndis_free(void *p) {
  if (p == 0) return;
  int k = *(int *)((u8 *)p - 16);
  *(void **)p = free_lists[k];
  free_lists[k] = p;
}

/*
 * For the bridge's NBL mirror (src/wasm/nbl-mirror.ts): 1 when any NBL of the chain at `head`
 * has an info slot that differs from the snapshot the bridge keeps `snap` bytes after the
 * struct, else 0. A link that is not a mirrored NBL (its tag word, 16 bytes before it, is not
 * `tag`) or lies outside memory ends the walk, as does a chain longer than any real one.
 */
__attribute__((export_name("__ndis_info_changed"))) int __ndis_info_changed(size_t head, size_t next, size_t info,
                                                                            size_t words, size_t snap,
                                                                            unsigned tag) {
  size_t limit = __builtin_wasm_memory_size(0) * PAGE;
  size_t p = head;
  unsigned steps = 0;
  while (p != 0 && steps++ < (1u << 20)) {
    const unsigned *a, *b;
    size_t i;
    if (p < 16 || (p & 3) != 0 || p + snap + 4 * words > limit) return 1;
    if ((*(const unsigned *)(p - 16) >> 28) != tag) return 1;
    a = (const unsigned *)(p + info);
    b = (const unsigned *)(p + snap);
    if (words == 32) {
      /* The usual count, compared without a loop: the step budget counts every loop turn. */
      typedef unsigned long long u64_4 __attribute__((aligned(4)));
      const u64_4 *x = (const u64_4 *)a, *y = (const u64_4 *)b;
#define D(k) (x[k] ^ y[k])
      if ((D(0) | D(1) | D(2) | D(3) | D(4) | D(5) | D(6) | D(7) | D(8) | D(9) | D(10) | D(11) | D(12) |
           D(13) | D(14) | D(15)) != 0)
        return 1;
#undef D
    } else {
      for (i = 0; i < words; i++)
        if (a[i] != b[i]) return 1;
    }
    p = *(const size_t *)(p + next);
  }
  return 0;
}

/*
 * NdisGetDataBuffer, in the module: it only reads the NET_BUFFER and MDL mirrors (their fields
 * and bytes are the module's own), so no call crosses to NDIS. The first `needed` bytes of the
 * buffer's data: a pointer into the current MDL when they lie in it and its address is
 * `align_offset` past a multiple of `align_multiple`; else, with `storage`, a copy there; else NULL
 * (also when the data is shorter than `needed`).
 */
typedef struct {
  void *Next;
  short Size;
  short MdlFlags;
  void *Process;
  u8 *MappedSystemVa;
  void *StartVa;
  unsigned long ByteCount;
  unsigned long ByteOffset;
} rt_mdl;
typedef struct {
  void *Next;
  rt_mdl *CurrentMdl;
  unsigned long CurrentMdlOffset;
  unsigned long DataLength;
  rt_mdl *MdlChain;
  unsigned long DataOffset;
} rt_nb;

/* MmMapLockedPagesSpecifyCache (bridged): maps an MDL NDIS handed the module unmapped. */
__attribute__((import_module("ndis"), import_name("MmMapLockedPagesSpecifyCache"))) void *
rt_map_locked_pages(void *mdl, char access_mode, int cache_type, void *requested, unsigned long bug_check,
                    unsigned long priority);

/* An MDL's bytes in the module, as MmGetSystemAddressForMdlSafe finds them (NULL: not mappable). */
static u8 *rt_va(rt_mdl *mdl) {
  if ((mdl->MdlFlags & 0x0005) != 0) return mdl->MappedSystemVa; /* MAPPED_TO_SYSTEM_VA | NONPAGED_POOL */
  return (u8 *)rt_map_locked_pages(mdl, 0, 1, 0, 0, 16);
}

void *NdisGetDataBuffer(void *net_buffer, unsigned long needed, void *storage, unsigned align_multiple,
                        unsigned align_offset) {
  rt_nb *nb = (rt_nb *)net_buffer;
  rt_mdl *mdl;
  unsigned long offset, copied = 0;
  if (nb == 0 || needed > nb->DataLength) return 0;
  mdl = nb->CurrentMdl;
  offset = nb->CurrentMdlOffset;
  while (mdl != 0 && offset >= mdl->ByteCount && needed > 0) {
    offset -= mdl->ByteCount;
    mdl = (rt_mdl *)mdl->Next;
  }
  if (mdl == 0) return needed == 0 ? storage : 0;
  {
    u8 *va = rt_va(mdl);
    u8 *at = va + offset;
    size_t multiple = align_multiple == 0 ? 1 : align_multiple;
    if (va == 0) return 0;
    if (mdl->ByteCount - offset >= needed && ((size_t)at % multiple) == (align_offset % multiple)) return at;
  }
  if (storage == 0) return 0;
  while (mdl != 0 && copied < needed) {
    unsigned long take = mdl->ByteCount - offset;
    u8 *va = rt_va(mdl);
    if (take > needed - copied) take = needed - copied;
    if (va == 0) return 0;
    memcpy((u8 *)storage + copied, va + offset, take);
    copied += take;
    offset = 0;
    mdl = (rt_mdl *)mdl->Next;
  }
  return copied == needed ? storage : 0;
}

/* The byte at `offset` of a NET_BUFFER's data: its MDL and the offset in it (0 past the end). */
static rt_mdl *rt_locate(rt_nb *nb, unsigned long offset, unsigned long *in_mdl) {
  rt_mdl *mdl = nb->CurrentMdl;
  offset += nb->CurrentMdlOffset;
  while (mdl != 0 && offset >= mdl->ByteCount) {
    offset -= mdl->ByteCount;
    mdl = (rt_mdl *)mdl->Next;
  }
  *in_mdl = offset;
  return mdl;
}

/* NdisCopyFromNetBufferToNetBuffer, in the module (both NET_BUFFERs are mirrors of its own). */
int NdisCopyFromNetBufferToNetBuffer(void *destination, unsigned long destination_offset, unsigned long bytes,
                                     void *source, unsigned long source_offset, unsigned long *copied) {
  rt_nb *d = (rt_nb *)destination, *s = (rt_nb *)source;
  unsigned long dat, sat, done = 0;
  rt_mdl *dm, *sm;
  if (copied != 0) *copied = 0;
  if (d == 0 || s == 0) return (int)0xC000000DL; /* NDIS_STATUS_INVALID_PARAMETER */
  if (source_offset + bytes > s->DataLength) bytes = source_offset < s->DataLength ? s->DataLength - source_offset : 0;
  if (destination_offset + bytes > d->DataLength)
    bytes = destination_offset < d->DataLength ? d->DataLength - destination_offset : 0;
  dm = rt_locate(d, destination_offset, &dat);
  sm = rt_locate(s, source_offset, &sat);
  while (done < bytes && dm != 0 && sm != 0) {
    unsigned long take = bytes - done;
    u8 *dva = rt_va(dm), *sva = rt_va(sm);
    if (dva == 0 || sva == 0) break;
    if (take > dm->ByteCount - dat) take = dm->ByteCount - dat;
    if (take > sm->ByteCount - sat) take = sm->ByteCount - sat;
    memmove(dva + dat, sva + sat, take);
    done += take;
    dat += take;
    sat += take;
    if (dat == dm->ByteCount) dm = (rt_mdl *)dm->Next, dat = 0;
    if (sat == sm->ByteCount) sm = (rt_mdl *)sm->Next, sat = 0;
  }
  if (copied != 0) *copied = done;
  return 0;
}

/*
 * Tells the bridge that this module was built with headers that map an MDL before reading its
 * bytes (MmGetSystemAddressForMdlSafe calls MmMapLockedPagesSpecifyCache for an MDL that is not
 * mapped): NDIS's MDLs then reach it unmapped and their bytes cross only once it maps them.
 */
__attribute__((export_name("__ndis_maps_mdls_on_demand"))) int __ndis_maps_mdls_on_demand(void) { return 1; }

/*
 * The formatter behind <ntstrsafe.h>'s RtlStringCb/CchPrintf (narrow and wide: WCHAR is 32 bits
 * here). Flags - 0 + space #, width and precision (numbers or *), lengths h hh l ll I64 z w, and
 * d i u x X o c C s S Z p %. In a wide format %s is a wide string and %S a narrow one; in a narrow
 * format the other way round; %hs / %ls / %ws say which. %wZ is a UNICODE_STRING, %Z an
 * ANSI_STRING. Writes at most `cap - 1` characters and a NUL; returns how many it wrote, or -1
 * when the output did not fit (it is cut, still terminated).
 */
typedef __builtin_va_list rt_va_list;
#define rt_va_arg __builtin_va_arg
typedef struct {
  void *buf;
  size_t cap;
  size_t len;
  int wide;
  int overflow;
} rt_out;

static void rt_put(rt_out *o, unsigned c) {
  if (o->len + 1 >= o->cap) {
    o->overflow = 1;
    return;
  }
  if (o->wide) ((unsigned *)o->buf)[o->len++] = c;
  else ((char *)o->buf)[o->len++] = (char)(c < 0x100 ? c : '?');
}

typedef struct {
  unsigned short Length;
  unsigned short MaximumLength;
  void *Buffer;
} rt_counted;

static void rt_string(rt_out *o, const void *s, int wide_arg, long count, int width, int left) {
  long n = 0, i;
  if (s == 0) {
    s = "(null)";
    wide_arg = 0;
    if (count < 0) count = 6;
  }
  if (count < 0) {
    if (wide_arg)
      while (((const unsigned *)s)[n] != 0) n++;
    else
      while (((const char *)s)[n] != 0) n++;
  } else {
    n = count;
  }
  if (!left)
    for (i = n; i < width; i++) rt_put(o, ' ');
  for (i = 0; i < n; i++) rt_put(o, wide_arg ? ((const unsigned *)s)[i] : (unsigned char)((const char *)s)[i]);
  if (left)
    for (i = n; i < width; i++) rt_put(o, ' ');
}

int __ndis_vformat(void *buf, size_t cap, int wide, const void *format, rt_va_list ap) {
  rt_out o = {buf, cap, 0, wide, 0};
  size_t f = 0;
  if (cap == 0) return -1;
  for (;;) {
    unsigned c = wide ? ((const unsigned *)format)[f] : (unsigned char)((const char *)format)[f];
    int left = 0, zero = 0, plus = 0, space = 0, alt = 0, width = 0, precision = -1, size = 0, wide_arg = -1;
    unsigned long long v;
    int negative = 0;
    char digits[24];
    int nd = 0, base = 10, upper = 0;
    f++;
    if (c == 0) break;
    if (c != '%') {
      rt_put(&o, c);
      continue;
    }
#define NEXT() (wide ? ((const unsigned *)format)[f] : (unsigned char)((const char *)format)[f])
    for (;; f++) {
      unsigned g = NEXT();
      if (g == '-') left = 1;
      else if (g == '0') zero = 1;
      else if (g == '+') plus = 1;
      else if (g == ' ') space = 1;
      else if (g == '#') alt = 1;
      else break;
    }
    if (NEXT() == '*') {
      width = rt_va_arg(ap, int);
      f++;
      if (width < 0) left = 1, width = -width;
    } else {
      while (NEXT() >= '0' && NEXT() <= '9') width = width * 10 + (int)(NEXT() - '0'), f++;
    }
    if (NEXT() == '.') {
      f++;
      precision = 0;
      if (NEXT() == '*') {
        precision = rt_va_arg(ap, int);
        f++;
      } else {
        while (NEXT() >= '0' && NEXT() <= '9') precision = precision * 10 + (int)(NEXT() - '0'), f++;
      }
    }
    for (;;) {
      unsigned g = NEXT();
      if (g == 'h') {
        wide_arg = 0;
        f++;
      } else if (g == 'l') {
        size++;
        wide_arg = 1;
        f++;
      } else if (g == 'w') {
        wide_arg = 1;
        f++;
      } else if (g == 'z' || g == 'I') {
        f++;
        if (g == 'I' && NEXT() == '6') f += 2, size = 2;
      } else {
        break;
      }
    }
    c = NEXT();
    f++;
    switch (c) {
      case '%':
        rt_put(&o, '%');
        continue;
      case 'c':
      case 'C':
        rt_put(&o, (unsigned)rt_va_arg(ap, int));
        continue;
      case 's':
      case 'S': {
        const void *s = rt_va_arg(ap, const void *);
        int w = wide_arg >= 0 ? wide_arg : (c == 's' ? wide : !wide);
        rt_string(&o, s, w, precision, width, left);
        continue;
      }
      case 'Z': {
        const rt_counted *s = rt_va_arg(ap, const rt_counted *);
        int w = wide_arg == 1;
        if (s == 0) rt_string(&o, 0, 0, -1, width, left);
        else rt_string(&o, s->Buffer, w, w ? s->Length / 4 : s->Length, width, left);
        continue;
      }
      case 'p':
        v = (size_t)rt_va_arg(ap, void *);
        base = 16, upper = 1, zero = 1, width = 8;
        break;
      case 'd':
      case 'i': {
        long long x = size >= 2 ? rt_va_arg(ap, long long) : (long long)rt_va_arg(ap, int);
        negative = x < 0;
        v = negative ? (unsigned long long)(-(x + 1)) + 1 : (unsigned long long)x;
        break;
      }
      case 'u':
      case 'x':
      case 'X':
      case 'o':
        v = size >= 2 ? rt_va_arg(ap, unsigned long long) : (unsigned long long)rt_va_arg(ap, unsigned);
        base = c == 'o' ? 8 : c == 'u' ? 10 : 16;
        upper = c == 'X';
        break;
      default:
        rt_put(&o, '%');
        rt_put(&o, c);
        continue;
    }
    do {
      unsigned d = (unsigned)(v % (unsigned)base);
      digits[nd++] = (char)(d < 10 ? '0' + d : (upper ? 'A' : 'a') + d - 10);
      v /= (unsigned)base;
    } while (v != 0 && nd < 24);
    {
      int sign = negative || plus || space;
      int prefix = alt && base == 16 ? 2 : 0;
      int pad = precision > nd ? precision - nd : 0;
      int total = nd + pad + sign + prefix, i;
      if (!left && !(zero && precision < 0))
        for (i = total; i < width; i++) rt_put(&o, ' ');
      if (sign) rt_put(&o, negative ? '-' : plus ? '+' : ' ');
      if (prefix) rt_put(&o, '0'), rt_put(&o, upper ? 'X' : 'x');
      if (!left && zero && precision < 0)
        for (i = total; i < width; i++) rt_put(&o, '0');
      for (i = 0; i < pad; i++) rt_put(&o, '0');
      while (nd > 0) rt_put(&o, (unsigned char)digits[--nd]);
      if (left)
        for (i = total; i < width; i++) rt_put(&o, ' ');
    }
#undef NEXT
  }
  if (wide) ((unsigned *)buf)[o.len] = 0;
  else ((char *)buf)[o.len] = 0;
  return o.overflow ? -1 : (int)o.len;
}
