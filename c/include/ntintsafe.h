/*
 * ndis-ts: the overflow-checked integer routines of <ntintsafe.h> a driver sizes buffers with,
 * written from their documented behaviour: the result, or STATUS_INTEGER_OVERFLOW and the
 * largest value of the type.
 */
#ifndef NDIS_TS_NTINTSAFE_H
#define NDIS_TS_NTINTSAFE_H
#include <ndis/nt.h>

#define NDIS_TS_INTSAFE(name, T, op, max)                         \
  FORCEINLINE NTSTATUS name(T a, T b, T *result) {                \
    if (__builtin_##op##_overflow(a, b, result)) {               \
      *result = (T)(max);                                         \
      return STATUS_INTEGER_OVERFLOW;                             \
    }                                                             \
    return STATUS_SUCCESS;                                        \
  }
NDIS_TS_INTSAFE(RtlULongAdd, ULONG, add, 0xffffffffUL)
NDIS_TS_INTSAFE(RtlULongSub, ULONG, sub, 0)
NDIS_TS_INTSAFE(RtlULongMult, ULONG, mul, 0xffffffffUL)
NDIS_TS_INTSAFE(RtlUShortAdd, USHORT, add, 0xffff)
NDIS_TS_INTSAFE(RtlUShortSub, USHORT, sub, 0)
NDIS_TS_INTSAFE(RtlUShortMult, USHORT, mul, 0xffff)
NDIS_TS_INTSAFE(RtlSizeTAdd, SIZE_T, add, 0xffffffffUL)
NDIS_TS_INTSAFE(RtlSizeTSub, SIZE_T, sub, 0)
NDIS_TS_INTSAFE(RtlSizeTMult, SIZE_T, mul, 0xffffffffUL)
NDIS_TS_INTSAFE(RtlULongLongAdd, ULONGLONG, add, 0xffffffffffffffffULL)
NDIS_TS_INTSAFE(RtlULongLongSub, ULONGLONG, sub, 0)
NDIS_TS_INTSAFE(RtlULongLongMult, ULONGLONG, mul, 0xffffffffffffffffULL)
NDIS_TS_INTSAFE(RtlUIntAdd, UINT, add, 0xffffffffU)
NDIS_TS_INTSAFE(RtlUIntMult, UINT, mul, 0xffffffffU)
#undef NDIS_TS_INTSAFE
#define RtlULongPtrAdd RtlSizeTAdd
#define RtlULongPtrMult RtlSizeTMult
FORCEINLINE NTSTATUS RtlULongLongToULong(ULONGLONG v, PULONG result) {
  if (v > 0xffffffffULL) {
    *result = 0xffffffffUL;
    return STATUS_INTEGER_OVERFLOW;
  }
  *result = (ULONG)v;
  return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlULongToUShort(ULONG v, PUSHORT result) {
  if (v > 0xffff) {
    *result = 0xffff;
    return STATUS_INTEGER_OVERFLOW;
  }
  *result = (USHORT)v;
  return STATUS_SUCCESS;
}
FORCEINLINE NTSTATUS RtlSizeTToULong(SIZE_T v, PULONG result) {
  *result = (ULONG)v;
  return STATUS_SUCCESS;
}
#endif /* NDIS_TS_NTINTSAFE_H */
