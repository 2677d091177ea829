/*
 * ndis-ts: the formatting routines of <stdio.h> the kernel exports to drivers (sprintf and
 * friends, as the WDK's kernel CRT has them), over the module's own formatter
 * (c/runtime/ndis_rt.c: flags, width, precision, h/l/ll/I64/z/w and d i u x X o c s S Z p %;
 * WCHAR is 32 bits here). There are no files or streams. A bounded form (_snprintf, _vsnprintf,
 * _snwprintf) writes at most Count characters with the NUL and returns -1 when the result was cut,
 * as the Microsoft routines do (they may leave out the NUL when the text fills Count exactly; these
 * always write it). Prefer <ntstrsafe.h>.
 */
#ifndef NDIS_TS_STDIO_H
#define NDIS_TS_STDIO_H

#include <ntstrsafe.h>

#ifndef EOF
#define EOF (-1)
#endif
#define NDIS_TS_UNBOUNDED 0x7fffffff

static inline int vsprintf(char *Buffer, const char *Format, va_list ArgList) {
  return __ndis_vformat(Buffer, NDIS_TS_UNBOUNDED, 0, Format, ArgList);
}
static inline int _vsnprintf(char *Buffer, SIZE_T Count, const char *Format, va_list ArgList) {
  return Count == 0 ? -1 : __ndis_vformat(Buffer, Count, 0, Format, ArgList);
}
static inline int vsnprintf(char *Buffer, SIZE_T Count, const char *Format, va_list ArgList) {
  return _vsnprintf(Buffer, Count, Format, ArgList);
}
static inline int sprintf(char *Buffer, const char *Format, ...) {
  va_list ap;
  int n;
  va_start(ap, Format);
  n = vsprintf(Buffer, Format, ap);
  va_end(ap);
  return n;
}
static inline int _snprintf(char *Buffer, SIZE_T Count, const char *Format, ...) {
  va_list ap;
  int n;
  va_start(ap, Format);
  n = _vsnprintf(Buffer, Count, Format, ap);
  va_end(ap);
  return n;
}
#define snprintf _snprintf
static inline int _vsnwprintf(WCHAR *Buffer, SIZE_T Count, const WCHAR *Format, va_list ArgList) {
  return Count == 0 ? -1 : __ndis_vformat(Buffer, Count, 1, Format, ArgList);
}
static inline int _snwprintf(WCHAR *Buffer, SIZE_T Count, const WCHAR *Format, ...) {
  va_list ap;
  int n;
  va_start(ap, Format);
  n = _vsnwprintf(Buffer, Count, Format, ap);
  va_end(ap);
  return n;
}
/* The kernel's legacy swprintf has no count. */
static inline int swprintf(WCHAR *Buffer, const WCHAR *Format, ...) {
  va_list ap;
  int n;
  va_start(ap, Format);
  n = __ndis_vformat(Buffer, NDIS_TS_UNBOUNDED, 1, Format, ap);
  va_end(ap);
  return n;
}

#endif /* NDIS_TS_STDIO_H */
