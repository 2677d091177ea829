/*
 * ndis-ts: the safe string routines of <ntstrsafe.h> a driver uses to build names and messages,
 * written from their documented behaviour: each takes the destination's size (Cb: bytes, Cch:
 * characters; WCHAR is 32 bits here), always NUL-terminates, and returns STATUS_SUCCESS,
 * STATUS_BUFFER_OVERFLOW (the result was cut) or STATUS_INVALID_PARAMETER. The printf forms use
 * the module's own formatter (c/runtime/ndis_rt.c: flags, width, precision, h/l/ll/I64/z/w and
 * d i u x X o c s S Z p %).
 */
#ifndef NDIS_TS_NTSTRSAFE_H
#define NDIS_TS_NTSTRSAFE_H

#include <ndis/nt.h>

typedef __builtin_va_list va_list;
#ifndef va_start
#define va_start(ap, last) __builtin_va_start(ap, last)
#define va_end(ap) __builtin_va_end(ap)
#define va_arg(ap, type) __builtin_va_arg(ap, type)
#endif
typedef CHAR *NTSTRSAFE_PSTR;
typedef const CHAR *NTSTRSAFE_PCSTR;
typedef WCHAR *NTSTRSAFE_PWSTR;
typedef const WCHAR *NTSTRSAFE_PCWSTR;
#define NTSTRSAFE_MAX_CCH 2147483647
#define STRSAFE_IGNORE_NULLS 0x00000100
#define STRSAFE_FILL_BEHIND_NULL 0x00000200
#define STRSAFE_FILL_ON_FAILURE 0x00000400
#define STRSAFE_NULL_ON_FAILURE 0x00000800
#define STRSAFE_NO_TRUNCATION 0x00001000

int __ndis_vformat(void *buf, SIZE_T cap, int wide, const void *format, va_list ap);

FORCEINLINE NTSTATUS RtlStringCchCopyA(CHAR *d, SIZE_T cchDest, const CHAR *s) {
  SIZE_T i = 0;
  if (d == NULL || cchDest == 0) return STATUS_INVALID_PARAMETER;
  if (s == NULL) s = "";
  while (i + 1 < cchDest && s[i] != 0) d[i] = s[i], i++;
  d[i] = 0;
  return s[i] == 0 ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}
FORCEINLINE NTSTATUS RtlStringCchCopyW(WCHAR *d, SIZE_T cchDest, const WCHAR *s) {
  SIZE_T i = 0;
  if (d == NULL || cchDest == 0) return STATUS_INVALID_PARAMETER;
  if (s == NULL) s = L"";
  while (i + 1 < cchDest && s[i] != 0) d[i] = s[i], i++;
  d[i] = 0;
  return s[i] == 0 ? STATUS_SUCCESS : STATUS_BUFFER_OVERFLOW;
}
#define RtlStringCbCopyA(d, cb, s) RtlStringCchCopyA((d), (cb) / sizeof(CHAR), (s))
#define RtlStringCbCopyW(d, cb, s) RtlStringCchCopyW((d), (cb) / sizeof(WCHAR), (s))
FORCEINLINE NTSTATUS RtlStringCchLengthA(const CHAR *s, SIZE_T cchMax, SIZE_T *length) {
  SIZE_T n = 0;
  if (s == NULL) return STATUS_INVALID_PARAMETER;
  while (n < cchMax && s[n] != 0) n++;
  if (length != NULL) *length = n < cchMax ? n : 0;
  return n < cchMax ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}
FORCEINLINE NTSTATUS RtlStringCchLengthW(const WCHAR *s, SIZE_T cchMax, SIZE_T *length) {
  SIZE_T n = 0;
  if (s == NULL) return STATUS_INVALID_PARAMETER;
  while (n < cchMax && s[n] != 0) n++;
  if (length != NULL) *length = n < cchMax ? n : 0;
  return n < cchMax ? STATUS_SUCCESS : STATUS_INVALID_PARAMETER;
}
FORCEINLINE NTSTATUS RtlStringCbLengthA(const CHAR *s, SIZE_T cbMax, SIZE_T *length) {
  NTSTATUS status = RtlStringCchLengthA(s, cbMax, length);
  return status;
}
FORCEINLINE NTSTATUS RtlStringCbLengthW(const WCHAR *s, SIZE_T cbMax, SIZE_T *length) {
  NTSTATUS status = RtlStringCchLengthW(s, cbMax / sizeof(WCHAR), length);
  if (status == STATUS_SUCCESS && length != NULL) *length *= sizeof(WCHAR);
  return status;
}
FORCEINLINE NTSTATUS RtlStringCchCatA(CHAR *d, SIZE_T cchDest, const CHAR *s) {
  SIZE_T n = 0;
  if (d == NULL || cchDest == 0) return STATUS_INVALID_PARAMETER;
  while (n < cchDest && d[n] != 0) n++;
  if (n == cchDest) return STATUS_INVALID_PARAMETER;
  return RtlStringCchCopyA(d + n, cchDest - n, s);
}
FORCEINLINE NTSTATUS RtlStringCchCatW(WCHAR *d, SIZE_T cchDest, const WCHAR *s) {
  SIZE_T n = 0;
  if (d == NULL || cchDest == 0) return STATUS_INVALID_PARAMETER;
  while (n < cchDest && d[n] != 0) n++;
  if (n == cchDest) return STATUS_INVALID_PARAMETER;
  return RtlStringCchCopyW(d + n, cchDest - n, s);
}
#define RtlStringCbCatA(d, cb, s) RtlStringCchCatA((d), (cb) / sizeof(CHAR), (s))
#define RtlStringCbCatW(d, cb, s) RtlStringCchCatW((d), (cb) / sizeof(WCHAR), (s))
FORCEINLINE NTSTATUS RtlStringCchVPrintfA(CHAR *d, SIZE_T cchDest, const CHAR *format, va_list ap) {
  if (d == NULL || cchDest == 0 || format == NULL) return STATUS_INVALID_PARAMETER;
  return __ndis_vformat(d, cchDest, 0, format, ap) < 0 ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfW(WCHAR *d, SIZE_T cchDest, const WCHAR *format, va_list ap) {
  if (d == NULL || cchDest == 0 || format == NULL) return STATUS_INVALID_PARAMETER;
  return __ndis_vformat(d, cchDest, 1, format, ap) < 0 ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS;
}
#define RtlStringCbVPrintfA(d, cb, f, ap) RtlStringCchVPrintfA((d), (cb) / sizeof(CHAR), (f), (ap))
#define RtlStringCbVPrintfW(d, cb, f, ap) RtlStringCchVPrintfW((d), (cb) / sizeof(WCHAR), (f), (ap))
static inline NTSTATUS RtlStringCchPrintfA(CHAR *d, SIZE_T cchDest, const CHAR *format, ...) {
  va_list ap;
  NTSTATUS status;
  va_start(ap, format);
  status = RtlStringCchVPrintfA(d, cchDest, format, ap);
  va_end(ap);
  return status;
}
static inline NTSTATUS RtlStringCchPrintfW(WCHAR *d, SIZE_T cchDest, const WCHAR *format, ...) {
  va_list ap;
  NTSTATUS status;
  va_start(ap, format);
  status = RtlStringCchVPrintfW(d, cchDest, format, ap);
  va_end(ap);
  return status;
}
static inline NTSTATUS RtlStringCbPrintfA(CHAR *d, SIZE_T cbDest, const CHAR *format, ...) {
  va_list ap;
  NTSTATUS status;
  va_start(ap, format);
  status = RtlStringCchVPrintfA(d, cbDest / sizeof(CHAR), format, ap);
  va_end(ap);
  return status;
}
static inline NTSTATUS RtlStringCbPrintfW(WCHAR *d, SIZE_T cbDest, const WCHAR *format, ...) {
  va_list ap;
  NTSTATUS status;
  va_start(ap, format);
  status = RtlStringCchVPrintfW(d, cbDest / sizeof(WCHAR), format, ap);
  va_end(ap);
  return status;
}
/* The Ex forms: where the result ends and what is left; flags other than 0 are ignored. */
static inline NTSTATUS RtlStringCchPrintfExA(CHAR *d, SIZE_T cchDest, CHAR **end, SIZE_T *remaining, ULONG flags,
                                             const CHAR *format, ...) {
  va_list ap;
  NTSTATUS status;
  SIZE_T n = 0;
  (void)flags;
  va_start(ap, format);
  status = RtlStringCchVPrintfA(d, cchDest, format, ap);
  va_end(ap);
  if (d != NULL)
    while (n < cchDest && d[n] != 0) n++;
  if (end != NULL) *end = d + n;
  if (remaining != NULL) *remaining = cchDest - n;
  return status;
}
static inline NTSTATUS RtlStringCchPrintfExW(WCHAR *d, SIZE_T cchDest, WCHAR **end, SIZE_T *remaining, ULONG flags,
                                             const WCHAR *format, ...) {
  va_list ap;
  NTSTATUS status;
  SIZE_T n = 0;
  (void)flags;
  va_start(ap, format);
  status = RtlStringCchVPrintfW(d, cchDest, format, ap);
  va_end(ap);
  if (d != NULL)
    while (n < cchDest && d[n] != 0) n++;
  if (end != NULL) *end = d + n;
  if (remaining != NULL) *remaining = cchDest - n;
  return status;
}
FORCEINLINE NTSTATUS RtlStringCchVPrintfExA(CHAR *d, SIZE_T cchDest, CHAR **end, SIZE_T *remaining, ULONG flags,
                                            const CHAR *format, va_list ap) {
  NTSTATUS status = RtlStringCchVPrintfA(d, cchDest, format, ap);
  SIZE_T n = 0;
  (void)flags;
  if (d != NULL)
    while (n < cchDest && d[n] != 0) n++;
  if (end != NULL) *end = d + n;
  if (remaining != NULL) *remaining = cchDest - n;
  return status;
}
/* UNICODE_STRING forms. */
FORCEINLINE NTSTATUS RtlUnicodeStringCopy(PUNICODE_STRING d, PCUNICODE_STRING s) {
  if (s->Length > d->MaximumLength) return STATUS_BUFFER_OVERFLOW;
  __builtin_memmove(d->Buffer, s->Buffer, s->Length);
  d->Length = s->Length;
  return STATUS_SUCCESS;
}
static inline NTSTATUS RtlUnicodeStringPrintf(PUNICODE_STRING d, const WCHAR *format, ...) {
  va_list ap;
  int n;
  va_start(ap, format);
  n = __ndis_vformat(d->Buffer, d->MaximumLength / sizeof(WCHAR), 1, format, ap);
  va_end(ap);
  if (n < 0) {
    SIZE_T k = 0;
    while ((k + 1) * sizeof(WCHAR) < d->MaximumLength && d->Buffer[k] != 0) k++;
    d->Length = (USHORT)(k * sizeof(WCHAR));
    return STATUS_BUFFER_OVERFLOW;
  }
  d->Length = (USHORT)(n * sizeof(WCHAR));
  return STATUS_SUCCESS;
}

#endif /* NDIS_TS_NTSTRSAFE_H */
